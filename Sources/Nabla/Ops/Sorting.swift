// Sorting along one axis with PyTorch's semantics (`torch.sort`, `torch.argsort`,
// `torch.topk`). NaN counts as larger than every number, so it comes last in ascending order and
// first in descending order; -0.0 and 0.0 are equal. Equal elements always keep their input
// order, which is PyTorch's `stable=True`. The values are gathered through the indices, so their
// gradient is scattered back to the positions they came from.

extension Tensor {
  /// The elements sorted along `axis`, with the position each one came from, as `torch.sort`.
  ///
  /// NaN counts as the largest value: it comes last in ascending order and first in descending
  /// order. Equal elements keep their input order, in both directions (PyTorch's
  /// `stable=True`). Every dtype sorts; the values keep the dtype, and the gradient of a
  /// float32 or float64 tensor's values goes back to the positions in `indices`.
  ///
  /// ```swift
  /// let (values, indices) = Tensor([3, 1, 2, 1]).sorted()
  /// values   // [1, 1, 2, 3]
  /// indices  // [1, 3, 2, 0], int64
  /// Tensor([3, 1, 2, 1]).sorted(descending: true).indices  // [0, 2, 1, 3]
  /// ```
  ///
  /// - Parameters:
  ///   - axis: The axis to sort along; negative counts from the end.
  ///   - descending: Whether the largest element comes first.
  ///   - stable: Accepted for PyTorch's signature; the sort is always stable, so it changes
  ///     nothing.
  /// - Returns: The sorted `values`, of this tensor's shape and dtype, and the int64 `indices`
  ///   along `axis` of the elements they were taken from.
  public func sorted(alongAxis axis: Int = -1, descending: Bool = false, stable: Bool = false)
    -> (values: Tensor, indices: Tensor)
  {
    let axis = sortingAxis(axis, "sorted")
    let indices = sortingOrder(alongAxis: axis, descending: descending)
    return (taking(indices, alongAxis: axis), indices)
  }

  /// The positions that sort the tensor along `axis`, as `torch.argsort`: the indices of
  /// `sorted(alongAxis:descending:stable:)`, with NaN the largest value and equal elements in
  /// their input order.
  ///
  /// ```swift
  /// Tensor([3, 1, 2, 1]).argsort()                  // [1, 3, 2, 0], int64
  /// Tensor([3, 1, 2, 1]).argsort(descending: true)  // [0, 2, 1, 3]
  /// ```
  ///
  /// - Parameters:
  ///   - axis: The axis to sort along; negative counts from the end.
  ///   - descending: Whether the position of the largest element comes first.
  ///   - stable: Accepted for PyTorch's signature; the order is always stable, so it changes
  ///     nothing.
  /// - Returns: An int64 tensor of this tensor's shape.
  public func argsort(alongAxis axis: Int = -1, descending: Bool = false, stable: Bool = false)
    -> Tensor
  {
    sortingOrder(alongAxis: sortingAxis(axis, "argsort"), descending: descending)
  }

