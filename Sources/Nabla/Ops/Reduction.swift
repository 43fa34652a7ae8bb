import CNablaKernels

// Reductions along any set of axes. `axes: nil` means every axis. With `keepingDims`, reduced
// axes stay as size 1 so the result broadcasts against the input.

extension Tensor {
  /// The shape after reducing `axes` (sorted, non-negative), with or without the kept ones.
  func reducedShape(_ axes: [Int], keepingDims: Bool) -> [Int] {
    keepingDims
      ? shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
      : shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
  }

  /// Runs a reduce kernel over each axis, innermost first, keeping dims; records nothing.
  private func reduceKernel(_ op: NablaReduceOp, _ axes: [Int], _ name: String) -> Tensor {
    var current = self
    for axis in axes.reversed() {
      let (outer, size, inner) = outerAxisInner(current.shape, axis: axis)
      require(
        size > 0 || op == NABLA_REDUCE_SUM,
        "\(name): cannot reduce axis \(axis) of size 0 in shape \(describe(shape))")
      var newShape = current.shape
      newShape[axis] = 1
      let result = Tensor(empty: newShape, dtype: dtype)
      func run<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.reduce(
          op, outer, size, inner, current.data(Scalar.self), result.data(Scalar.self))
      }
      dtype.isSingle ? run(Float.self) : run(Double.self)
      current = result
    }
    return current
  }

  func resolveAxes(_ axes: [Int]?, _ name: String) -> [Int] {
    requireFloatingPoint(name)
    return axes.map { normalizeAxes($0, rank: rank, op: name) } ?? Array(0..<rank)
  }

  /// The sum of the elements along `axes` (all axes when nil).
  ///
  /// ```swift
  /// let x = Tensor([1, 2, 3, 4], shape: [2, 2])
  /// x.sum()                  // 10
  /// x.sum(alongAxes: [0])    // [4, 6]
  /// ```
  public func sum(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    let axes = resolveAxes(axes, "sum")
    let kept = reduceKernel(NABLA_REDUCE_SUM, axes, "sum")
    let result = kept.reshaped(reducedShape(axes, keepingDims: keepingDims))
    let (inputShape, keptShape) = (shape, kept.shape)
    return record("sum", result, [self]) { g in
      [g.reshaped(keptShape).expanded(to: inputShape)]
    }
  }

  /// The sum along one axis.
  public func sum(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
    sum(alongAxes: [axis], keepingDims: keepingDims)
  }

  /// The arithmetic mean along `axes` (all axes when nil).
  public func mean(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    let resolved = resolveAxes(axes, "mean")
    let count = resolved.reduce(1) { $0 * shape[$1] }
    return sum(alongAxes: resolved, keepingDims: keepingDims) / Double(count)
  }

  /// The mean along one axis.
  public func mean(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
    mean(alongAxes: [axis], keepingDims: keepingDims)
  }

  /// The variance along `axes` (all axes when nil): the mean squared deviation divided by
  /// N − 1 when `unbiased` (PyTorch's default, Bessel's correction), or by N.
  public func variance(
    alongAxes axes: [Int]? = nil, unbiased: Bool = true, keepingDims: Bool = false
  ) -> Tensor {
    let resolved = resolveAxes(axes, "variance")
    let count = resolved.reduce(1) { $0 * shape[$1] }
    let deviation = self - mean(alongAxes: resolved, keepingDims: true)
    let divisor = Double(count - (unbiased ? 1 : 0))
    return deviation.squared().sum(alongAxes: resolved, keepingDims: keepingDims) / divisor
  }

  /// The variance along one axis.
  public func variance(alongAxis axis: Int, unbiased: Bool = true, keepingDims: Bool = false)
    -> Tensor
  {
    variance(alongAxes: [axis], unbiased: unbiased, keepingDims: keepingDims)
  }

  /// The largest element along `axes` (all axes when nil). The gradient is shared evenly by the
  /// elements that tie for the maximum, as PyTorch's `amax`.
  public func max(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    extreme(NABLA_REDUCE_MAX, axes, keepingDims, "max")
  }

  /// The largest element along one axis.
  public func max(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
    max(alongAxes: [axis], keepingDims: keepingDims)
  }

  /// The smallest element along `axes` (all axes when nil); ties share the gradient evenly.
  public func min(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    extreme(NABLA_REDUCE_MIN, axes, keepingDims, "min")
  }

  /// The smallest element along one axis.
  public func min(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
    min(alongAxes: [axis], keepingDims: keepingDims)
  }

  private func extreme(_ op: NablaReduceOp, _ axes: [Int]?, _ keepingDims: Bool, _ name: String)
    -> Tensor
  {
    let axes = resolveAxes(axes, name)
    let kept = reduceKernel(op, axes, name)
    let result = kept.reshaped(reducedShape(axes, keepingDims: keepingDims))
    let input = detached()
    return record(name, result, [self]) { g in
      let winners = input .== kept
      let ties = winners.sum(alongAxes: axes, keepingDims: true)
      return [winners * (g.reshaped(kept.shape) / ties)]
    }
  }

  /// The position of the largest element along `axis`, as `int64` (of the flattened tensor when
  /// `axis` is nil). The first position wins ties.
  public func argmax(alongAxis axis: Int? = nil, keepingDims: Bool = false) -> Tensor {
    argExtreme(false, axis, keepingDims, "argmax")
  }

  /// The position of the smallest element along `axis`, as `int64`.
  public func argmin(alongAxis axis: Int? = nil, keepingDims: Bool = false) -> Tensor {
    argExtreme(true, axis, keepingDims, "argmin")
  }

  private func argExtreme(_ isMin: Bool, _ axis: Int?, _ keepingDims: Bool, _ name: String)
    -> Tensor
  {
    guard let axis else {
      let flat = reshaped([scalarCount]).argExtreme(isMin, 0, false, name)
      return keepingDims ? flat.reshaped(shape.map { _ in 1 }) : flat.reshaped([])
    }
    let normalized = normalizeAxis(axis, rank: rank, op: name)
    let (outer, size, inner) = outerAxisInner(shape, axis: normalized)
    require(size > 0, "\(name): axis \(axis) of shape \(describe(shape)) is empty")
    let result = Tensor(empty: reducedShape([normalized], keepingDims: keepingDims), dtype: .int64)
    let flag: Int32 = isMin ? 1 : 0
    switch dtype {
    case .float32, .float64:
      func run<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.argReduce(flag, outer, size, inner, data(Scalar.self), result.i64)
      }
      dtype.isSingle ? run(Float.self) : run(Double.self)
    case .float16, .bfloat16, .int32, .uint8, .int8, .bool:
      return converted(to: dtype.comparisonType).argExtreme(isMin, axis, keepingDims, name)
    case .int64:
      // Exact for every integer (no float kernel); the first extreme wins, as in the kernels.
      for block in 0..<outer {
        for column in 0..<inner {
          let base = block * size * inner + column
          var best = 0
          for position in 1..<size {
            let (value, current) = (i64[base + position * inner], i64[base + best * inner])
            if isMin ? value < current : value > current { best = position }
          }
          result.i64[block * inner + column] = Int64(best)
        }
      }
    }
    return result
  }

  /// log(Σ eˣ) along `axes` (all axes when nil), computed stably by factoring out the maximum.
  public func logSumExp(alongAxes axes: [Int]? = nil, keepingDims: Bool = false) -> Tensor {
    let resolved = resolveAxes(axes, "logSumExp")
    let peak = withoutGradients {
      let peak = max(alongAxes: resolved, keepingDims: true)
      return Tensor.where(peak.abs() .== .infinity, peak.scalarLike(0), peak)
    }
    let shifted = (self - peak).exp().sum(alongAxes: resolved, keepingDims: true).log() + peak
    return keepingDims ? shifted : shifted.reshaped(reducedShape(resolved, keepingDims: false))
  }

  /// log(Σ eˣ) along one axis.
  public func logSumExp(alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
    logSumExp(alongAxes: [axis], keepingDims: keepingDims)
  }

  /// Sums a gradient of a broadcast result back to the `shape` of the operand that was
  /// broadcast: over the leading dimensions it lacked and over those where it had size 1.
  func sumToShape(_ target: [Int]) -> Tensor {
    if shape == target { return self }
    let offset = rank - target.count
    let axes = (0..<rank).filter { $0 < offset || target[$0 - offset] == 1 && shape[$0] != 1 }
    return sum(alongAxes: axes, keepingDims: true).reshaped(target)
  }
}
