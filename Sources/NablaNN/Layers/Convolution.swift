// Convolution layers with PyTorch's weight layouts and default initialization: weights drawn by
// kaiming_uniform(a: √5), which is uniform in ±1/√fanIn, and the bias uniform in ±1/√fanIn, where
// fanIn is the weight's dimension 1 times the kernel's size.

/// Stops, naming `layer`, unless the channel counts are positive and divisible by `groups` and
/// the kernel size is positive; then draws the weight and optional bias as PyTorch's `_ConvNd`
/// does: [outputChannels, inputChannels/groups, kernel...] ([inputChannels,
/// outputChannels/groups, kernel...] when `transposed`) and [outputChannels].
private func convolutionParameters(
  _ layer: String, _ inputChannels: Int, _ outputChannels: Int, groups: Int,
  kernelSize: some CustomStringConvertible, kernel: [Int], transposed: Bool, bias: Bool,
  dtype: DType, generator: RandomGenerator
) -> (Parameter, Parameter?) {
  require(
    inputChannels > 0 && outputChannels > 0 && groups > 0 && inputChannels % groups == 0
      && outputChannels % groups == 0,
    "\(layer): \(inputChannels) input and \(outputChannels) output channels must be positive and "
      + "divisible by \(groups) groups")
  require(
    kernel.allSatisfy { $0 > 0 }, "\(layer): kernel size \(kernelSize) must be positive")
  let shape =
    (transposed
      ? [inputChannels, outputChannels / groups] : [outputChannels, inputChannels / groups])
    + kernel
  let weight = Initializer.kaimingUniform(
    shape, a: 5.0.squareRoot(), dtype: dtype, generator: generator)
  let bound = 1 / Double(Initializer.fans(of: shape).fanIn).squareRoot()
  let biasValues =
    bias
    ? Initializer.uniform(
      [outputChannels], low: -bound, high: bound, dtype: dtype, generator: generator) : nil
  return (Parameter(weight), biasValues.map(Parameter.init))
}

/// PyTorch's `_ConvNd.extra_repr`: the channels, kernel size and stride, then each option that
/// differs from its default (padding, dilation, output padding, groups, bias, padding mode), as in
/// `1, 25, kernel_size=(5,), stride=(2,), padding=(1,)`.
private func convolutionExtraDescription(
  _ inputChannels: Int, _ outputChannels: Int, kernel: [Int], stride: [Int],
  padding: ConvolutionPadding, outputPadding: [Int] = [], dilation: [Int], groups: Int,
  hasBias: Bool, paddingMode: PaddingMode = .zeros
) -> String {
  var text =
    "\(inputChannels), \(outputChannels), kernel_size=\(pythonTuple(kernel)), "
    + "stride=\(pythonTuple(stride))"
  switch padding {
  case .valid, .same: text += ", padding=\(padding)"
  case .explicit(let sizes):
    let perAxis = sizes.count == 1 ? [Int](repeating: sizes[0], count: kernel.count) : sizes
    if perAxis.contains(where: { $0 != 0 }) { text += ", padding=\(pythonTuple(perAxis))" }
  }
  if dilation.contains(where: { $0 != 1 }) { text += ", dilation=\(pythonTuple(dilation))" }
  if outputPadding.contains(where: { $0 != 0 }) {
    text += ", output_padding=\(pythonTuple(outputPadding))"
  }
  if groups != 1 { text += ", groups=\(groups)" }
  if !hasBias { text += ", bias=False" }
  if paddingMode != .zeros { text += ", padding_mode=\(paddingMode)" }
  return text
}

/// `, paddingMode: .reflect` for a layer's configuration in messages, or nothing for zeros.
private func modeArgument(_ mode: PaddingMode) -> String {
  mode == .zeros ? "" : ", paddingMode: .\(mode)"
}

/// A 1-D convolution over [N, C, L] inputs, as `torch.nn.Conv1d`: weight
/// [outputChannels, inputChannels/groups, kernelSize], bias [outputChannels].
///
/// ```swift
/// let conv = Conv1D(1, 25, kernelSize: 5, padding: 2)
/// conv(Tensor.randomNormal([100, 1, 40])).shape  // [100, 25, 40]
/// ```
public final class Conv1D: Module, @unchecked Sendable {
  /// The kernels, [outputChannels, inputChannels/groups, kernelSize].
  public let weight: Parameter
  /// The bias, [outputChannels], or nil.
  public let bias: Parameter?
  /// The step between kernel positions.
  public let stride: Int
  /// The zero padding at both ends.
  public let padding: ConvolutionPadding
  /// The spacing between kernel taps.
  public let dilation: Int
  /// The number of channel groups.
  public let groups: Int
  /// What fills the padding: zeros, or the input's own values (as PyTorch's `padding_mode`).
  public let paddingMode: PaddingMode

