import CNablaKernels

/// Something that selects along one axis in a tensor subscript: an `Int` (which removes the
/// axis; negative counts from the end), a range such as `1..<3`, `2...`, `..<4`, or `TensorRange`
/// with a step.
public protocol TensorIndex {
  /// The start, the number of elements and the step selected from an axis of `size`, and
  /// whether the axis is removed; nil when the selection falls outside the axis.
  func resolve(size: Int) -> (start: Int, count: Int, step: Int, removesAxis: Bool)?
}

/// A selection along an axis with a step, like Python's `start:end:step`.
///
/// ```swift
/// x[TensorRange(0, nil, step: 2)]  // every other row
/// ```
public struct TensorRange: TensorIndex, Sendable {
  /// The first position (negative counts from the end); nil means the start of the axis.
  public var start: Int?
  /// The position after the last (negative counts from the end); nil means the axis's end.
  public var end: Int?
  /// The distance between selected positions; must be positive.
  public var step: Int

  /// Creates a selection `start..<end` taking every `step`-th element.
  public init(_ start: Int? = nil, _ end: Int? = nil, step: Int = 1) {
    self.start = start
    self.end = end
    self.step = step
    require(step > 0, "TensorRange: step \(step) must be positive")
  }

  /// Every element of the axis.
  public static let all = TensorRange()

  /// The selection this index makes from an axis of `size` (see `TensorIndex`).
  public func resolve(size: Int) -> (start: Int, count: Int, step: Int, removesAxis: Bool)? {
    guard step > 0 else { return nil }
    func clamp(_ value: Int) -> Int {
      Swift.min(Swift.max(value < 0 ? value + size : value, 0), size)
    }
    let first = clamp(start ?? 0)
    let last = clamp(end ?? size)
    let count = last > first ? (last - first + step - 1) / step : 0
    return (first, count, step, false)
  }
}

extension Int: TensorIndex {
  /// The selection this index makes from an axis of `size` (see `TensorIndex`).
  public func resolve(size: Int) -> (start: Int, count: Int, step: Int, removesAxis: Bool)? {
    let position = self < 0 ? self + size : self
    return position >= 0 && position < size ? (position, 1, 1, true) : nil
  }
}

extension Range<Int>: TensorIndex {
  /// The selection this index makes from an axis of `size` (see `TensorIndex`).
  public func resolve(size: Int) -> (start: Int, count: Int, step: Int, removesAxis: Bool)? {
    TensorRange(lowerBound, upperBound).resolve(size: size)
  }
}

extension ClosedRange<Int>: TensorIndex {
  /// The selection this index makes from an axis of `size` (see `TensorIndex`).
  public func resolve(size: Int) -> (start: Int, count: Int, step: Int, removesAxis: Bool)? {
    TensorRange(lowerBound, upperBound == -1 ? nil : upperBound + 1).resolve(size: size)
  }
}

extension PartialRangeFrom<Int>: TensorIndex {
  /// The selection this index makes from an axis of `size` (see `TensorIndex`).
  public func resolve(size: Int) -> (start: Int, count: Int, step: Int, removesAxis: Bool)? {
    TensorRange(lowerBound, nil).resolve(size: size)
  }
}

extension PartialRangeUpTo<Int>: TensorIndex {
  /// The selection this index makes from an axis of `size` (see `TensorIndex`).
  public func resolve(size: Int) -> (start: Int, count: Int, step: Int, removesAxis: Bool)? {
    TensorRange(nil, upperBound).resolve(size: size)
  }
}

extension PartialRangeThrough<Int>: TensorIndex {
  /// The selection this index makes from an axis of `size` (see `TensorIndex`).
  public func resolve(size: Int) -> (start: Int, count: Int, step: Int, removesAxis: Bool)? {
    TensorRange(nil, upperBound == -1 ? nil : upperBound + 1).resolve(size: size)
  }
}

extension Tensor {
  /// Selects along the leading axes, as Python's `x[i, a:b]`: an `Int` removes its axis,
  /// ranges keep it; axes not named are kept whole. Returns a copy.
  ///
  /// ```swift
  /// let x = Tensor.arange(0, 12).reshaped([3, 4])
  /// x[1]           // row 1, shape [4]
  /// x[0..<2, 1...] // shape [2, 3]
  /// ```
  public subscript(_ indices: any TensorIndex...) -> Tensor {
    require(
      indices.count <= rank,
      "subscript: \(indices.count) indices for a tensor of rank \(rank), shape \(describe(shape))")
    var selections: [(start: Int, count: Int, step: Int, removesAxis: Bool)] = []
    for (axis, index) in indices.enumerated() {
      guard let selection = index.resolve(size: shape[axis]) else {
        stop(
          "subscript: index \(index) is out of range for axis \(axis) of size \(shape[axis]) "
            + "in shape \(describe(shape))")
      }
      selections.append(selection)
    }
    for axis in indices.count..<rank { selections.append((0, shape[axis], 1, false)) }
    let sliced = slice(selections.map { ($0.start, $0.count, $0.step) }, op: "subscript")
    return sliced.reshaped(zip(selections, sliced.shape).filter { !$0.0.removesAxis }.map(\.1))
  }

