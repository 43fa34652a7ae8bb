// Adaptive pooling over [N, C, L] or [N, C, H, W] (or without N), as PyTorch's adaptive pooling
// functions: the output size is given and the windows follow from it (PoolingAxis.adaptive).

extension Tensor {
  /// Adaptive average pooling of [N, C, L] to `outputSize` positions, as PyTorch's
  /// `adaptive_avg_pool1d` (an output size of 1 is global average pooling).
  ///
  /// - Parameter outputSize: The output length.
  public func adaptiveAvgPool1d(outputSize: Int) -> Tensor {
    adaptivePool(
      outputSize: [outputSize], isMax: false, context: "adaptiveAvgPool1d(outputSize \(outputSize))"
    )
  }

  /// Adaptive average pooling of [N, C, H, W] to `outputSize`, as `adaptive_avg_pool2d`.
  ///
  /// ```swift
  /// features.adaptiveAvgPool2d(outputSize: 1)  // global average pooling, [N, C, 1, 1]
  /// ```
  ///
  /// - Parameter outputSize: The output's height and width.
  public func adaptiveAvgPool2d(outputSize: Size2D) -> Tensor {
    adaptivePool(
      outputSize: outputSize.values, isMax: false,
      context: "adaptiveAvgPool2d(outputSize \(outputSize))")
  }

  /// Adaptive max pooling of [N, C, L] to `outputSize` positions, as `adaptive_max_pool1d`.
  ///
  /// - Parameter outputSize: The output length.
  public func adaptiveMaxPool1d(outputSize: Int) -> Tensor {
    adaptiveMaxPool1dWithIndices(outputSize: outputSize).output
  }

  /// Adaptive max pooling of [N, C, L] that also returns where each maximum was, as
  /// `adaptive_max_pool1d` with `return_indices=True`.
  ///
  /// - Parameter outputSize: The output length.
  /// - Returns: The maxima and, in the output's shape, their int64 positions along the length.
  public func adaptiveMaxPool1dWithIndices(outputSize: Int) -> (output: Tensor, indices: Tensor) {
    adaptiveMaxPoolWithIndices(
      outputSize: [outputSize], context: "adaptiveMaxPool1d(outputSize \(outputSize))")
  }

  /// Adaptive max pooling of [N, C, H, W] to `outputSize`, as `adaptive_max_pool2d`.
  ///
  /// - Parameter outputSize: The output's height and width.
  public func adaptiveMaxPool2d(outputSize: Size2D) -> Tensor {
    adaptiveMaxPool2dWithIndices(outputSize: outputSize).output
  }

  /// Adaptive max pooling of [N, C, H, W] that also returns where each maximum was, as
  /// `adaptive_max_pool2d` with `return_indices=True`.
  ///
  /// - Parameter outputSize: The output's height and width.
  /// - Returns: The maxima and, in the output's shape, their int64 positions h·W + w in the
  ///   flattened plane of their channel.
  public func adaptiveMaxPool2dWithIndices(outputSize: Size2D) -> (
    output: Tensor, indices: Tensor
  ) {
    adaptiveMaxPoolWithIndices(
      outputSize: outputSize.values, context: "adaptiveMaxPool2d(outputSize \(outputSize))")
  }

  /// Adaptive pooling over `outputSize.count` axes; `context` describes the caller.
  package func adaptivePool(outputSize: [Int], isMax: Bool, context: String) -> Tensor {
    if isMax { return adaptiveMaxPoolWithIndices(outputSize: outputSize, context: context).output }
    return pooled(spatialRank: outputSize.count, context: context) { view in
      let (rows, columns) = adaptiveWindows(view, outputSize: outputSize, context: context)
      return Tensor.averagePool(view, rows, columns)
    }
  }

  /// Adaptive max pooling over `outputSize.count` axes, with the positions of the maxima.
  package func adaptiveMaxPoolWithIndices(outputSize: [Int], context: String) -> (
    output: Tensor, indices: Tensor
  ) {
    pooledWithIndices(spatialRank: outputSize.count, context: context) { view in
      let (rows, columns) = adaptiveWindows(view, outputSize: outputSize, context: context)
      return Tensor.maxPool(view, rows, columns)
    }
  }

  /// The adaptive windows over the spatial axes of `view` ([N, C, H, W]; height 1 for 1-D).
  private func adaptiveWindows(_ view: Tensor, outputSize: [Int], context: String) -> (
    PoolingAxis, PoolingAxis
  ) {
    requirePositive(outputSize, "output size", context)
    let sizes = Array(view.shape[(4 - outputSize.count)...])
    require(sizes.allSatisfy { $0 > 0 }, "\(context): input of shape \(describe(shape)) is empty")
    var axes: [PoolingAxis] = outputSize.count == 1 ? [.unit] : []
    for (size, output) in zip(sizes, outputSize) {
      axes.append(.adaptive(size: size, outputSize: output))
    }
    return (axes[0], axes[1])
  }
}
