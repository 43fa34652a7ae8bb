import CNablaKernels

// Shape ops. Tensors are always contiguous, so reshaping shares memory while permuting,
// expanding and slicing copy through one strided-copy kernel (`materialize`).

extension Tensor {
  /// Copies the strided view (`shape`, `strides`, `offset`, in elements) of this tensor's
  /// buffer into a new contiguous tensor; records nothing.
  func materialize(shape: [Int], strides: [Int], offset: Int = 0) -> Tensor {
    let result = Tensor(empty: shape, dtype: dtype)
    Tensor.copyStrided(
      from: self, offset: offset, strides: strides, into: result, offset: 0,
      strides: contiguousStrides(shape), shape: shape)
    return result
  }

  /// Copies a view of `source` into a view of `destination`; both views have `shape`.
  static func copyStrided(
    from source: Tensor, offset sourceOffset: Int, strides sourceStrides: [Int],
    into destination: Tensor, offset destinationOffset: Int, strides destinationStrides: [Int],
    shape: [Int]
  ) {
    let (loopShape, strides) = coalesce(shape, [sourceStrides, destinationStrides])
    require(loopShape.count <= NABLA_MAX_RANK, "copy: rank \(shape.count) is too large")
    let size = source.dtype.byteCount
    nabla_copy_strided(
      size, loopShape.count, loopShape, source.storage.data + sourceOffset * size, strides[0],
      destination.storage.data + destinationOffset * size, strides[1])
  }

