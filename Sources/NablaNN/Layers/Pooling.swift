// Sliding-window pooling layers: each holds the options of a Tensor function of the same family
// and applies it, naming its configuration when an input does not fit. None has parameters.
// Adaptive pooling, unpooling and upsampling have files of their own.

/// Max pooling over [N, C, L] inputs, as `torch.nn.MaxPool1d`.
///
/// ```swift
/// MaxPool1D(kernelSize: 2)(Tensor.randomNormal([8, 4, 40])).shape  // [8, 4, 20]
/// let (pooled, indices) = MaxPool1D(kernelSize: 2).withIndices(x)  // for MaxUnpool1D
/// ```
public final class MaxPool1D: Module, @unchecked Sendable {
  /// The window length.
  public let kernelSize: Int
  /// The step between windows.
  public let stride: Int
  /// The implicit −∞ padding at both ends.
  public let padding: Int
  /// The spacing of a window's taps.
  public let dilation: Int
  /// Whether a last, partial window covers the positions the stride leaves out.
  public let ceilMode: Bool

  /// Creates the layer; the stride defaults to the kernel size.
  ///
  /// - Parameters:
  ///   - kernelSize: The window length.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: The implicit −∞ padding at both ends; at most half the kernel size.
  ///   - dilation: The spacing of a window's taps.
  ///   - ceilMode: Whether the output length is rounded up, as PyTorch's `ceil_mode` (the last
  ///     window must still start inside the input or the left padding).
  public init(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
    ceilMode: Bool = false
  ) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.dilation = dilation
    self.ceilMode = ceilMode
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "MaxPool1D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), dilation: "
      + "\(dilation), ceilMode: \(ceilMode))"
  }

  private var options: SlidingPoolingOptions {
    SlidingPoolingOptions(
      kernel: [kernelSize], stride: [stride], padding: [padding], dilation: [dilation],
      ceilMode: ceilMode)
  }

  /// PyTorch's text for the layer, as in
  /// `kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False`.
  public override var extraDescription: String {
    "kernel_size=\(kernelSize), stride=\(stride), padding=\(padding), dilation=\(dilation), "
      + "ceil_mode=\(pythonRepr(ceilMode))"
  }

  /// The maximum of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.maxPool(options, context: configuration)
    }
  }

  /// The maximum of each window of `input` and its position along the length, as PyTorch's
  /// layer with `return_indices=True`.
  ///
  /// - Parameter input: [N, C, L] or [C, L].
  /// - Returns: The pooled output and int64 indices of its shape.
  public func withIndices(_ input: Tensor) -> (output: Tensor, indices: Tensor) {
    input.maxPoolWithIndices(options, context: configuration)
  }
}

/// Max pooling over [N, C, H, W] inputs, as `torch.nn.MaxPool2d`.
///
/// ```swift
/// MaxPool2D(kernelSize: 2)(Tensor.randomNormal([64, 16, 28, 28])).shape  // [64, 16, 14, 14]
/// ```
public final class MaxPool2D: Module, @unchecked Sendable {
  /// The window's height and width.
  public let kernelSize: Size2D
  /// The step between windows.
  public let stride: Size2D
  /// The implicit −∞ padding on each side.
  public let padding: Size2D
  /// The spacing of a window's taps.
  public let dilation: Size2D
  /// Whether a last, partial window covers the rows and columns the stride leaves out.
  public let ceilMode: Bool

  /// Creates the layer; the stride defaults to the kernel size.
  ///
  /// - Parameters:
  ///   - kernelSize: The window's height and width.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: The implicit −∞ padding on each side; at most half the kernel size.
  ///   - dilation: The spacing of a window's taps.
  ///   - ceilMode: Whether the output size is rounded up, as PyTorch's `ceil_mode` (the last
  ///     window must still start inside the input or the top or left padding).
  public init(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1,
    ceilMode: Bool = false
  ) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.dilation = dilation
    self.ceilMode = ceilMode
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "MaxPool2D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), dilation: "
      + "\(dilation), ceilMode: \(ceilMode))"
  }

  private var options: SlidingPoolingOptions {
    SlidingPoolingOptions(
      kernel: kernelSize.values, stride: stride.values, padding: padding.values,
      dilation: dilation.values, ceilMode: ceilMode)
  }

  /// PyTorch's text for the layer, as in
  /// `kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False`.
  public override var extraDescription: String {
    "kernel_size=\(pythonValue(kernelSize)), stride=\(pythonValue(stride)), "
      + "padding=\(pythonValue(padding)), dilation=\(pythonValue(dilation)), "
      + "ceil_mode=\(pythonRepr(ceilMode))"
  }

  /// The maximum of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.maxPool(options, context: configuration)
    }
  }

  /// The maximum of each window of `input` and its position h·W + w in the flattened plane of
  /// its channel, as PyTorch's layer with `return_indices=True`.
  ///
  /// - Parameter input: [N, C, H, W] or [C, H, W].
  /// - Returns: The pooled output and int64 indices of its shape.
  public func withIndices(_ input: Tensor) -> (output: Tensor, indices: Tensor) {
    input.maxPoolWithIndices(options, context: configuration)
  }
}

