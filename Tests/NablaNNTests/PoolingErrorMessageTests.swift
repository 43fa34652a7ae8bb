import Testing

@testable import NablaNN

/// Bad options and inputs of the pooling, unpooling and upsampling layers and functions stop
/// the process with a message giving the configuration and, where the input is at fault, its
/// shape.
@Suite struct PoolingErrorMessageTests {
  @Test func ceilModeKernelLargerThanTheInput() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = MaxPool1D(kernelSize: 5, stride: 1, ceilMode: true)(Tensor.zeros([1, 1, 3]))
    }
    expectMessage(
      result,
      "MaxPool1D(kernelSize: 5, stride: 1, padding: 0, dilation: 1, ceilMode: true): input of "
        + "shape [1, 1, 3] is too small for kernel [5]")
  }

  @Test func zeroDivisorOverride() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = AvgPool2D(kernelSize: 2, divisorOverride: 0)(Tensor.zeros([1, 1, 4, 4]))
    }
    expectMessage(
      result,
      "AvgPool2D(kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, "
        + "countIncludePad: true, divisorOverride: 0): divisorOverride must not be 0")
  }

  @Test func paddingLargerThanHalfTheKernelInCeilMode() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([1, 2, 6]).avgPool1d(kernelSize: 2, padding: 2, ceilMode: true)
    }
    expectMessage(
      result,
      "avgPool1d(kernelSize 2, stride 2, padding 2, ceilMode true, countIncludePad true): "
        + "padding [2] must be at most half the kernel size [2]")
  }

  @Test func unpoolingIndexOutOfRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = MaxUnpool2D(kernelSize: 2)(
        Tensor.zeros([1, 1, 2, 2]), indices: Tensor(indices: [0, 3, 17, 5], shape: [1, 1, 2, 2]))
    }
    expectMessage(
      result,
      "MaxUnpool2D(kernelSize: [2, 2], stride: [2, 2], padding: [0, 0]): input of shape "
        + "[1, 1, 2, 2] has index 17, out of range for output planes of size [4, 4] "
        + "(16 positions)")
  }

  @Test func unpoolingToASizeTheStrideCannotReach() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = MaxUnpool2D(kernelSize: 2)(
        Tensor.zeros([1, 1, 2, 2]), indices: Tensor(indices: [0, 1, 2, 3], shape: [1, 1, 2, 2]),
        outputSize: [6, 4])
    }
    expectMessage(
      result,
      "MaxUnpool2D(kernelSize: [2, 2], stride: [2, 2], padding: [0, 0]): input of shape "
        + "[1, 1, 2, 2] cannot be unpooled to size [6, 4]: along spatial axis 0 the size must be "
        + "positive and strictly between 2 and 6")
  }

  @Test func unpoolingIndicesOfAnotherShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).maxUnpool1d(indices: Tensor(indices: [0, 1, 2]), kernelSize: 2)
    }
    expectMessage(
      result,
      "maxUnpool1d(kernelSize 2, stride 2, padding 0, outputSize nil): input of shape [2, 3] "
        + "needs int64 indices of the same shape, got int64 indices of shape [3]")
  }

  @Test func unpoolingWithoutIndices() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = MaxUnpool1D(kernelSize: 2)(Tensor.zeros([1, 1, 4]))
    }
    expectMessage(
      result,
      "MaxUnpool1D(kernelSize: 2, stride: 2, padding: 0): needs the indices of the max pooling")
  }

  @Test func scaleFactorsForTheWrongNumberOfAxes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Upsample(scaleFactor: [2, 3, 4])(Tensor.zeros([1, 1, 2, 2]))
    }
    expectMessage(
      result,
      "Upsample(scaleFactor: [2.0, 3.0, 4.0], mode: nearest, alignCorners: false): scaleFactor "
        + "[2.0, 3.0, 4.0] must be one factor or 2 (one per spatial axis) for input of shape "
        + "[1, 1, 2, 2]")
  }

  @Test func alignCornersWithNearest() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([1, 1, 3]).upsampled(scaleFactor: 2, alignCorners: true)
    }
    expectMessage(
      result,
      "upsampled(size nil, scaleFactor 2.0, mode nearest, alignCorners true): alignCorners can "
        + "only be set with the linear, bilinear and bicubic modes")
  }

  @Test func functionalMaxPoolWithIndicesNamesItsOptions() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([1, 1, 2, 2]).maxPool2dWithIndices(kernelSize: 3)
    }
    expectMessage(
      result,
      "maxPool2d(kernelSize [3, 3], stride [3, 3], padding [0, 0], dilation [1, 1], ceilMode "
        + "false): input of shape [1, 1, 2, 2] is too small for kernel [3, 3]")
  }
}
