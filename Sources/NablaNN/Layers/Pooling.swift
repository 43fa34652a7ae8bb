// Sliding-window pooling layers: each holds the options of a Tensor function of the same family
// and applies it, naming its configuration when an input does not fit. None has parameters.
// Adaptive pooling, unpooling and upsampling have files of their own.

/// Max pooling over [N, C, L] inputs, as `torch.nn.MaxPool1d`.
///
/// ```swift
/// MaxPool1D(kernelSize: 2)(Tensor.randomNormal([8, 4, 40])).shape  // [8, 4, 20]
/// ```
public final class MaxPool1D: Module, CustomStringConvertible {
  /// The window length.
  public let kernelSize: Int
  /// The step between windows.
  public let stride: Int
  /// The implicit −∞ padding at both ends.
  public let padding: Int
  /// The spacing of a window's taps.
  public let dilation: Int

  /// Creates the layer; the stride defaults to the kernel size.
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.dilation = dilation
  }

  /// The layer's configuration.
  public var description: String {
    "MaxPool1D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), dilation: "
      + "\(dilation))"
  }

  /// The maximum of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    input.maxPool(
      kernel: [kernelSize], stride: [stride], padding: [padding], dilation: [dilation],
      context: description)
  }
}

/// Max pooling over [N, C, H, W] inputs, as `torch.nn.MaxPool2d`.
///
/// ```swift
/// MaxPool2D(kernelSize: 2)(Tensor.randomNormal([64, 16, 28, 28])).shape  // [64, 16, 14, 14]
/// ```
public final class MaxPool2D: Module, CustomStringConvertible {
  /// The window's height and width.
  public let kernelSize: Size2D
  /// The step between windows.
  public let stride: Size2D
  /// The implicit −∞ padding on each side.
  public let padding: Size2D
  /// The spacing of a window's taps.
  public let dilation: Size2D

  /// Creates the layer; the stride defaults to the kernel size.
  public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1)
  {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.dilation = dilation
  }

  /// The layer's configuration.
  public var description: String {
    "MaxPool2D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), dilation: "
      + "\(dilation))"
  }

  /// The maximum of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    input.maxPool(
      kernel: kernelSize.values, stride: stride.values, padding: padding.values,
      dilation: dilation.values, context: description)
  }
}

/// Average pooling over [N, C, L] inputs, as `torch.nn.AvgPool1d`.
public final class AvgPool1D: Module, CustomStringConvertible {
  /// The window length.
  public let kernelSize: Int
  /// The step between windows.
  public let stride: Int
  /// The zero padding at both ends.
  public let padding: Int
  /// Whether padding zeros count in the divisor of border windows (PyTorch's default: true).
  public let countIncludePad: Bool

  /// Creates the layer; the stride defaults to the kernel size.
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.countIncludePad = countIncludePad
  }

  /// The layer's configuration.
  public var description: String {
    "AvgPool1D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), "
      + "countIncludePad: \(countIncludePad))"
  }

  /// The mean of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    input.averagePool(
      kernel: [kernelSize], stride: [stride], padding: [padding],
      countIncludePad: countIncludePad, context: description)
  }
}

/// Average pooling over [N, C, H, W] inputs, as `torch.nn.AvgPool2d`.
public final class AvgPool2D: Module, CustomStringConvertible {
  /// The window's height and width.
  public let kernelSize: Size2D
  /// The step between windows.
  public let stride: Size2D
  /// The zero padding on each side.
  public let padding: Size2D
  /// Whether padding zeros count in the divisor of border windows (PyTorch's default: true).
  public let countIncludePad: Bool

  /// Creates the layer; the stride defaults to the kernel size.
  public init(
    kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0, countIncludePad: Bool = true
  ) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
    self.countIncludePad = countIncludePad
  }

  /// The layer's configuration.
  public var description: String {
    "AvgPool2D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding), "
      + "countIncludePad: \(countIncludePad))"
  }

  /// The mean of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    input.averagePool(
      kernel: kernelSize.values, stride: stride.values, padding: padding.values,
      countIncludePad: countIncludePad, context: description)
  }
}

/// Power-average pooling over [N, C, L] inputs, (Σ xᵖ)^(1/p) per window, as `torch.nn.LPPool1d`.
public final class LPPool1D: Module, CustomStringConvertible {
  /// The power p (2 for L2 pooling).
  public let power: Double
  /// The window length.
  public let kernelSize: Int
  /// The step between windows.
  public let stride: Int

  /// Creates the layer; the stride defaults to the kernel size.
  public init(power: Double, kernelSize: Int, stride: Int? = nil) {
    self.power = power
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
  }

  /// The layer's configuration.
  public var description: String {
    "LPPool1D(power: \(power), kernelSize: \(kernelSize), stride: \(stride))"
  }

  /// The p-norm of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    input.lpPool(power: power, kernel: [kernelSize], stride: [stride], context: description)
  }
}

/// Power-average pooling over [N, C, H, W] inputs, as `torch.nn.LPPool2d`.
public final class LPPool2D: Module, CustomStringConvertible {
  /// The power p (2 for L2 pooling).
  public let power: Double
  /// The window's height and width.
  public let kernelSize: Size2D
  /// The step between windows.
  public let stride: Size2D

  /// Creates the layer; the stride defaults to the kernel size.
  public init(power: Double, kernelSize: Size2D, stride: Size2D? = nil) {
    self.power = power
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
  }

  /// The layer's configuration.
  public var description: String {
    "LPPool2D(power: \(power), kernelSize: \(kernelSize), stride: \(stride))"
  }

  /// The p-norm of each window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    input.lpPool(
      power: power, kernel: kernelSize.values, stride: stride.values, context: description)
  }
}