/// Average pooling over [N, C, L] inputs, as `torch.nn.AvgPool1d`.
public final class AvgPool1D: Module, @unchecked Sendable {
  /// The window length.
  public let kernelSize: Int
  /// The step between windows.
  public let stride: Int
  /// The zero padding at both ends.
  public let padding: Int
  /// Whether a last, partial window covers the positions the stride leaves out.
  public let ceilMode: Bool
  /// Whether padding zeros count in the divisor of border windows (PyTorch's default: true).
  public let countIncludePad: Bool

  /// Creates the layer; the stride defaults to the kernel size.
  ///
  /// - Parameters:
  ///   - kernelSize: The window length.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: The zero padding at both ends; at most half the kernel size.
  ///   - ceilMode: Whether the output length is rounded up, as PyTorch's `ceil_mode`.
  ///   - countIncludePad: Whether padding zeros count in the divisor of border windows; the
  ///     positions past the padding that ceil mode adds never count.
  public init(
    kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
    countIncludePad: Bool = true
  ) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.ceilMode = ceilMode
    self.countIncludePad = countIncludePad
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "AvgPool1D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), "
      + "ceilMode: \(ceilMode), countIncludePad: \(countIncludePad))"
  }

  /// The pooling's options, for the Tensor functions.
  package var options: SlidingPoolingOptions {
    SlidingPoolingOptions(
      kernel: [kernelSize], stride: [stride], padding: [padding], ceilMode: ceilMode,
      countIncludePad: countIncludePad)
  }

  /// PyTorch's text for the layer, which keeps tuples: `kernel_size=(3,), stride=(3,), padding=(0,)`.
  public override var extraDescription: String {
    "kernel_size=\(pythonTuple([kernelSize])), stride=\(pythonTuple([stride])), "
      + "padding=\(pythonTuple([padding]))"
  }

  /// The mean of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.averagePool(options, context: configuration)
    }
  }
}

/// Average pooling over [N, C, H, W] inputs, as `torch.nn.AvgPool2d`.
public final class AvgPool2D: Module, @unchecked Sendable {
  /// The window's height and width.
  public let kernelSize: Size2D
  /// The step between windows.
  public let stride: Size2D
  /// The zero padding on each side.
  public let padding: Size2D
  /// Whether a last, partial window covers the rows and columns the stride leaves out.
  public let ceilMode: Bool
  /// Whether padding zeros count in the divisor of border windows (PyTorch's default: true).
  public let countIncludePad: Bool
  /// The divisor of every window instead of its size, when set.
  public let divisorOverride: Int?

  /// Creates the layer; the stride defaults to the kernel size.
  ///
  /// - Parameters:
  ///   - kernelSize: The window's height and width.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - padding: The zero padding on each side; at most half the kernel size.
  ///   - ceilMode: Whether the output size is rounded up, as PyTorch's `ceil_mode`.
  ///   - countIncludePad: Whether padding zeros count in the divisor of border windows; the
  ///     positions past the padding that ceil mode adds never count.
  ///   - divisorOverride: When given (not 0), every window's sum is divided by it instead, as
  ///     PyTorch's `divisor_override`.
  public init(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false,
    countIncludePad: Bool = true, divisorOverride: Int? = nil
  ) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.ceilMode = ceilMode
    self.countIncludePad = countIncludePad
    self.divisorOverride = divisorOverride
  }

  /// The layer's configuration with Swift's argument labels, for error messages; the divisor override is shown when set.
  var configuration: String {
    "AvgPool2D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), "
      + "ceilMode: \(ceilMode), countIncludePad: \(countIncludePad)"
      + (divisorOverride.map { ", divisorOverride: \($0))" } ?? ")")
  }

  /// The pooling's options, for the Tensor functions.
  package var options: SlidingPoolingOptions {
    SlidingPoolingOptions(
      kernel: kernelSize.values, stride: stride.values, padding: padding.values,
      ceilMode: ceilMode, countIncludePad: countIncludePad, divisorOverride: divisorOverride)
  }

  /// PyTorch's text for the layer, as in `kernel_size=3, stride=2, padding=0`.
  public override var extraDescription: String {
    "kernel_size=\(pythonValue(kernelSize)), stride=\(pythonValue(stride)), "
      + "padding=\(pythonValue(padding))"
  }

  /// The mean of each window of `input` (or its sum over the divisor override).
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.averagePool(options, context: configuration)
    }
  }
}

