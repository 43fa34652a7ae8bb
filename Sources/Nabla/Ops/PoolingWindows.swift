import CNablaKernels

// Pooling over [N, C, L] or [N, C, H, W] (or without N), as PyTorch's pooling functions. Every
// pooling is a set of windows per output position along each axis (`PoolingAxis`); one max kernel
// and one average kernel serve the sliding, padded, dilated and adaptive windows alike. Max
// pooling routes each gradient to the position of its window's maximum.

/// The windows of a pooling along one spatial axis: output position o reads input positions
/// start[o] + i·step for i < count[o], all inside the input.
struct PoolingAxis {
  var starts: [Int64]
  var counts: [Int64]
  var step: Int
  /// What an average divides by: the window size, with or without the padding it covers.
  var divisors: [Int64]

  var outputSize: Int { starts.count }

  /// The single window of an axis of size 1 that is not pooled (the height of a 1-D input).
  static let unit = PoolingAxis(starts: [0], counts: [1], step: 1, divisors: [1])

  /// Sliding windows of `kernel` taps, `dilation` apart, every `stride` positions over an
  /// input of `size` padded by `padding` on both sides; nil when the output would be empty.
  static func sliding(
    size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, countIncludePad: Bool
  ) -> PoolingAxis? {
    let span = dilation * (kernel - 1) + 1
    guard size + 2 * padding >= span else { return nil }
    let outputSize = (size + 2 * padding - span) / stride + 1
    var axis = PoolingAxis(starts: [], counts: [], step: dilation, divisors: [])
    for position in 0..<outputSize {
      let start = position * stride - padding
      let first = start < 0 ? (-start + dilation - 1) / dilation : 0
      let last = Swift.min(kernel - 1, (size - 1 - start) / dilation)
      let count = Swift.max(last - first + 1, 0)
      axis.starts.append(Int64(start + first * dilation))
      axis.counts.append(Int64(count))
      let padded = Swift.min(start + kernel, size + padding) - start
      axis.divisors.append(Int64(countIncludePad ? padded : count))
    }
    return axis
  }

  /// The windows of adaptive pooling from `size` to `outputSize`, as PyTorch: window o covers
  /// ⌊o·size/out⌋ ..< ⌈(o+1)·size/out⌉.
  static func adaptive(size: Int, outputSize: Int) -> PoolingAxis {
    var axis = PoolingAxis(starts: [], counts: [], step: 1, divisors: [])
    for position in 0..<outputSize {
      let start = position * size / outputSize
      let end = ((position + 1) * size + outputSize - 1) / outputSize
      axis.starts.append(Int64(start))
      axis.counts.append(Int64(end - start))
      axis.divisors.append(Int64(end - start))
    }
    return axis
  }
}

/// Runs `body` with the kernel-layer description of `rows` x `columns` windows over
/// `height` x `width` planes.
private func withWindows<Result>(
  _ rows: PoolingAxis, _ columns: PoolingAxis, height: Int, width: Int,
  _ body: (UnsafePointer<NablaPoolWindows>) -> Result
) -> Result {
  rows.starts.withUnsafeBufferPointer { rowStart in
    rows.counts.withUnsafeBufferPointer { rowCount in
      columns.starts.withUnsafeBufferPointer { columnStart in
        columns.counts.withUnsafeBufferPointer { columnCount in
          var windows = NablaPoolWindows(
            height: height, width: width, outHeight: rows.outputSize,
            outWidth: columns.outputSize, rowStart: rowStart.baseAddress,
            rowCount: rowCount.baseAddress, rowStep: rows.step,
            columnStart: columnStart.baseAddress, columnCount: columnCount.baseAddress,
            columnStep: columns.step)
          return body(&windows)
        }
      }
    }
  }
}