  /// Creates a layer mapping `inputChannels` to `outputChannels`.
  ///
  /// - Parameters:
  ///   - inputChannels: The number of channels of the input.
  ///   - outputChannels: The number of channels of the output.
  ///   - kernelSize: The kernel length.
  ///   - stride: The step between kernel positions.
  ///   - padding: Zeros added at both ends: a number, `.valid` or `.same`.
  ///   - dilation: The spacing between kernel taps.
  ///   - groups: The number of channel groups (`inputChannels` for a depthwise convolution).
  ///   - bias: Whether to add a learned bias.
  ///   - paddingMode: What fills the padding: `.zeros`, or `.reflect`, `.replicate` or
  ///     `.circular` to take values from the input.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
    padding: ConvolutionPadding = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
    paddingMode: PaddingMode = .zeros, dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    (weight, self.bias) = convolutionParameters(
      "Conv1D", inputChannels, outputChannels, groups: groups, kernelSize: kernelSize,
      kernel: [kernelSize], transposed: false, bias: bias, dtype: dtype, generator: generator)
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    self.paddingMode = paddingMode
  }

  /// The layer's configuration with Swift's argument labels, for error messages, as in `Conv1D(1, 25, kernelSize: 5, stride: 1, ...)`.
  var configuration: String {
    let shape = weight.value.shape
    return "Conv1D(\(shape[1] * groups), \(shape[0]), kernelSize: \(shape[2]), stride: \(stride), "
      + "padding: \(padding), dilation: \(dilation), groups: \(groups), bias: \(bias != nil)"
      + "\(modeArgument(paddingMode)))"
  }

  /// PyTorch's text for the layer, as in `1, 25, kernel_size=(5,), stride=(2,), padding=(1,)`.
  public override var extraDescription: String {
    let shape = weight.value.shape
    return convolutionExtraDescription(
      shape[1] * groups, shape[0], kernel: [shape[2]], stride: [stride], padding: padding,
      dilation: [dilation], groups: groups, hasBias: bias != nil,
      paddingMode: paddingMode)
  }

  /// The convolution of `input`, [N, C, L] or [C, L].
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.convolution(
        weight: weight.value, bias: bias?.value, stride: [stride], padding: padding,
        dilation: [dilation], groups: groups, paddingMode: paddingMode,
        context: configuration)
    }
  }
}

/// A 2-D convolution over [N, C, H, W] inputs, as `torch.nn.Conv2d`: weight
/// [outputChannels, inputChannels/groups, kh, kw], bias [outputChannels].
///
/// ```swift
/// let conv = Conv2D(1, 16, kernelSize: 3, padding: 1)
/// conv(Tensor.randomNormal([64, 1, 28, 28])).shape  // [64, 16, 28, 28]
/// let depthwise = Conv2D(16, 16, kernelSize: [3, 5], padding: .same, groups: 16)
/// ```
public final class Conv2D: Module, @unchecked Sendable {
  /// The kernels, [outputChannels, inputChannels/groups, kh, kw].
  public let weight: Parameter
  /// The bias, [outputChannels], or nil.
  public let bias: Parameter?
  /// The step between kernel positions.
  public let stride: Size2D
  /// The zero padding on each side.
  public let padding: ConvolutionPadding
  /// The spacing between kernel taps.
  public let dilation: Size2D
  /// The number of channel groups.
  public let groups: Int
  /// What fills the padding: zeros, or the input's own values (as PyTorch's `padding_mode`).
  public let paddingMode: PaddingMode