/// Power-average pooling over [N, C, L] inputs, (Σ xᵖ)^(1/p) per window, as `torch.nn.LPPool1d`.
public final class LPPool1D: Module, @unchecked Sendable {
  /// The power p (2 for L2 pooling).
  public let power: Double
  /// The window length.
  public let kernelSize: Int
  /// The step between windows.
  public let stride: Int
  /// Whether a last, partial window covers the positions the stride leaves out.
  public let ceilMode: Bool
  /// Whether the stride was given, for PyTorch's `stride=None` in the description.
  private let hasExplicitStride: Bool

  /// Creates the layer; the stride defaults to the kernel size.
  ///
  /// - Parameters:
  ///   - power: The power p, positive.
  ///   - kernelSize: The window length.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - ceilMode: Whether the output length is rounded up, as PyTorch's `ceil_mode`; as there,
  ///     a partial window's sum is scaled by kernel size / window size before the root.
  public init(power: Double, kernelSize: Int, stride: Int? = nil, ceilMode: Bool = false) {
    self.power = power
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.ceilMode = ceilMode
    hasExplicitStride = stride != nil
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "LPPool1D(power: \(power), kernelSize: \(kernelSize), stride: \(stride), ceilMode: "
      + "\(ceilMode))"
  }

  /// PyTorch's text for the layer, as in `norm_type=2.0, kernel_size=3, stride=None, ceil_mode=False`
  /// (`None` when the stride was not given).
  public override var extraDescription: String {
    "norm_type=\(pythonRepr(power)), kernel_size=\(kernelSize), "
      + "stride=\(hasExplicitStride ? String(stride) : "None"), "
      + "ceil_mode=\(pythonRepr(ceilMode))"
  }

  /// The p-norm of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.lpPool(
        power: power,
        SlidingPoolingOptions(
          kernel: [kernelSize], stride: [stride], padding: [0], ceilMode: ceilMode),
        context: configuration)
    }
  }
}

/// Power-average pooling over [N, C, H, W] inputs, as `torch.nn.LPPool2d`.
public final class LPPool2D: Module, @unchecked Sendable {
  /// The power p (2 for L2 pooling).
  public let power: Double
  /// The window's height and width.
  public let kernelSize: Size2D
  /// The step between windows.
  public let stride: Size2D
  /// Whether a last, partial window covers the rows and columns the stride leaves out.
  public let ceilMode: Bool
  /// Whether the stride was given, for PyTorch's `stride=None` in the description.
  private let hasExplicitStride: Bool

  /// Creates the layer; the stride defaults to the kernel size.
  ///
  /// - Parameters:
  ///   - power: The power p, positive.
  ///   - kernelSize: The window's height and width.
  ///   - stride: The step between windows; the kernel size when nil.
  ///   - ceilMode: Whether the output size is rounded up, as PyTorch's `ceil_mode`; as there,
  ///     a partial window's sum is scaled by kernel size / window size before the root.
  public init(power: Double, kernelSize: Size2D, stride: Size2D? = nil, ceilMode: Bool = false) {
    self.power = power
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.ceilMode = ceilMode
    hasExplicitStride = stride != nil
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "LPPool2D(power: \(power), kernelSize: \(kernelSize), stride: \(stride), ceilMode: "
      + "\(ceilMode))"
  }

  /// PyTorch's text for the layer, as in `norm_type=2.0, kernel_size=3, stride=None, ceil_mode=False`
  /// (`None` when the stride was not given).
  public override var extraDescription: String {
    "norm_type=\(pythonRepr(power)), kernel_size=\(pythonValue(kernelSize)), "
      + "stride=\(hasExplicitStride ? pythonValue(stride) : "None"), "
      + "ceil_mode=\(pythonRepr(ceilMode))"
  }

  /// The p-norm of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.lpPool(
        power: power,
        SlidingPoolingOptions(
          kernel: kernelSize.values, stride: stride.values, padding: [0, 0], ceilMode: ceilMode),
        context: configuration)
    }
  }
}
