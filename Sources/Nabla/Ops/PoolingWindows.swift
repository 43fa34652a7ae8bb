import CNablaKernels

// The machinery under every pooling over [N, C, L] or [N, C, H, W] (or without N). A pooling is
// a set of windows per output position along each axis (`PoolingAxis`); one max kernel and one
// average kernel serve the sliding, padded, dilated, ceil-mode and adaptive windows alike. Max
// pooling routes each gradient to the position of its window's maximum. The public functions
// are in Pooling.swift and AdaptivePooling.swift.

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

  /// The number of sliding windows along an axis, as PyTorch counts them; 0 or less when the
  /// kernel does not fit.
  ///
  /// With `ceilMode` a last, partial window is added when the stride leaves input positions
  /// uncovered, unless that window would start in the right padding.
  static func slidingOutputSize(
    size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool
  ) -> Int {
    let span = dilation * (kernel - 1) + 1
    let room = size + 2 * padding - span + (ceilMode ? stride - 1 : 0)
    guard room >= 0 else { return 0 }
    var outputSize = room / stride + 1
    if ceilMode && (outputSize - 1) * stride >= size + padding { outputSize -= 1 }
    return outputSize
  }

  /// Sliding windows of `kernel` taps, `dilation` apart, every `stride` positions over an
  /// input of `size` padded by `padding` on both sides (and, with `ceilMode`, beyond the right
  /// padding for the last window); nil when the output would be empty.
  ///
  /// With `countIncludePad` a window's divisor counts the padding it covers but not the
  /// positions past the right padding that ceil mode adds, as PyTorch's `avg_pool`.
  static func sliding(
    size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool,
    countIncludePad: Bool
  ) -> PoolingAxis? {
    let outputSize = slidingOutputSize(
      size: size, kernel: kernel, stride: stride, padding: padding, dilation: dilation,
      ceilMode: ceilMode)
    guard outputSize > 0 else { return nil }
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

/// The options of a sliding-window pooling over `kernel.count` spatial axes, one number per
/// axis, as PyTorch's pooling arguments.
package struct SlidingPoolingOptions {
  /// The window size.
  package var kernel: [Int]
  /// The step between windows.
  package var stride: [Int]
  /// The implicit padding on both sides.
  package var padding: [Int]
  /// The spacing of a window's taps.
  package var dilation: [Int]
  /// Whether a last, partial window covers the input positions a stride would leave out.
  package var ceilMode: Bool
  /// For averages: whether the divisor counts the padding a window covers.
  package var countIncludePad: Bool
  /// For averages: a divisor to use for every window instead of its size.
  package var divisorOverride: Int?

  /// Creates the options; dilation defaults to 1 along every axis.
  ///
  /// - Parameters:
  ///   - kernel: The window size along each spatial axis.
  ///   - stride: The step between windows along each axis.
  ///   - padding: The implicit padding on both sides of each axis.
  ///   - dilation: The spacing of a window's taps; all 1 when nil.
  ///   - ceilMode: Whether the output size is rounded up, as PyTorch's `ceil_mode`.
  ///   - countIncludePad: For averages: whether padding counts in the divisor.
  ///   - divisorOverride: For averages: the divisor of every window, when given.
  package init(
    kernel: [Int], stride: [Int], padding: [Int], dilation: [Int]? = nil, ceilMode: Bool = false,
    countIncludePad: Bool = true, divisorOverride: Int? = nil
  ) {
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    self.dilation = dilation ?? kernel.map { _ in 1 }
    self.ceilMode = ceilMode
    self.countIncludePad = countIncludePad
    self.divisorOverride = divisorOverride
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
  /// Max pooling over [N, C, H, W] with the given windows; records its backward. The indices
  /// are each maximum's flat position h·W + w within its plane, as int64.
  static func maxPool(_ input: Tensor, _ rows: PoolingAxis, _ columns: PoolingAxis)
    -> (output: Tensor, indices: Tensor)
  {
    let (height, width) = (input.shape[2], input.shape[3])
    let planes = input.shape[0] * input.shape[1]
    let outputShape = [input.shape[0], input.shape[1], rows.outputSize, columns.outputSize]
    let result = Tensor(empty: outputShape, dtype: input.dtype)
    let positions = Tensor(empty: outputShape, dtype: .int64)
    withWindows(rows, columns, height: height, width: width) { windows in
      func forward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.maxPool(
          planes, windows, input.data(Scalar.self), result.data(Scalar.self), positions.i64)
      }
      input.dtype.isSingle ? forward(Float.self) : forward(Double.self)
    }
    let (inputShape, dtype) = (input.shape, input.dtype)
    let outPlane = rows.outputSize * columns.outputSize
    let output = input.record("maxPool", result, [input]) { g in
      let gradient = Tensor(empty: inputShape, dtype: dtype)
      func backward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.maxPoolBackward(
          planes, height * width, outPlane, g.data(Scalar.self), positions.i64,
          gradient.data(Scalar.self))
      }
      dtype.isSingle ? backward(Float.self) : backward(Double.self)
      return [gradient]
    }
    return (output, positions)
  }

  /// Average pooling over [N, C, H, W] with the given windows; records its backward.
  static func averagePool(_ input: Tensor, _ rows: PoolingAxis, _ columns: PoolingAxis) -> Tensor {
    let (height, width) = (input.shape[2], input.shape[3])
    let planes = input.shape[0] * input.shape[1]
    let outputShape = [input.shape[0], input.shape[1], rows.outputSize, columns.outputSize]
    let result = Tensor(empty: outputShape, dtype: input.dtype)
    withWindows(rows, columns, height: height, width: width) { windows in
      func forward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.averagePool(
          planes, windows, rows.divisors, columns.divisors, input.data(Scalar.self),
          result.data(Scalar.self))
      }
      input.dtype.isSingle ? forward(Float.self) : forward(Double.self)
    }
    let (inputShape, dtype) = (input.shape, input.dtype)
    return input.record("avgPool", result, [input]) { g in
      let gradient = Tensor.zeros(inputShape, dtype: dtype)
      withWindows(rows, columns, height: height, width: width) { windows in
        func backward<Scalar: KernelScalar>(_: Scalar.Type) {
          Scalar.kernels.averagePoolBackward(
            planes, windows, rows.divisors, columns.divisors, g.data(Scalar.self),
            gradient.data(Scalar.self))
        }
        dtype.isSingle ? backward(Float.self) : backward(Double.self)
      }
      return [gradient]
    }
  }

  /// Sliding windows along the spatial axes of `view` ([N, C, H, W]; height 1 for 1-D), checked
  /// against `options`; `original` is the caller's input shape, for messages.
  static func slidingWindows(
    _ view: Tensor, _ options: SlidingPoolingOptions, context: String, original: [Int]
  ) -> (PoolingAxis, PoolingAxis) {
    let (kernel, padding, dilation) = (options.kernel, options.padding, options.dilation)
    requirePositive(kernel, "kernel size", context)
    requirePositive(options.stride, "stride", context)
    requirePositive(dilation, "dilation", context)
    for axis in kernel.indices {
      require(
        padding[axis] >= 0 && padding[axis] <= kernel[axis] / 2,
        "\(context): padding \(describe(padding)) must be at most half the kernel size "
          + "\(describe(kernel))")
    }
    if let divisor = options.divisorOverride {
      require(divisor != 0, "\(context): divisorOverride must not be 0")
    }
    let spatialRank = kernel.count
    var axes: [PoolingAxis] = spatialRank == 1 ? [.unit] : []
    for axis in 0..<spatialRank {
      let size = view.shape[2 + axis + (2 - spatialRank)]
      guard
        let windows = PoolingAxis.sliding(
          size: size, kernel: kernel[axis], stride: options.stride[axis], padding: padding[axis],
          dilation: dilation[axis], ceilMode: options.ceilMode,
          countIncludePad: options.countIncludePad)
      else {
        stop(
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
    if let divisor = options.divisorOverride {
      // The kernels divide by rowDivisor · columnDivisor.
      axes[0].divisors = axes[0].divisors.map { _ in Int64(divisor) }
      axes[1].divisors = axes[1].divisors.map { _ in 1 }
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

  /// `pooled` for poolings that also give the indices of their maxima.
  package func pooledWithIndices(
    spatialRank: Int, context: String,
    _ pool: (_ view: Tensor) -> (output: Tensor, indices: Tensor)
  ) -> (output: Tensor, indices: Tensor) {
    let (view, restore) = planes(spatialRank: spatialRank, context: context)
    let (output, indices) = pool(view)
    return (restore(output), restore(indices))
  }
}