  /// The `k` largest (or smallest) elements along `axis`, with their positions, as
  /// `torch.topk`.
  ///
  /// The elements come in sorted order, largest first (smallest first when `largest` is
  /// false), with NaN counted as the largest value. Tied elements come in their input order,
  /// as in `sorted(alongAxis:descending:stable:)`. PyTorch's CPU `topk` gives the same values,
  /// but it returns tied elements in an order of its own, so where equal values are taken the
  /// indices can differ from PyTorch's. The gradient of the values goes back to the positions in
  /// `indices`. Unlike PyTorch's `topk`, this works on bool tensors too.
  ///
  /// ```swift
  /// let (values, indices) = Tensor([1, 5, 2, 4]).topK(2)
  /// values   // [5, 4]
  /// indices  // [1, 3], int64
  /// Tensor([1, 5, 2, 4]).topK(2, largest: false).values  // [1, 2]
  /// ```
  ///
  /// - Parameters:
  ///   - k: How many elements to take, from 0 to the size of `axis`.
  ///   - axis: The axis to take them along; negative counts from the end.
  ///   - largest: Whether to take the largest elements (or the smallest).
  ///   - sorted: Accepted for PyTorch's signature; the elements always come sorted, one of the
  ///     orders PyTorch allows when it is false.
  /// - Returns: The `values`, of this tensor's shape with `k` along `axis` and of its dtype, and
  ///   the int64 `indices` along `axis` of the elements they were taken from.
  public func topK(_ k: Int, alongAxis axis: Int = -1, largest: Bool = true, sorted: Bool = true)
    -> (values: Tensor, indices: Tensor)
  {
    let axis = sortingAxis(axis, "topK")
    let size = rank == 0 ? 1 : shape[axis]
    require(
      k >= 0 && k <= size,
      "topK: k \(k) is out of range for axis \(axis) of size \(size) in shape \(describe(shape))")
    // A rank-0 tensor is its own top element, for k = 0 too, as in PyTorch.
    if rank == 0 { return (self, Tensor(indices: [0], shape: [])) }
    let order = sortingOrder(alongAxis: axis, descending: largest)
    let indices = k == size ? order : order.narrowed(alongAxis: axis, start: 0, length: k)
    return (taking(indices, alongAxis: axis), indices)
  }

  /// `axis` made non-negative; a rank-0 tensor has one axis to sort along, 0 or -1, as in
  /// PyTorch.
  private func sortingAxis(_ axis: Int, _ op: String) -> Int {
    normalizeAxis(rank == 0 && axis == -1 ? 0 : axis, rank: rank, op: op)
  }

  /// The elements at `indices` along `axis` (already non-negative): a gather, through which the
  /// gradient flows, or the tensor itself when it has rank 0.
  private func taking(_ indices: Tensor, alongAxis axis: Int) -> Tensor {
    rank == 0 ? self : gather(alongAxis: axis, indices: indices)
  }

  /// The int64 positions that sort each line along `axis` (already non-negative), stably.
  private func sortingOrder(alongAxis axis: Int, descending: Bool) -> Tensor {
    let (outer, size, inner) = rank == 0 ? (1, 1, 1) : outerAxisInner(shape, axis: axis)
    let order = Tensor(empty: shape, dtype: .int64)
    // Half-precision values compare exactly as float32, the small integers as int64.
    let keys = converted(to: dtype.comparisonType)
    func write<Key: Comparable>(_ type: Key.Type) {
      keys.withUnsafeBufferPointer(as: type) { keys in
        writeSortingOrder(
          keys, outer: outer, size: size, inner: inner, descending: descending, into: order.i64)
      }
    }
    switch keys.dtype {
    case .float32: write(Float.self)
    case .float64: write(Double.self)
    default: write(Int64.self)
    }
    return order
  }
}

/// Writes into `order`, for each line of `size` elements (`inner` apart) in an
/// [outer, size, inner] layout, the positions its elements had, in sorted order.
///
/// A NaN (the only value unequal to itself) counts as larger than every number, and ties are
/// broken by position, so the order is total and any sort of it is the stable sort.
private func writeSortingOrder<Key: Comparable>(
  _ keys: UnsafeBufferPointer<Key>, outer: Int, size: Int, inner: Int, descending: Bool,
  into order: UnsafeMutablePointer<Int64>
) {
  func less(_ a: Key, _ b: Key) -> Bool { a == a && (b != b || a < b) }
  var line: [Key] = []
  line.reserveCapacity(size)
  for block in 0..<outer {
    for column in 0..<inner {
      let base = block * size * inner + column
      line.removeAll(keepingCapacity: true)
      for position in 0..<size { line.append(keys[base + position * inner]) }
      var positions = Array(0..<size)
      positions.sort { i, j in
        let (a, b) = descending ? (line[j], line[i]) : (line[i], line[j])
        return less(a, b) || !less(b, a) && i < j
      }
      for (rank, position) in positions.enumerated() {
        order[base + rank * inner] = Int64(position)
      }
    }
  }
}