  /// `length` elements of `axis` starting at `start`, as `torch.narrow`.
  public func narrowed(alongAxis axis: Int, start: Int, length: Int) -> Tensor {
    let axis = normalizeAxis(axis, rank: rank, op: "narrowed")
    let first = start < 0 ? start + shape[axis] : start
    require(
      first >= 0 && length >= 0 && first + length <= shape[axis],
      "narrowed: start \(start) and length \(length) do not fit axis \(axis) of size "
        + "\(shape[axis]) in shape \(describe(shape))")
    var ranges = shape.map { (start: 0, count: $0, step: 1) }
    ranges[axis] = (first, length, 1)
    return slice(ranges, op: "narrowed")
  }

  /// `length` elements of `axis` starting at `start`: `narrowed(alongAxis:start:length:)`
  /// under its earlier name.
  @available(*, deprecated, renamed: "narrowed(alongAxis:start:length:)")
  public func narrow(alongAxis axis: Int, start: Int, length: Int) -> Tensor {
    narrowed(alongAxis: axis, start: start, length: length)
  }

  /// The view described by a start, count and step per axis, copied; its gradient is scattered
  /// back into zeros of the input's shape.
  private func slice(_ ranges: [(start: Int, count: Int, step: Int)], op: String) -> Tensor {
    let strides = contiguousStrides(shape)
    let offset = zip(ranges, strides).reduce(0) { $0 + $1.0.start * $1.1 }
    let viewStrides = zip(ranges, strides).map { $0.step * $1 }
    let viewShape = ranges.map(\.count)
    if viewShape == shape { return self }
    let result = materialize(shape: viewShape, strides: viewStrides, offset: offset)
    let (inputShape, inputType) = (shape, dtype)
    return record(op, result, [self]) { g in
      let gradient = Tensor.zeros(inputShape, dtype: inputType)
      Tensor.copyStrided(
        from: g, offset: 0, strides: contiguousStrides(viewShape), into: gradient,
        offset: offset, strides: viewStrides, shape: viewShape)
      return [gradient]
    }
  }

  /// Joins tensors along an existing axis; all other dimensions must match.
  ///
  /// ```swift
  /// Tensor(concatenating: [a, b], alongAxis: 0)  // [2, 3] and [4, 3] give [6, 3]
  /// ```
  public init(concatenating tensors: [Tensor], alongAxis axis: Int = 0) {
    require(!tensors.isEmpty, "concatenating: needs at least one tensor")
    let first = tensors[0]
    require(
      first.rank > 0,
      "concatenating: rank-0 tensors have no axis to join along; use Tensor(stacking:)")
    let axis = normalizeAxis(axis, rank: first.rank, op: "concatenating")
    for tensor in tensors {
      let matches =
        tensor.rank == first.rank && tensor.dtype == first.dtype
        && tensor.shape.indices.allSatisfy { $0 == axis || tensor.shape[$0] == first.shape[$0] }
      require(
        matches,
        "concatenating: shapes \(tensors.map { describe($0.shape) }.joined(separator: ", ")) "
          + "(\(tensors.map(\.dtype.rawValue).joined(separator: ", "))) do not match outside "
          + "axis \(axis)")
    }
    var shape = first.shape
    shape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
    let result = Tensor(empty: shape, dtype: first.dtype)
    let strides = contiguousStrides(shape)
    var offset = 0
    for tensor in tensors {
      Tensor.copyStrided(
        from: tensor, offset: 0, strides: contiguousStrides(tensor.shape), into: result,
        offset: offset * strides[axis], strides: strides, shape: tensor.shape)
      offset += tensor.shape[axis]
    }
    let sizes = tensors.map { $0.shape[axis] }
    self = first.record("concatenating", result, tensors) { g in
      var start = 0
      return sizes.map { size in
        defer { start += size }
        return g.narrowed(alongAxis: axis, start: start, length: size)
      }
    }
  }

  /// Stacks tensors of one shape along a new axis, as `torch.stack`.
  public init(stacking tensors: [Tensor], alongAxis axis: Int = 0) {
    require(!tensors.isEmpty, "stacking: needs at least one tensor")
    let shape = tensors[0].shape
    require(
      tensors.allSatisfy { $0.shape == shape },
      "stacking: shapes \(tensors.map { describe($0.shape) }.joined(separator: ", ")) differ")
    self.init(concatenating: tensors.map { $0.unsqueezed(at: axis) }, alongAxis: axis)
  }

  /// Splits along `axis` into pieces of the given sizes, which must add up to the axis size.
  public func split(sizes: [Int], alongAxis axis: Int = 0) -> [Tensor] {
    let axis = normalizeAxis(axis, rank: rank, op: "split")
    require(
      sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[axis],
      "split: sizes \(sizes) do not add up to axis \(axis) of size \(shape[axis])")
    var start = 0
    return sizes.map { size in
      defer { start += size }
      return narrowed(alongAxis: axis, start: start, length: size)
    }
  }