  /// Creates a layer mapping `inputChannels` to `outputChannels`.
  ///
  /// - Parameters:
  ///   - inputChannels: The number of channels of the input.
  ///   - outputChannels: The number of channels of the output.
  ///   - kernelSize: The kernel's height and width (one number for a square kernel).
  ///   - stride: The step between kernel positions.
  ///   - padding: Zeros added on each side: numbers, `.valid` or `.same`.
  ///   - dilation: The spacing between kernel taps.
  ///   - groups: The number of channel groups (`inputChannels` for a depthwise convolution).
  ///   - bias: Whether to add a learned bias.
  ///   - paddingMode: What fills the padding: `.zeros`, or `.reflect`, `.replicate` or
  ///     `.circular` to take values from the input.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Size2D, stride: Size2D = 1,
    padding: ConvolutionPadding = 0, dilation: Size2D = 1, groups: Int = 1, bias: Bool = true,
    paddingMode: PaddingMode = .zeros, dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    (weight, self.bias) = convolutionParameters(
      "Conv2D", inputChannels, outputChannels, groups: groups, kernelSize: kernelSize,
      kernel: kernelSize.values, transposed: false, bias: bias, dtype: dtype,
      generator: generator)
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    self.paddingMode = paddingMode
  }

  /// The kernel's height and width.
  public var kernelSize: Size2D { Size2D(weight.value.shape[2], weight.value.shape[3]) }

  /// The layer's configuration with Swift's argument labels, for error messages, as in `Conv2D(1, 16, kernelSize: [3, 3], ...)`.
  var configuration: String {
    let shape = weight.value.shape
    return "Conv2D(\(shape[1] * groups), \(shape[0]), kernelSize: \(kernelSize), stride: "
      + "\(stride), padding: \(padding), dilation: \(dilation), groups: \(groups), bias: "
      + "\(bias != nil)\(modeArgument(paddingMode)))"
  }

  /// PyTorch's text for the layer, as in `1, 16, kernel_size=(3, 3), stride=(1, 1)`.
  public override var extraDescription: String {
    let shape = weight.value.shape
    return convolutionExtraDescription(
      shape[1] * groups, shape[0], kernel: kernelSize.values, stride: stride.values,
      padding: padding, dilation: dilation.values, groups: groups, hasBias: bias != nil,
      paddingMode: paddingMode)
  }

  /// The convolution of `input`, [N, C, H, W] or [C, H, W].
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.convolution(
        weight: weight.value, bias: bias?.value, stride: stride.values, padding: padding,
        dilation: dilation.values, groups: groups, paddingMode: paddingMode,
        context: configuration)
    }
  }
}

/// A 1-D transposed convolution, as `torch.nn.ConvTranspose1d`: weight
/// [inputChannels, outputChannels/groups, kernelSize]. It maps a length L to
/// (L − 1)·stride − 2·padding + dilation·(kernelSize − 1) + outputPadding + 1.
///
/// ```swift
/// let up = ConvTranspose1D(8, 4, kernelSize: 4, stride: 2, padding: 1)
/// up(Tensor.randomNormal([2, 8, 10])).shape  // [2, 4, 20]
/// ```
public final class ConvTranspose1D: Module, @unchecked Sendable {
  /// The kernels, [inputChannels, outputChannels/groups, kernelSize].
  public let weight: Parameter
  /// The bias, [outputChannels], or nil.
  public let bias: Parameter?
  /// The stride of the convolution this layer transposes.
  public let stride: Int
  /// The padding of the convolution this layer transposes (removed from both ends).
  public let padding: Int
  /// Extra positions added at the end of the output.
  public let outputPadding: Int
  /// The spacing between kernel taps.
  public let dilation: Int
  /// The number of channel groups.
  public let groups: Int

  /// Creates a layer mapping `inputChannels` to `outputChannels`.
  ///
  /// - Parameters:
  ///   - inputChannels: The number of channels of the input.
  ///   - outputChannels: The number of channels of the output.
  ///   - kernelSize: The size of the kernel.
  ///   - stride: The step between kernel positions.
  ///   - padding: The positions trimmed from each side of the output, as PyTorch's `padding`.
  ///   - outputPadding: Extra positions at the end, smaller than the stride or the dilation.
  ///   - dilation: The spacing between kernel taps.
  ///   - groups: The number of channel groups.
  ///   - bias: Whether to add a learned bias.
  ///   - paddingMode: `.zeros`, the only mode a transposed convolution has (as in PyTorch,
  ///     which refuses the others too).
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
    padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1,
    bias: Bool = true, paddingMode: PaddingMode = .zeros, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    require(
      paddingMode == .zeros,
      "ConvTranspose1D: only .zeros padding is supported for a transposed convolution, got .\(paddingMode)"
    )
    (weight, self.bias) = convolutionParameters(
      "ConvTranspose1D", inputChannels, outputChannels, groups: groups, kernelSize: kernelSize,
      kernel: [kernelSize], transposed: true, bias: bias, dtype: dtype, generator: generator)
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.dilation = dilation
    self.groups = groups
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    let shape = weight.value.shape
    return "ConvTranspose1D(\(shape[0]), \(shape[1] * groups), kernelSize: \(shape[2]), stride: "
      + "\(stride), padding: \(padding), outputPadding: \(outputPadding), dilation: "
      + "\(dilation), groups: \(groups), bias: \(bias != nil))"
  }

  /// PyTorch's text for the layer, as in `8, 4, kernel_size=(4,), stride=(2,), padding=(1,)`.
  public override var extraDescription: String {
    let shape = weight.value.shape
    return convolutionExtraDescription(
      shape[0], shape[1] * groups, kernel: [shape[2]], stride: [stride],
      padding: .explicit([padding]), outputPadding: [outputPadding], dilation: [dilation],
      groups: groups, hasBias: bias != nil)
  }

  /// The transposed convolution of `input`, [N, C, L] or [C, L].
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.transposedConvolution(
        weight: weight.value, bias: bias?.value, stride: [stride], padding: [padding],
        outputPadding: [outputPadding], dilation: [dilation], groups: groups, context: configuration
      )
    }
  }
}