extension Tensor {
  /// Max pooling over [N, C, H, W] with the given windows; records its backward.
  static func maxPool(_ input: Tensor, _ rows: PoolingAxis, _ columns: PoolingAxis) -> Tensor {
    let (height, width) = (input.shape[2], input.shape[3])
    let planes = input.shape[0] * input.shape[1]
    let outputShape = [input.shape[0], input.shape[1], rows.outputSize, columns.outputSize]
    let result = Tensor(empty: outputShape, dtype: input.dtype)
    let positions = Tensor(empty: outputShape, dtype: .int64)
    withWindows(rows, columns, height: height, width: width) { windows in
      if input.dtype == .float32 {
        nabla_max_pool_f32(planes, windows, input.f32, result.f32, positions.i64)
      } else {
        nabla_max_pool_f64(planes, windows, input.f64, result.f64, positions.i64)
      }
    }
    let (inputShape, dtype) = (input.shape, input.dtype)
    let outPlane = rows.outputSize * columns.outputSize
    return input.record("maxPool", result, [input]) { g in
      let gradient = Tensor.zeros(inputShape, dtype: dtype)
      if dtype == .float32 {
        nabla_scatter_add_f32(
          planes, height * width, outPlane, 1, g.f32, positions.i64, gradient.f32)
      } else {
        nabla_scatter_add_f64(
          planes, height * width, outPlane, 1, g.f64, positions.i64, gradient.f64)
      }
      return [gradient]
    }
  }

  /// Average pooling over [N, C, H, W] with the given windows; records its backward.
  static func averagePool(_ input: Tensor, _ rows: PoolingAxis, _ columns: PoolingAxis) -> Tensor {
    let (height, width) = (input.shape[2], input.shape[3])
    let planes = input.shape[0] * input.shape[1]
    let outputShape = [input.shape[0], input.shape[1], rows.outputSize, columns.outputSize]
    let result = Tensor(empty: outputShape, dtype: input.dtype)
    withWindows(rows, columns, height: height, width: width) { windows in
      if input.dtype == .float32 {
        nabla_avg_pool_f32(planes, windows, rows.divisors, columns.divisors, input.f32, result.f32)
      } else {
        nabla_avg_pool_f64(planes, windows, rows.divisors, columns.divisors, input.f64, result.f64)
      }
    }
    let (inputShape, dtype) = (input.shape, input.dtype)
    return input.record("avgPool", result, [input]) { g in
      let gradient = Tensor.zeros(inputShape, dtype: dtype)
      withWindows(rows, columns, height: height, width: width) { windows in
        if dtype == .float32 {
          nabla_avg_pool_backward_f32(
            planes, windows, rows.divisors, columns.divisors, g.f32, gradient.f32)
        } else {
          nabla_avg_pool_backward_f64(
            planes, windows, rows.divisors, columns.divisors, g.f64, gradient.f64)
        }
      }
      return [gradient]
    }
  }

  /// Sliding windows along the spatial axes of `view` ([N, C, H, W]; height 1 for 1-D), checked.
  static func slidingWindows(
    _ view: Tensor, kernel: [Int], stride: [Int], padding: [Int], dilation: [Int],
    countIncludePad: Bool, context: String, original: [Int]
  ) -> (PoolingAxis, PoolingAxis) {
    requirePositive(kernel, "kernel size", context)
    requirePositive(stride, "stride", context)
    requirePositive(dilation, "dilation", context)
    for axis in kernel.indices {
      require(
        padding[axis] >= 0 && padding[axis] <= kernel[axis] / 2,
        "\(context): padding \(describe(padding)) must be at most half the kernel size "
          + "\(describe(kernel))")
    }
    let spatialRank = kernel.count
    var axes: [PoolingAxis] = spatialRank == 1 ? [.unit] : []
    for axis in 0..<spatialRank {
      let size = view.shape[2 + axis + (2 - spatialRank)]
      guard
        let windows = PoolingAxis.sliding(
          size: size, kernel: kernel[axis], stride: stride[axis], padding: padding[axis],
          dilation: dilation[axis], countIncludePad: countIncludePad)
      else {
        fatalError(
          "\(context): input of shape \(describe(original)) is too small for kernel "
            + "\(describe(kernel)) with padding \(describe(padding)) and dilation "
            + "\(describe(dilation))")
      }
      // With dilation, a window's taps can all fall in the padding; it would have no maximum.
      require(
        !windows.counts.contains(0),
        "\(context): input of shape \(describe(original)) leaves a window with every tap in the "
          + "padding (kernel \(describe(kernel)), padding \(describe(padding)), dilation "
          + "\(describe(dilation)))")
      axes.append(windows)
    }
    return (axes[0], axes[1])
  }

