/// Shape arithmetic shared by the ops: strides, axes and broadcasting, each decided in one place.

/// Row-major strides, in elements, of a contiguous tensor of `shape`.
func contiguousStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var stride = 1
  for axis in shape.indices.reversed() {
    strides[axis] = stride
    stride *= shape[axis]
  }
  return strides
}

/// The shape two operands broadcast to under NumPy's rules (align trailing dimensions; a
/// dimension of 1 stretches), or a stop naming the op and both shapes.
func broadcastShape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
  let rank = max(a.count, b.count)
  var result = [Int](repeating: 1, count: rank)
  for axis in 0..<rank {
    let x = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
    let y = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
    require(
      x == y || x == 1 || y == 1,
      "\(op): shapes \(describe(a)) and \(describe(b)) cannot be broadcast together "
        + "(\(x) != \(y) at dimension \(axis))")
    result[axis] = x == 1 ? y : x
  }
  return result
}

/// Strides that read a contiguous tensor of `shape` as if it had the larger `target` shape:
/// 0 along every broadcast dimension.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
  let own = contiguousStrides(shape)
  let offset = target.count - shape.count
  return target.indices.map { axis in
    axis < offset || shape[axis - offset] == 1 ? 0 : own[axis - offset]
  }
}

/// `axis` made non-negative (`-1` is the last axis), or a stop naming the op and the rank.
func normalizeAxis(_ axis: Int, rank: Int, op: String) -> Int {
  let normalized = axis < 0 ? axis + rank : axis
  require(
    normalized >= 0 && normalized < max(rank, 1),
    "\(op): axis \(axis) is out of range for a tensor of rank \(rank)")
  return normalized
}

/// Several axes made non-negative, sorted and checked for repeats.
func normalizeAxes(_ axes: [Int], rank: Int, op: String) -> [Int] {
  let normalized = axes.map { normalizeAxis($0, rank: rank, op: op) }.sorted()
  require(
    Set(normalized).count == normalized.count, "\(op): axes \(axes) name the same axis twice")
  return normalized
}

/// Splits a shape around `axis` into the sizes of [outer, axis, inner], the layout most
/// kernels work on.
func outerAxisInner(_ shape: [Int], axis: Int) -> (outer: Int, size: Int, inner: Int) {
  (
    shape[..<axis].reduce(1, *), shape.isEmpty ? 1 : shape[axis],
    shape[(axis + 1)...].reduce(1, *)
  )
}

/// Merges neighbouring dimensions that a strided walk can treat as one, to shorten the loops in
/// the kernels. Every operand's strides must allow the merge for it to happen.
func coalesce(_ shape: [Int], _ strides: [[Int]]) -> ([Int], [[Int]]) {
  // Axes of size 1 are skipped first: whatever their strides (a broadcast one's is 0), they
  // take no step, and left in they would stop the merge of the axes around them.
  let kept = shape.indices.filter { shape[$0] != 1 }
  if kept.count < shape.count && !kept.isEmpty {
    return coalesce(kept.map { shape[$0] }, strides.map { s in kept.map { s[$0] } })
  }
  guard shape.count > 1 else { return (shape, strides) }
  var newShape = [shape[0]]
  var newStrides = strides.map { [$0[0]] }
  for axis in 1..<shape.count {
    let mergeable = strides.allSatisfy { $0[axis - 1] == $0[axis] * shape[axis] }
    if mergeable {
      newShape[newShape.count - 1] *= shape[axis]
      for operand in strides.indices {
        newStrides[operand][newStrides[operand].count - 1] = strides[operand][axis]
      }
    } else {
      newShape.append(shape[axis])
      for operand in strides.indices { newStrides[operand].append(strides[operand][axis]) }
    }
  }
  return (newShape, newStrides)
}
