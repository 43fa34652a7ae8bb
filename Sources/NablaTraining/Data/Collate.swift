/// The ways a `DataLoader` puts a batch's elements together, as PyTorch's `default_collate`.
///
/// Each stacks tensors along a new first axis, so `batchSize` elements of shape `[3]` make a
/// batch of shape `[batchSize, 3]`, and scalar class indices make a vector. The elements' tensors
/// must have one shape; for elements of different shapes (sequences of different lengths), pass a
/// `collate` function of your own that pads them.
///
/// ```swift
/// let loader = DataLoader(dataset, batchSize: 32, collate: { pairs in
///   let (inputs, targets) = Collate.stacked(pairs)
///   return (inputs / 255, targets)
/// })
/// ```
public enum Collate {
  /// The elements stacked along a new first axis.
  ///
  /// - Parameter elements: One or more tensors of one shape.
  public static func stacked(_ elements: [Tensor]) -> Tensor {
    Tensor(stacking: elements)
  }

  /// The inputs stacked along a new first axis, and the targets likewise.
  ///
  /// - Parameter elements: One or more `(input, target)` pairs, the inputs of one shape and the
  ///   targets of one shape.
  public static func stacked(_ elements: [(Tensor, Tensor)]) -> (Tensor, Tensor) {
    (Tensor(stacking: elements.map(\.0)), Tensor(stacking: elements.map(\.1)))
  }

  /// For each position, the elements' tensors at that position stacked along a new first axis.
  ///
  /// - Parameter elements: One or more arrays of tensors, all of one length.
  public static func stacked(_ elements: [[Tensor]]) -> [Tensor] {
    let width = elements.first?.count ?? 0
    require(
      elements.allSatisfy { $0.count == width },
      "Collate.stacked: elements hold \(Set(elements.map(\.count)).sorted()) tensors, not one count"
    )
    return (0..<width).map { position in Tensor(stacking: elements.map { $0[position] }) }
  }
}