  /// Runs a pooling over 1 or 2 spatial axes: lifts the input to [N, C, H, W], pools, restores.
  package func pooled(
    spatialRank: Int, context: String,
    _ pool: (_ view: Tensor) -> Tensor
  ) -> Tensor {
    let (view, restore) = planes(spatialRank: spatialRank, context: context)
    return restore(pool(view))
  }

  /// Max pooling over [N, C, L] (or [C, L]), as PyTorch's `max_pool1d`.
  ///
  /// - Parameters:
  ///   - kernelSize: The window length.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: Implicit −∞ added at both ends; at most half the kernel size.
  ///   - dilation: The spacing of the window's taps.
  public func maxPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1)
    -> Tensor
  {
    let context =
      "maxPool1d(kernelSize \(kernelSize), stride \(stride ?? kernelSize), padding \(padding), "
      + "dilation \(dilation))"
    return maxPool(
      kernel: [kernelSize], stride: [stride ?? kernelSize], padding: [padding],
      dilation: [dilation], context: context)
  }

  /// Max pooling over [N, C, H, W] (or [C, H, W]), as PyTorch's `max_pool2d`.
  ///
  /// ```swift
  /// Tensor.randomNormal([64, 16, 28, 28]).maxPool2d(kernelSize: 2).shape  // [64, 16, 14, 14]
  /// ```
  public func maxPool2d(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1
  ) -> Tensor {
    let stride = stride ?? kernelSize
    let context =
      "maxPool2d(kernelSize \(kernelSize), stride \(stride), padding \(padding), dilation "
      + "\(dilation))"
    return maxPool(
      kernel: kernelSize.values, stride: stride.values, padding: padding.values,
      dilation: dilation.values, context: context)
  }

  /// Max pooling over `kernel.count` spatial axes; `context` describes the caller.
  package func maxPool(
    kernel: [Int], stride: [Int], padding: [Int], dilation: [Int], context: String
  ) -> Tensor {
    pooled(spatialRank: kernel.count, context: context) { view in
      let (rows, columns) = Tensor.slidingWindows(
        view, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
        countIncludePad: false, context: context, original: shape)
      return Tensor.maxPool(view, rows, columns)
    }
  }

  /// Average pooling over [N, C, L] (or [C, L]), as PyTorch's `avg_pool1d`.
  ///
  /// - Parameters:
  ///   - kernelSize: The length of each window.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: Zeros added at both ends; at most half the kernel size.
  ///   - countIncludePad: Whether the padding zeros count in the divisor of border windows.
  public func avgPool1d(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true
  ) -> Tensor {
    let context =
      "avgPool1d(kernelSize \(kernelSize), stride \(stride ?? kernelSize), padding \(padding), "
      + "countIncludePad \(countIncludePad))"
    return averagePool(
      kernel: [kernelSize], stride: [stride ?? kernelSize], padding: [padding],
      countIncludePad: countIncludePad, context: context)
  }

  /// Average pooling over [N, C, H, W] (or [C, H, W]), as PyTorch's `avg_pool2d`.
  public func avgPool2d(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, countIncludePad: Bool = true
  ) -> Tensor {
    let stride = stride ?? kernelSize
    let context =
      "avgPool2d(kernelSize \(kernelSize), stride \(stride), padding \(padding), "
      + "countIncludePad \(countIncludePad))"
    return averagePool(
      kernel: kernelSize.values, stride: stride.values, padding: padding.values,
      countIncludePad: countIncludePad, context: context)
  }

  /// Average pooling over `kernel.count` spatial axes; `context` describes the caller.
  package func averagePool(
    kernel: [Int], stride: [Int], padding: [Int], countIncludePad: Bool, context: String
  ) -> Tensor {
    pooled(spatialRank: kernel.count, context: context) { view in
      let (rows, columns) = Tensor.slidingWindows(
        view, kernel: kernel, stride: stride, padding: padding,
        dilation: kernel.map { _ in 1 }, countIncludePad: countIncludePad, context: context,
        original: shape)
      return Tensor.averagePool(view, rows, columns)
    }
  }

  /// Power-average pooling over [N, C, L], as PyTorch's `lp_pool1d`: (Σ xᵖ)^(1/p) over each
  /// window (p = 2 is the L2 pooling of the literature; large p approaches max pooling).
  public func lpPool1d(power: Double, kernelSize: Int, stride: Int? = nil) -> Tensor {
    let context =
      "lpPool1d(power \(power), kernelSize \(kernelSize), stride \(stride ?? kernelSize))"
    return lpPool(
      power: power, kernel: [kernelSize], stride: [stride ?? kernelSize], context: context)
  }

  /// Power-average pooling over [N, C, H, W], as PyTorch's `lp_pool2d`: (Σ xᵖ)^(1/p) over each
  /// window.
  public func lpPool2d(power: Double, kernelSize: Size2D, stride: Size2D? = nil) -> Tensor {
    let stride = stride ?? kernelSize
    let context = "lpPool2d(power \(power), kernelSize \(kernelSize), stride \(stride))"
    return lpPool(
      power: power, kernel: kernelSize.values, stride: stride.values, context: context)
  }

  /// (Σ xᵖ)^(1/p) over windows along `kernel.count` axes, composed from `averagePool` as PyTorch
  /// composes it; `context` describes the caller.
  package func lpPool(power: Double, kernel: [Int], stride: [Int], context: String) -> Tensor {
    require(power > 0, "\(context): the power must be positive, got \(power)")
    let windowSize = Double(kernel.reduce(1, *))
    let averaged = pow(power).averagePool(
      kernel: kernel, stride: stride, padding: kernel.map { _ in 0 }, countIncludePad: true,
      context: context)
    return (averaged * windowSize).pow(1 / power)
  }

  /// Adaptive average pooling of [N, C, L] to `outputSize` positions, as PyTorch's
  /// `adaptive_avg_pool1d` (an output size of 1 is global average pooling).
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
  public func adaptiveAvgPool2d(outputSize: Size2D) -> Tensor {
    adaptivePool(
      outputSize: outputSize.values, isMax: false,
      context: "adaptiveAvgPool2d(outputSize \(outputSize))")
  }

  /// Adaptive max pooling of [N, C, L] to `outputSize` positions, as `adaptive_max_pool1d`.
  public func adaptiveMaxPool1d(outputSize: Int) -> Tensor {
    adaptivePool(
      outputSize: [outputSize], isMax: true, context: "adaptiveMaxPool1d(outputSize \(outputSize))")
  }

  /// Adaptive max pooling of [N, C, H, W] to `outputSize`, as `adaptive_max_pool2d`.
  public func adaptiveMaxPool2d(outputSize: Size2D) -> Tensor {
    adaptivePool(
      outputSize: outputSize.values, isMax: true,
      context: "adaptiveMaxPool2d(outputSize \(outputSize))")
  }

  /// Adaptive pooling over `outputSize.count` axes; `context` describes the caller.
  package func adaptivePool(outputSize: [Int], isMax: Bool, context: String) -> Tensor {
    requirePositive(outputSize, "output size", context)
    return pooled(spatialRank: outputSize.count, context: context) { view in
      let sizes = Array(view.shape[(4 - outputSize.count)...])
      require(
        sizes.allSatisfy { $0 > 0 }, "\(context): input of shape \(describe(shape)) is empty")
      var axes: [PoolingAxis] = outputSize.count == 1 ? [.unit] : []
      for (size, output) in zip(sizes, outputSize) {
        axes.append(.adaptive(size: size, outputSize: output))
      }
      return isMax
        ? Tensor.maxPool(view, axes[0], axes[1]) : Tensor.averagePool(view, axes[0], axes[1])
    }
  }
}