  /// Splits along `axis` into pieces of `size` elements (the last may be smaller); an empty
  /// axis gives one empty piece, as `torch.split`.
  public func split(size: Int, alongAxis axis: Int = 0) -> [Tensor] {
    require(size > 0, "split: piece size \(size) must be positive")
    let length = shape[normalizeAxis(axis, rank: rank, op: "split")]
    let sizes =
      length == 0 ? [0] : stride(from: 0, to: length, by: size).map { Swift.min(size, length - $0) }
    return split(sizes: sizes, alongAxis: axis)
  }

  /// Splits along `axis` into at most `count` pieces of equal size (the last may be smaller),
  /// as `torch.chunk`; an empty axis gives `count` empty pieces.
  public func chunked(_ count: Int, alongAxis axis: Int = 0) -> [Tensor] {
    require(count > 0, "chunked: count \(count) must be positive")
    let length = shape[normalizeAxis(axis, rank: rank, op: "chunked")]
    if length == 0 { return split(sizes: [Int](repeating: 0, count: count), alongAxis: axis) }
    return split(size: (length + count - 1) / count, alongAxis: axis)
  }

  /// Checks that `indices` is int64 and every entry lies in `0..<size`.
  private func requireIndices(_ indices: Tensor, size: Int, axis: Int, _ op: String) {
    require(
      indices.dtype == .int64,
      "\(op): indices must be int64, got \(indices.dtype) of shape \(describe(indices.shape))")
    indices.withUnsafeBufferPointer(as: Int64.self) { buffer in
      for index in buffer where index < 0 || index >= size {
        stop(
          "\(op): index \(index) is out of range for axis \(axis) of size \(size) in shape "
            + "\(describe(shape))")
      }
    }
  }

  /// Picks, along `axis`, the element each entry of `indices` names, as `torch.gather`:
  /// for axis 1, `result[i][j] = self[i][indices[i][j]]`. `indices` has this tensor's rank and
  /// no larger size on the other axes.
  public func gather(alongAxis axis: Int, indices: Tensor) -> Tensor {
    let axis = normalizeAxis(axis, rank: rank, op: "gather")
    require(
      indices.rank == rank
        && shape.indices.allSatisfy { $0 == axis || indices.shape[$0] <= shape[$0] },
      "gather: indices of shape \(describe(indices.shape)) do not fit input of shape "
        + "\(describe(shape)) along axis \(axis)")
    requireIndices(indices, size: shape[axis], axis: axis, "gather")
    // Restrict the other axes to the index's extent, so both share [outer, *, inner].
    var source = self
    for other in shape.indices where other != axis && indices.shape[other] < shape[other] {
      source = source.narrowed(alongAxis: other, start: 0, length: indices.shape[other])
    }
    return source.gatherKernel(axis: axis, indices: indices)
  }

  private func gatherKernel(axis: Int, indices: Tensor) -> Tensor {
    let (outer, size, inner) = outerAxisInner(shape, axis: axis)
    let count = indices.shape[axis]
    let result = Tensor(empty: indices.shape, dtype: dtype)
    nabla_gather(
      dtype.byteCount, outer, size, count, inner, storage.data, indices.i64, result.storage.data)
    let (inputShape, inputType) = (shape, dtype)
    return record("gather", result, [self]) { g in
      let gradient = Tensor.zeros(inputShape, dtype: inputType)
      func backward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.scatterAdd(
          outer, size, count, inner, g.data(Scalar.self), indices.i64, gradient.data(Scalar.self))
      }
      inputType.isSingle ? backward(Float.self) : backward(Double.self)
      return [gradient]
    }
  }

  /// The slices along `axis` at the positions in the 1-D int64 `indices`, as
  /// `torch.index_select`; repeated indices repeat slices (their gradients add up).
  ///
  /// ```swift
  /// table.indexSelect(alongAxis: 0, indices: Tensor(indices: [3, 0, 3]))  // rows 3, 0, 3
  /// ```
  public func indexSelect(alongAxis axis: Int, indices: Tensor) -> Tensor {
    let axis = normalizeAxis(axis, rank: rank, op: "indexSelect")
    require(
      indices.rank == 1,
      "indexSelect: indices must be 1-D, got shape \(describe(indices.shape))")
    requireIndices(indices, size: shape[axis], axis: axis, "indexSelect")
    let (outer, size, inner) = outerAxisInner(shape, axis: axis)
    let count = indices.scalarCount
    var newShape = shape
    newShape[axis] = count
    let result = Tensor(empty: newShape, dtype: dtype)
    nabla_index_select(
      dtype.byteCount, outer, size, count, inner, storage.data, indices.i64, result.storage.data)
    let (inputShape, inputType) = (shape, dtype)
    return record("indexSelect", result, [self]) { g in
      let gradient = Tensor.zeros(inputShape, dtype: inputType)
      func backward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.indexAdd(
          outer, size, count, inner, g.data(Scalar.self), indices.i64, gradient.data(Scalar.self))
      }
      inputType.isSingle ? backward(Float.self) : backward(Double.self)
      return [gradient]
    }
  }
}
