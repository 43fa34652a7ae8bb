/// A dataset of tensors that share their first axis: element `i` is the `i`-th slice of each, as
/// `torch.utils.data.TensorDataset`.
///
/// The element type follows from how it is made: one tensor gives `Tensor` elements, two give
/// `(input, target)` pairs, an array gives arrays. Reading cannot fail.
///
/// ```swift
/// let inputs = Tensor.randomNormal([100, 3])
/// let targets = Tensor(indices: Array(repeating: 1, count: 100))
/// let dataset = TensorDataset(inputs, targets)
/// let (x, y) = dataset.element(at: 0)  // shapes [3] and []
/// ```
public struct TensorDataset<Element>: Dataset {
  /// The tensors the elements are sliced from, each with `count` as its first dimension.
  public let tensors: [Tensor]
  /// Makes an element from the slices of `tensors` at one index.
  private let makeElement: ([Tensor]) -> Element

  /// A dataset of `tensors`, which have been checked to share their first axis.
  init(checked tensors: [Tensor], makeElement: @escaping ([Tensor]) -> Element) {
    self.tensors = tensors
    self.makeElement = makeElement
  }

  /// A dataset of `tensors`, stopping with a message naming the shapes when they do not share
  /// their first axis.
  init(_ tensors: [Tensor], makeElement: @escaping ([Tensor]) -> Element) {
    if let problem = Self.firstAxisProblem(tensors.map(\.shape)) {
      stop("TensorDataset: \(problem)")
    }
    self.init(checked: tensors, makeElement: makeElement)
  }

  /// What is wrong with tensors of `shapes` for a dataset, or nil when they share a first axis.
  static func firstAxisProblem(_ shapes: [[Int]]) -> String? {
    if shapes.isEmpty { return "needs at least one tensor" }
    let listed = shapes.map(describe).joined(separator: ", ")
    if shapes.contains(where: \.isEmpty) {
      return "tensors of shapes \(listed) must each have an axis to index, but one is a scalar"
    }
    let sizes = shapes.map { $0[0] }
    if sizes.contains(where: { $0 != sizes[0] }) {
      return "tensors of shapes \(listed) do not share their first axis "
        + "(\(sizes.map(String.init).joined(separator: " != ")))"
    }
    return nil
  }

  /// The size of the tensors' first axis.
  public var count: Int { tensors[0].shape[0] }

  /// The `index`-th slice along the first axis of each tensor.
  ///
  /// - Parameter index: A position in `0..<count`.
  public func element(at index: Int) -> Element {
    requireIndex(index, "TensorDataset")
    return makeElement(tensors.map { $0[index] })
  }

  /// The elements at `indices` already stacked, as the default collate stacks them: each
  /// tensor's rows copied in one op (one contiguous copy when the indices are consecutive).
  ///
  /// - Parameter indices: Positions in `0..<count`, at least one.
  func batch(at indices: ArraySlice<Int>) -> Element {
    for index in indices { requireIndex(index, "TensorDataset") }
    let first = indices.first!
    let isRun = indices.elementsEqual(first..<(first + indices.count))
    let positions = isRun ? nil : Tensor(indices: Array(indices))
    return makeElement(
      tensors.map { tensor in
        positions.map { tensor.indexSelect(alongAxis: 0, indices: $0) }
          ?? tensor.narrowed(alongAxis: 0, start: first, length: indices.count)
      })
  }
}

extension TensorDataset where Element == Tensor {
  /// A dataset whose elements are the slices of `tensor` along its first axis.
  ///
  /// - Parameter tensor: A tensor of rank 1 or more.
  public init(_ tensor: Tensor) {
    self.init([tensor]) { $0[0] }
  }
}

extension TensorDataset where Element == (Tensor, Tensor) {
  /// A dataset of `(input, target)` pairs: the slices of `inputs` and `targets` at each index.
  ///
  /// - Parameters:
  ///   - inputs: The inputs, one per slice of the first axis.
  ///   - targets: The targets, with the same first dimension as `inputs`.
  public init(_ inputs: Tensor, _ targets: Tensor) {
    self.init([inputs, targets]) { ($0[0], $0[1]) }
  }
}

extension TensorDataset where Element == [Tensor] {
  /// A dataset whose elements hold the slice of each of `tensors` at one index, in order.
  ///
  /// - Parameter tensors: One or more tensors with the same first dimension.
  public init(_ tensors: [Tensor]) {
    self.init(tensors) { $0 }
  }
}