/// A 2-D transposed convolution, as `torch.nn.ConvTranspose2d`: weight
/// [inputChannels, outputChannels/groups, kh, kw].
///
/// ```swift
/// let up = ConvTranspose2D(16, 8, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)
/// up(Tensor.randomNormal([1, 16, 7, 7])).shape  // [1, 8, 14, 14]
/// ```
public final class ConvTranspose2D: Module, @unchecked Sendable {
  /// The kernels, [inputChannels, outputChannels/groups, kh, kw].
  public let weight: Parameter
  /// The bias, [outputChannels], or nil.
  public let bias: Parameter?
  /// The stride of the convolution this layer transposes.
  public let stride: Size2D
  /// The padding of the convolution this layer transposes (removed from each side).
  public let padding: Size2D
  /// Extra rows and columns added at the bottom and right of the output.
  public let outputPadding: Size2D
  /// The spacing between kernel taps.
  public let dilation: Size2D
  /// The number of channel groups.
  public let groups: Int

  /// Creates a layer mapping `inputChannels` to `outputChannels`.
  ///
  /// - Parameters:
  ///   - inputChannels: The number of channels of the input.
  ///   - outputChannels: The number of channels of the output.
  ///   - kernelSize: The size of the kernel.
  ///   - stride: The step between kernel positions.
  ///   - padding: The positions trimmed from each side of the output, as PyTorch's `padding`.
  ///   - outputPadding: Extra rows and columns, smaller than the stride or the dilation.
  ///   - dilation: The spacing between kernel taps.
  ///   - groups: The number of channel groups.
  ///   - bias: Whether to add a learned bias.
  ///   - paddingMode: `.zeros`, the only mode a transposed convolution has (as in PyTorch,
  ///     which refuses the others too).
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    _ inputChannels: Int, _ outputChannels: Int, kernelSize: Size2D, stride: Size2D = 1,
    padding: Size2D = 0, outputPadding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1,
    bias: Bool = true, paddingMode: PaddingMode = .zeros, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    require(
      paddingMode == .zeros,
      "ConvTranspose2D: only .zeros padding is supported for a transposed convolution, got .\(paddingMode)"
    )
    (weight, self.bias) = convolutionParameters(
      "ConvTranspose2D", inputChannels, outputChannels, groups: groups, kernelSize: kernelSize,
      kernel: kernelSize.values, transposed: true, bias: bias, dtype: dtype,
      generator: generator)
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.dilation = dilation
    self.groups = groups
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    let shape = weight.value.shape
    return "ConvTranspose2D(\(shape[0]), \(shape[1] * groups), kernelSize: "
      + "\(Size2D(shape[2], shape[3])), stride: \(stride), padding: \(padding), outputPadding: "
      + "\(outputPadding), dilation: \(dilation), groups: \(groups), bias: \(bias != nil))"
  }

  /// PyTorch's text for the layer, as in `16, 8, kernel_size=(3, 3), stride=(2, 2), ...`.
  public override var extraDescription: String {
    let shape = weight.value.shape
    return convolutionExtraDescription(
      shape[0], shape[1] * groups, kernel: [shape[2], shape[3]], stride: stride.values,
      padding: .explicit(padding.values), outputPadding: outputPadding.values,
      dilation: dilation.values, groups: groups, hasBias: bias != nil)
  }

  /// The transposed convolution of `input`, [N, C, H, W] or [C, H, W].
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.transposedConvolution(
        weight: weight.value, bias: bias?.value, stride: stride.values, padding: padding.values,
        outputPadding: outputPadding.values, dilation: dilation.values, groups: groups,
        context: configuration)
    }
  }
}
