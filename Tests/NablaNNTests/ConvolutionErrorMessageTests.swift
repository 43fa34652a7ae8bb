import Testing

@testable import NablaNN

/// An input that cannot work with a convolution, pooling or normalization layer stops the
/// process with a message giving the layer's configuration and the input's shape.
@Suite struct ConvolutionErrorMessageTests {
  @Test func channelMismatchNamesTheLayerAndTheShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Conv2D(3, 8, kernelSize: 3)(Tensor.zeros([2, 4, 8, 8]))
    }
    expectMessage(
      result,
      "Conv2D(3, 8, kernelSize: [3, 3], stride: [1, 1], padding: [0], dilation: [1, 1], groups: 1, "
        + "bias: true): input of shape [2, 4, 8, 8] has 4 channels, but the weight [8, 3, 3, 3] "
        + "with 1 group(s) expects 3")
  }

  @Test func kernelLargerThanThePaddedInput() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Conv1D(1, 2, kernelSize: 5, dilation: 2)(Tensor.zeros([1, 1, 6]))
    }
    expectMessage(
      result,
      "Conv1D(1, 2, kernelSize: 5, stride: 1, padding: [0], dilation: 2, groups: 1, bias: true): "
        + "input of shape [1, 1, 6] is too small: the padded input [6] is smaller than the "
        + "dilated kernel [9]")
  }

  @Test func wrongRank() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Conv2D(3, 8, kernelSize: 3)(Tensor.zeros([3, 8]))
    }
    expectMessage(
      result,
      "bias: true): expected an input of rank 4 ([batch, channels, height, width]) or 3 without "
        + "the batch, got shape [3, 8]")
  }

  @Test func channelsNotDivisibleByGroups() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Conv2D(4, 6, kernelSize: 3, groups: 4)
    }
    expectMessage(
      result, "Conv2D: 4 input and 6 output channels must be positive and divisible by 4 groups")
  }

  @Test func functionalConvolutionNamesItsOptions() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([1, 2, 5, 5]).conv2d(
        weight: Tensor.zeros([4, 2, 3, 3]), stride: 2, padding: .same)
    }
    expectMessage(
      result,
      "conv2d(weight [4, 2, 3, 3], stride [2, 2], padding same, dilation [1, 1], groups 1): "
        + "padding 'same' needs stride 1, got stride [2, 2]")
  }

  @Test func transposedOutputPaddingMustBeSmallerThanTheStride() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = ConvTranspose1D(2, 2, kernelSize: 3, stride: 2, outputPadding: 2)(
        Tensor.zeros([1, 2, 4]))
    }
    expectMessage(
      result, "output padding [2] must be smaller than the stride or the dilation")
  }

  @Test func poolingWindowLargerThanTheInput() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = MaxPool2D(kernelSize: 4)(Tensor.zeros([1, 2, 3, 5]))
    }
    expectMessage(
      result,
      "MaxPool2D(kernelSize: [4, 4], stride: [4, 4], padding: [0, 0], dilation: [1, 1], "
        + "ceilMode: false): input of shape [1, 2, 3, 5] is too small for kernel [4, 4]")
  }

  @Test func batchNormChannelMismatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = BatchNorm2D(3)(Tensor.zeros([2, 4, 5, 5]))
    }
    expectMessage(
      result,
      "BatchNorm2D(3, epsilon: 1e-05, momentum: 0.1, affine: true, trackRunningStats: true): "
        + "expected an input of rank 4 with 3 channels on axis 1, got shape [2, 4, 5, 5]")
  }

  @Test func dilatedWindowInThePaddingOnly() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = MaxPool1D(kernelSize: 2, stride: 1, padding: 1, dilation: 3)(Tensor.zeros([1, 1, 2]))
    }
    expectMessage(
      result,
      "MaxPool1D(kernelSize: 2, stride: 1, padding: 1, dilation: 3, ceilMode: false): input of "
        + "shape [1, 1, 2] leaves a window with every tap in the padding")
  }
}
