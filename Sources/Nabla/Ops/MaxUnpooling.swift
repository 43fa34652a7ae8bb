// Max unpooling, as PyTorch's `max_unpool1d` and `max_unpool2d`: the partial inverse of max
// pooling, which puts each value back at the position its index names (the indices returned by
// `maxPool1dWithIndices` or `maxPool2dWithIndices`) and zeros everywhere else. Its gradient
// reads the output's gradient back at the same positions. A position named twice (overlapping
// windows can share a maximum) is written once, with the value of the last, and, as in PyTorch,
// every one of the duplicates receives its gradient.

extension Tensor {
  /// Puts the values of [N, C, L] (or [C, L]) back at the positions `indices` names in a longer
  /// signal of zeros, as PyTorch's `max_unpool1d`.
  ///
  /// - Parameters:
  ///   - indices: The int64 positions along the output's length, in this tensor's shape.
  ///   - kernelSize: The window length of the max pooling being undone.
  ///   - stride: Its stride; the kernel size when nil.
  ///   - padding: Its padding.
  ///   - outputSize: The output length; (L − 1)·stride − 2·padding + kernelSize when nil, and
  ///     less than a stride away from that when given.
  public func maxUnpool1d(
    indices: Tensor, kernelSize: Int, stride: Int? = nil, padding: Int = 0, outputSize: Int? = nil
  ) -> Tensor {
    let stride = stride ?? kernelSize
    return maxUnpool(
      indices: indices, kernel: [kernelSize], stride: [stride], padding: [padding],
      outputSize: outputSize.map { [$0] },
      context:
        "maxUnpool1d(kernelSize \(kernelSize), stride \(stride), padding \(padding), outputSize "
        + "\(outputSize.map(String.init) ?? "nil"))")
  }

  /// Puts the values of [N, C, H, W] (or [C, H, W]) back at the positions `indices` names in
  /// larger planes of zeros, as PyTorch's `max_unpool2d`.
  ///
  /// - Parameters:
  ///   - indices: The int64 positions h·W + w in the output's planes, in this tensor's shape.
  ///   - kernelSize: The window size of the max pooling being undone.
  ///   - stride: Its stride; the kernel size when nil.
  ///   - padding: Its padding.
  ///   - outputSize: The output's height and width; (in − 1)·stride − 2·padding + kernelSize
  ///     along each axis when nil, and less than a stride away from that when given.
  public func maxUnpool2d(
    indices: Tensor, kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0,
    outputSize: Size2D? = nil
  ) -> Tensor {
    let stride = stride ?? kernelSize
    return maxUnpool(
      indices: indices, kernel: kernelSize.values, stride: stride.values,
      padding: padding.values, outputSize: outputSize?.values,
      context:
        "maxUnpool2d(kernelSize \(kernelSize), stride \(stride), padding \(padding), outputSize "
        + "\(outputSize.map(\.description) ?? "nil"))")
  }

  /// Max unpooling over `kernel.count` spatial axes; `context` describes the caller.
  package func maxUnpool(
    indices: Tensor, kernel: [Int], stride: [Int], padding: [Int], outputSize: [Int]?,
    context: String
  ) -> Tensor {
    requirePositive(kernel, "kernel size", context)
    requirePositive(stride, "stride", context)
    require(
      padding.allSatisfy { $0 >= 0 },
      "\(context): padding \(describe(padding)) must not be negative")
    let (view, restore) = planes(spatialRank: kernel.count, context: context)
    require(
      indices.dtype == .int64 && indices.shape == shape,
      "\(context): input of shape \(describe(shape)) needs int64 indices of the same shape, got "
        + "\(indices.dtype) indices of shape \(describe(indices.shape))")
    let inputSizes = Array(view.shape[(4 - kernel.count)...])
    let defaults = kernel.indices.map {
      (inputSizes[$0] - 1) * stride[$0] - 2 * padding[$0] + kernel[$0]
    }
    let sizes = outputSize ?? defaults
    require(
      sizes.count == kernel.count,
      "\(context): outputSize \(describe(sizes)) must have \(kernel.count) sizes")
    for axis in kernel.indices {
      let (low, high) = (defaults[axis] - stride[axis], defaults[axis] + stride[axis])
      require(
        sizes[axis] > 0 && sizes[axis] > low && sizes[axis] < high,
        "\(context): input of shape \(describe(shape)) cannot be unpooled to size "
          + "\(describe(sizes)): along spatial axis \(axis) the size must be positive and "
          + "strictly between \(low) and \(high)")
    }
    let (planeCount, inPlane) = (view.shape[0] * view.shape[1], view.shape[2] * view.shape[3])
    let outPlane = sizes.reduce(1, *)
    indices.withUnsafeBufferPointer(as: Int64.self) { positions in
      if let bad = positions.first(where: { $0 < 0 || $0 >= outPlane }) {
        stop(
          "\(context): input of shape \(describe(shape)) has index \(bad), out of range for "
            + "output planes of size \(describe(sizes)) (\(outPlane) positions)")
      }
    }
    let outputShape = Array(view.shape[..<2]) + (kernel.count == 1 ? [1] : []) + sizes
    let result = Tensor.zeros(outputShape, dtype: dtype)
    func scatter<Scalar: KernelScalar>(_: Scalar.Type) {
      let (values, target, positions) = (
        view.data(Scalar.self), result.data(Scalar.self), indices.i64
      )
      for plane in 0..<planeCount {
        for k in 0..<inPlane {
          let at = plane * inPlane + k
          target[plane * outPlane + Int(positions[at])] = values[at]
        }
      }
    }
    withExtendedLifetime((view, indices)) {
      dtype.isSingle ? scatter(Float.self) : scatter(Double.self)
    }
    let (flatIndices, viewShape) = (indices.reshaped([planeCount, inPlane]), view.shape)
    let output = view.record("maxUnpool", result, [view]) { g in
      // Each input position receives the gradient of the output position it was written to.
      let picked = g.reshaped([planeCount, outPlane]).gather(alongAxis: 1, indices: flatIndices)
      return [picked.reshaped(viewShape)]
    }
    return restore(output)
  }
}
