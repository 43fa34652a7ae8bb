// Sliding-window pooling over [N, C, L] or [N, C, H, W] (or without N), as PyTorch's max, average
// and power-average pooling functions, with their options (padding, dilation, ceil mode, the
// divisor of averages, the indices of maxima). The windows and kernels are in PoolingWindows.swift.

extension Tensor {
  /// Max pooling over [N, C, L] (or [C, L]), as PyTorch's `max_pool1d`.
  ///
  /// - Parameters:
  ///   - kernelSize: The window length.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: Implicit −∞ added at both ends; at most half the kernel size.
  ///   - dilation: The spacing of the window's taps.
  ///   - ceilMode: Whether a last, partial window covers positions the stride leaves out (it
  ///     must start inside the input or the left padding), as PyTorch's `ceil_mode`.
  public func maxPool1d(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
    ceilMode: Bool = false
  ) -> Tensor {
    maxPool1dWithIndices(
      kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
      ceilMode: ceilMode
    ).output
  }

  /// Max pooling over [N, C, L] (or [C, L]) that also returns where each maximum was, as
  /// PyTorch's `max_pool1d` with `return_indices=True`.
  ///
  /// - Parameters:
  ///   - kernelSize: The window length.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: Implicit −∞ added at both ends; at most half the kernel size.
  ///   - dilation: The spacing of the window's taps.
  ///   - ceilMode: Whether a last, partial window covers positions the stride leaves out.
  /// - Returns: The maxima and, in the output's shape, their int64 positions along the length
  ///   (what `maxUnpool1d` takes).
  public func maxPool1dWithIndices(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
    ceilMode: Bool = false
  ) -> (output: Tensor, indices: Tensor) {
    let stride = stride ?? kernelSize
    let context =
      "maxPool1d(kernelSize \(kernelSize), stride \(stride), padding \(padding), "
      + "dilation \(dilation), ceilMode \(ceilMode))"
    return maxPoolWithIndices(
      SlidingPoolingOptions(
        kernel: [kernelSize], stride: [stride], padding: [padding], dilation: [dilation],
        ceilMode: ceilMode),
      context: context)
  }

  /// Max pooling over [N, C, H, W] (or [C, H, W]), as PyTorch's `max_pool2d`.
  ///
  /// ```swift
  /// Tensor.randomNormal([64, 16, 28, 28]).maxPool2d(kernelSize: 2).shape  // [64, 16, 14, 14]
  /// ```
  ///
  /// - Parameters:
  ///   - kernelSize: The window's height and width.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: Implicit −∞ added on each side; at most half the kernel size.
  ///   - dilation: The spacing of the window's taps.
  ///   - ceilMode: Whether a last, partial window covers positions the stride leaves out (it
  ///     must start inside the input or the top or left padding), as PyTorch's `ceil_mode`.
  public func maxPool2d(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1,
    ceilMode: Bool = false
  ) -> Tensor {
    maxPool2dWithIndices(
      kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
      ceilMode: ceilMode
    ).output
  }

  /// Max pooling over [N, C, H, W] (or [C, H, W]) that also returns where each maximum was, as
  /// PyTorch's `max_pool2d` with `return_indices=True`.
  ///
  /// ```swift
  /// let (pooled, indices) = x.maxPool2dWithIndices(kernelSize: 2)
  /// pooled.maxUnpool2d(indices: indices, kernelSize: 2)  // x's maxima in place, zeros elsewhere
  /// ```
  ///
  /// - Parameters:
  ///   - kernelSize: The window's height and width.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: Implicit −∞ added on each side; at most half the kernel size.
  ///   - dilation: The spacing of the window's taps.
  ///   - ceilMode: Whether a last, partial window covers positions the stride leaves out.
  /// - Returns: The maxima and, in the output's shape, their int64 positions h·W + w in the
  ///   flattened plane of their channel.
  public func maxPool2dWithIndices(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1,
    ceilMode: Bool = false
  ) -> (output: Tensor, indices: Tensor) {
    let stride = stride ?? kernelSize
    let context =
      "maxPool2d(kernelSize \(kernelSize), stride \(stride), padding \(padding), dilation "
      + "\(dilation), ceilMode \(ceilMode))"
    return maxPoolWithIndices(
      SlidingPoolingOptions(
        kernel: kernelSize.values, stride: stride.values, padding: padding.values,
        dilation: dilation.values, ceilMode: ceilMode),
      context: context)
  }

  /// Max pooling over `options.kernel.count` spatial axes; `context` describes the caller.
  package func maxPool(_ options: SlidingPoolingOptions, context: String) -> Tensor {
    maxPoolWithIndices(options, context: context).output
  }

  /// Max pooling over `options.kernel.count` spatial axes, with the positions of the maxima.
  package func maxPoolWithIndices(_ options: SlidingPoolingOptions, context: String)
    -> (output: Tensor, indices: Tensor)
  {
    pooledWithIndices(spatialRank: options.kernel.count, context: context) { view in
      let (rows, columns) = Tensor.slidingWindows(
        view, options, context: context, original: shape)
      return Tensor.maxPool(view, rows, columns)
    }
  }

