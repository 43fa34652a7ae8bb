import Testing

@testable import NablaNN

/// Convolution, pooling and upsampling layers: PyTorch's shapes and default initialization, and
/// float64 gradient checks with respect to the input and every parameter.
@Suite struct ConvolutionLayerTests {
  /// Every value lies within ±bound and the largest comes near it (uniform in ±bound).
  func expectUniform(
    _ tensor: Tensor, bound: Double, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let values = [Double](tensor)
    let largest = values.map(Swift.abs).max() ?? 0
    #expect(largest <= bound && largest > 0.8 * bound, sourceLocation: sourceLocation)
  }

  @Test func weightShapesAndDefaultInitialization() {
    let generator = RandomGenerator(seed: 5)
    let conv = Conv2D(6, 8, kernelSize: [3, 5], groups: 2, generator: generator)
    #expect(conv.weight.value.shape == [8, 3, 3, 5])
    #expect(conv.bias?.value.shape == [8])
    // kaiming_uniform(a: √5) and the bias are both uniform in ±1/√fanIn, fanIn = 3·3·5.
    expectUniform(conv.weight.value, bound: 1 / Double(45).squareRoot())
    expectUniform(conv.bias!.value, bound: 1 / Double(45).squareRoot())
    let conv1 = Conv1D(4, 6, kernelSize: 5, bias: false, generator: generator)
    #expect(conv1.weight.value.shape == [6, 4, 5] && conv1.bias == nil)
    expectUniform(conv1.weight.value, bound: 1 / Double(20).squareRoot())
    // A transposed convolution's fanIn is its weight's dimension 1: out/groups · kernel.
    let up = ConvTranspose2D(6, 4, kernelSize: 3, groups: 2, generator: generator)
    #expect(up.weight.value.shape == [6, 2, 3, 3])
    expectUniform(up.weight.value, bound: 1 / Double(18).squareRoot())
    expectUniform(up.bias!.value, bound: 1 / Double(18).squareRoot())
    let up1 = ConvTranspose1D(3, 6, kernelSize: 4, generator: generator)
    #expect(up1.weight.value.shape == [3, 6, 4])
    #expect(conv.namedParameters().map(\.name) == ["weight", "bias"])
  }

  @Test func outputShapes() {
    let x = Tensor.zeros([2, 4, 9, 8])
    #expect(Conv2D(4, 6, kernelSize: 3, stride: 2, padding: 1)(x).shape == [2, 6, 5, 4])
    #expect(Conv2D(4, 4, kernelSize: [3, 2], padding: .same, groups: 4)(x).shape == [2, 4, 9, 8])
    #expect(
      ConvTranspose2D(4, 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)(x).shape
        == [2, 3, 18, 16])
    let signal = Tensor.zeros([3, 2, 40])
    #expect(Conv1D(2, 5, kernelSize: 5, padding: .same)(signal).shape == [3, 5, 40])
    #expect(
      ConvTranspose1D(2, 4, kernelSize: 4, stride: 2, padding: 1)(signal).shape == [3, 4, 80])
    #expect(MaxPool2D(kernelSize: 2)(x).shape == [2, 4, 4, 4])
    #expect(AvgPool1D(kernelSize: 3, stride: 2, padding: 1)(signal).shape == [3, 2, 20])
    #expect(AdaptiveAvgPool2D(outputSize: 1)(x).shape == [2, 4, 1, 1])
    #expect(Upsample(size: [4, 5], mode: .bilinear)(x).shape == [2, 4, 4, 5])
  }

  @Test(arguments: [
    (stride: 1, padding: ConvolutionPadding.explicit([0]), dilation: 1, groups: 1),
    (stride: 2, padding: ConvolutionPadding.explicit([2]), dilation: 2, groups: 2),
    (stride: 1, padding: ConvolutionPadding.same, dilation: 1, groups: 4),
  ])
  func conv1dLayerGradients(
    stride: Int, padding: ConvolutionPadding, dilation: Int, groups: Int
  ) {
    let layer = Conv1D(
      4, 4, kernelSize: 3, stride: stride, padding: padding, dilation: dilation, groups: groups)
    expectModuleGradients(layer, random([2, 4, 7], seed: 1))
  }

  @Test func conv2dLayerGradients() {
    expectModuleGradients(
      Conv2D(2, 4, kernelSize: [2, 3], stride: [2, 1], padding: [1, 0], dilation: [1, 2]),
      random([2, 2, 5, 6], seed: 2))
    expectModuleGradients(
      Conv2D(3, 3, kernelSize: 3, padding: .same, groups: 3, bias: false),
      random([1, 3, 4, 5], seed: 3))
  }

  @Test func transposedLayerGradients() {
    expectModuleGradients(
      ConvTranspose1D(4, 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2),
      random([2, 4, 5], seed: 4))
    expectModuleGradients(
      ConvTranspose2D(
        2, 3, kernelSize: [3, 2], stride: [1, 2], padding: [1, 0], dilation: [2, 1]),
      random([1, 2, 4, 3], seed: 5))
  }

  @Test func poolingLayerGradients() {
    let x = random([1, 2, 5, 7], seed: 6)
    expectModuleGradients(MaxPool2D(kernelSize: [3, 2], stride: [2, 2], padding: [1, 0]), x)
    expectModuleGradients(AvgPool2D(kernelSize: 3, stride: 2, padding: 1), x)
    expectModuleGradients(
      AvgPool2D(kernelSize: [2, 3], stride: 2, padding: 1, countIncludePad: false), x)
    expectModuleGradients(LPPool2D(power: 2, kernelSize: 2), x.abs() + 0.5)
    expectModuleGradients(AdaptiveAvgPool2D(outputSize: [2, 3]), x)
    expectModuleGradients(AdaptiveMaxPool2D(outputSize: [2, 3]), x)
    expectModuleGradients(Upsample(scaleFactor: 2, mode: .bilinear), x)
    let signal = random([2, 3, 9], seed: 7)
    expectModuleGradients(MaxPool1D(kernelSize: 3, stride: 2, padding: 1, dilation: 1), signal)
    expectModuleGradients(AvgPool1D(kernelSize: 2, countIncludePad: false), signal)
    expectModuleGradients(LPPool1D(power: 3, kernelSize: 3, stride: 2), signal.abs() + 0.5)
    expectModuleGradients(AdaptiveAvgPool1D(outputSize: 4), signal)
    expectModuleGradients(AdaptiveMaxPool1D(outputSize: 4), signal)
    expectModuleGradients(Upsample(size: [13]), signal)
  }

  /// A small CNN trains: the loss goes down over a few SGD steps.
  @Test func smallNetworkLearns() {
    manualSeed(3)
    let model = Sequential {
      Conv2D(1, 4, kernelSize: 3, padding: 1)
      BatchNorm2D(4)
      ReLU()
      MaxPool2D(kernelSize: 2)
      Flatten()
      Linear(4 * 3 * 3, 2)
    }
    let x = Tensor.randomNormal([8, 1, 6, 6])
    let labels = Tensor(indices: [0, 1, 0, 1, 0, 1, 0, 1])
    func loss() -> Tensor { crossEntropy(model(x), classIndices: labels) }
    let first = loss().item
    for _ in 0..<20 {
      model.zeroGradients()
      loss().backward()
      for parameter in model.parameters() {
        parameter.assign(parameter.value - 0.1 * parameter.grad!)
      }
    }
    #expect(loss().item < first)
  }
}