  /// The same elements in a new shape; one dimension may be -1 and is then inferred.
  /// Shares memory with the original.
  ///
  /// ```swift
  /// Tensor.arange(0, 6).reshaped([2, -1])  // shape [2, 3]
  /// ```
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var resolved = newShape
    let inferred = newShape.indices.filter { newShape[$0] == -1 }
    require(inferred.count <= 1, "reshaped: only one dimension can be -1 in \(describe(newShape))")
    let known = newShape.filter { $0 != -1 }.reduce(1, *)
    if let axis = inferred.first {
      require(
        known > 0 && scalarCount % known == 0,
        "reshaped: shape \(describe(shape)) cannot be reshaped to \(describe(newShape))")
      resolved[axis] = scalarCount / known
    }
    require(
      resolved.allSatisfy { $0 >= 0 } && resolved.reduce(1, *) == scalarCount,
      "reshaped: shape \(describe(shape)) (\(scalarCount) elements) cannot be reshaped to "
        + "\(describe(newShape))")
    if resolved == shape { return self }
    let result = Tensor(storage: storage, shape: resolved)
    let original = shape
    return record("reshaped", result, [self]) { g in [g.reshaped(original)] }
  }

  /// Merges the axes from `start` through `end` (inclusive) into one, as `torch.flatten`.
  public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
    if rank == 0 { return reshaped([1]) }
    let first = normalizeAxis(start, rank: rank, op: "flattened")
    let last = normalizeAxis(end, rank: rank, op: "flattened")
    require(first <= last, "flattened: start axis \(start) comes after end axis \(end)")
    let merged = shape[first...last].reduce(1, *)
    return reshaped(Array(shape[..<first]) + [merged] + Array(shape[(last + 1)...]))
  }

  /// Removes axes of size 1: the given ones (which must have size 1), or all of them.
  public func squeezed(axes: [Int]? = nil) -> Tensor {
    let remove =
      axes.map { normalizeAxes($0, rank: rank, op: "squeezed") }
      ?? shape.indices.filter { shape[$0] == 1 }
    for axis in remove {
      require(
        shape[axis] == 1,
        "squeezed: axis \(axis) has size \(shape[axis]), not 1, in shape \(describe(shape))")
    }
    return reshaped(shape.indices.filter { !remove.contains($0) }.map { shape[$0] })
  }

  /// Inserts an axis of size 1 at `axis` (which may equal the rank, or be negative).
  public func unsqueezed(at axis: Int) -> Tensor {
    let position = normalizeAxis(axis, rank: rank + 1, op: "unsqueezed")
    var newShape = shape
    newShape.insert(1, at: position)
    return reshaped(newShape)
  }

  /// Reorders the axes: axis `i` of the result is axis `axes[i]` of this tensor.
  ///
  /// ```swift
  /// Tensor.zeros([2, 3, 4]).permuted([2, 0, 1]).shape  // [4, 2, 3]
  /// ```
  public func permuted(_ axes: [Int]) -> Tensor {
    let order = axes.map { normalizeAxis($0, rank: rank, op: "permuted") }
    require(
      order.count == rank && Set(order).count == rank,
      "permuted: \(axes) is not a permutation of the \(rank) axes of shape \(describe(shape))")
    if order == Array(0..<rank) { return self }
    let strides = contiguousStrides(shape)
    let result = materialize(shape: order.map { shape[$0] }, strides: order.map { strides[$0] })
    var inverse = order
    for (position, axis) in order.enumerated() { inverse[axis] = position }
    return record("permuted", result, [self]) { g in [g.permuted(inverse)] }
  }

  /// Swaps two axes (by default the last two, the matrix transpose).
  public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) -> Tensor {
    require(rank >= 2, "transposed: a tensor of rank \(rank) has no two axes to swap")
    let a = normalizeAxis(axis0, rank: rank, op: "transposed")
    let b = normalizeAxis(axis1, rank: rank, op: "transposed")
    var order = Array(0..<rank)
    order.swapAt(a, b)
    return permuted(order)
  }

  /// Broadcasts the tensor to a larger `shape` (NumPy rules; -1 keeps a dimension), copying.
  /// The gradient sums over the broadcast dimensions.
  public func expanded(to target: [Int]) -> Tensor {
    let offset = target.count - rank
    require(
      offset >= 0,
      "expanded: shape \(describe(shape)) cannot be expanded to the smaller rank of "
        + "\(describe(target))")
    let resolved = target.indices.map { axis in
      target[axis] == -1 && axis >= offset ? shape[axis - offset] : target[axis]
    }
    require(
      resolved.allSatisfy { $0 >= 0 },
      "expanded: -1 in \(describe(target)) can only keep an existing dimension of "
        + "\(describe(shape))")
    for axis in 0..<rank {
      require(
        shape[axis] == resolved[axis + offset] || shape[axis] == 1,
        "expanded: shape \(describe(shape)) cannot be expanded to \(describe(target))")
    }
    if resolved == shape { return self }
    let result = materialize(shape: resolved, strides: broadcastStrides(shape, to: resolved))
    let original = shape
    return record("expanded", result, [self]) { g in [g.sumToShape(original)] }
  }

  /// Tiles the tensor `repeats[i]` times along axis `i`, as `torch.Tensor.repeat`; extra leading
  /// entries in `repeats` add new axes.
  public func repeated(_ repeats: [Int]) -> Tensor {
    require(
      repeats.count >= rank && repeats.allSatisfy { $0 >= 0 },
      "repeated: repeats \(repeats) must be non-negative and at least as many as the rank \(rank)")
    let padded = [Int](repeating: 1, count: repeats.count - rank) + shape
    let strides = contiguousStrides(padded)
    // View as [r0, s0, r1, s1, ...] where each r axis has stride 0, then merge pairs.
    let tiledShape = zip(repeats, padded).flatMap { [$0, $1] }
    let tiledStrides = strides.flatMap { [0, $0] }
    let tiled = materialize(shape: tiledShape, strides: tiledStrides)
    let result = Tensor(storage: tiled.storage, shape: zip(repeats, padded).map { $0 * $1 })
    let original = shape
    return record("repeated", result, [self]) { g in
      let evenAxes = Array(stride(from: 0, to: tiledShape.count, by: 2))
      return [g.reshaped(tiledShape).sum(alongAxes: evenAxes).reshaped(original)]
    }
  }
}