  /// Average pooling over [N, C, L] (or [C, L]), as PyTorch's `avg_pool1d`.
  ///
  /// - Parameters:
  ///   - kernelSize: The length of each window.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: Zeros added at both ends; at most half the kernel size.
  ///   - ceilMode: Whether a last, partial window covers positions the stride leaves out, as
  ///     PyTorch's `ceil_mode`.
  ///   - countIncludePad: Whether the padding zeros count in the divisor of border windows
  ///     (positions past the right padding that ceil mode adds never count).
  public func avgPool1d(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
    countIncludePad: Bool = true
  ) -> Tensor {
    let stride = stride ?? kernelSize
    let context =
      "avgPool1d(kernelSize \(kernelSize), stride \(stride), padding \(padding), "
      + "ceilMode \(ceilMode), countIncludePad \(countIncludePad))"
    return averagePool(
      SlidingPoolingOptions(
        kernel: [kernelSize], stride: [stride], padding: [padding], ceilMode: ceilMode,
        countIncludePad: countIncludePad),
      context: context)
  }

  /// Average pooling over [N, C, H, W] (or [C, H, W]), as PyTorch's `avg_pool2d`.
  ///
  /// - Parameters:
  ///   - kernelSize: The window's height and width.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: Zeros added on each side; at most half the kernel size.
  ///   - ceilMode: Whether a last, partial window covers positions the stride leaves out, as
  ///     PyTorch's `ceil_mode`.
  ///   - countIncludePad: Whether the padding zeros count in the divisor of border windows
  ///     (positions past the padding that ceil mode adds never count).
  ///   - divisorOverride: When given, every window's sum is divided by it instead (not 0), as
  ///     PyTorch's `divisor_override`.
  public func avgPool2d(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false,
    countIncludePad: Bool = true, divisorOverride: Int? = nil
  ) -> Tensor {
    let stride = stride ?? kernelSize
    let context =
      "avgPool2d(kernelSize \(kernelSize), stride \(stride), padding \(padding), "
      + "ceilMode \(ceilMode), countIncludePad \(countIncludePad), divisorOverride "
      + "\(divisorOverride.map(String.init) ?? "nil"))"
    return averagePool(
      SlidingPoolingOptions(
        kernel: kernelSize.values, stride: stride.values, padding: padding.values,
        ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: divisorOverride),
      context: context)
  }

  /// Average pooling over `options.kernel.count` spatial axes; `context` describes the caller.
  package func averagePool(_ options: SlidingPoolingOptions, context: String) -> Tensor {
    var options = options
    options.dilation = options.kernel.map { _ in 1 }
    return pooled(spatialRank: options.kernel.count, context: context) { view in
      let (rows, columns) = Tensor.slidingWindows(
        view, options, context: context, original: shape)
      return Tensor.averagePool(view, rows, columns)
    }
  }

  /// Power-average pooling over [N, C, L], as PyTorch's `lp_pool1d`: (Σ xᵖ)^(1/p) over each
  /// window (p = 2 is the L2 pooling of the literature; large p approaches max pooling).
  ///
  /// - Parameters:
  ///   - power: The power p, positive.
  ///   - kernelSize: The window length.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - ceilMode: Whether a last, partial window covers positions the stride leaves out. As in
  ///     PyTorch, such a window's sum is scaled by kernel size / window size before the root.
  public func lpPool1d(power: Double, kernelSize: Int, stride: Int? = nil, ceilMode: Bool = false)
    -> Tensor
  {
    let stride = stride ?? kernelSize
    let context =
      "lpPool1d(power \(power), kernelSize \(kernelSize), stride \(stride), ceilMode \(ceilMode))"
    return lpPool(
      power: power,
      SlidingPoolingOptions(
        kernel: [kernelSize], stride: [stride], padding: [0], ceilMode: ceilMode),
      context: context)
  }

  /// Power-average pooling over [N, C, H, W], as PyTorch's `lp_pool2d`: (Σ xᵖ)^(1/p) over each
  /// window.
  ///
  /// - Parameters:
  ///   - power: The power p, positive.
  ///   - kernelSize: The window's height and width.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - ceilMode: Whether a last, partial window covers positions the stride leaves out. As in
  ///     PyTorch, such a window's sum is scaled by kernel size / window size before the root.
  public func lpPool2d(
    power: Double, kernelSize: Size2D, stride: Size2D? = nil, ceilMode: Bool = false
  ) -> Tensor {
    let stride = stride ?? kernelSize
    let context =
      "lpPool2d(power \(power), kernelSize \(kernelSize), stride \(stride), ceilMode \(ceilMode))"
    return lpPool(
      power: power,
      SlidingPoolingOptions(
        kernel: kernelSize.values, stride: stride.values, padding: [0, 0], ceilMode: ceilMode),
      context: context)
  }

  /// (Σ xᵖ)^(1/p) over windows along `options.kernel.count` axes, composed from `averagePool` as
  /// PyTorch composes it (so a partial ceil-mode window is averaged over its own size and then
  /// multiplied by the full kernel size); `context` describes the caller.
  package func lpPool(power: Double, _ options: SlidingPoolingOptions, context: String) -> Tensor {
    require(power > 0, "\(context): the power must be positive, got \(power)")
    var options = options
    options.padding = options.kernel.map { _ in 0 }
    options.countIncludePad = true
    options.divisorOverride = nil
    let windowSize = Double(options.kernel.reduce(1, *))
    let averaged = pow(power).averagePool(options, context: context)
    return (averaged * windowSize).pow(1 / power)
  }
}
