import NablaTestSupport
import Testing

@testable import NablaNN

/// The matrix view: a convolution, an average pooling or a nearest upsampling of a fixed input
/// size is a matrix times the flattened input.
@Suite struct MatrixViewTests {
  /// layer(x), flattened, against M · flatten(x) for a batch of one.
  func expectMatrix(
    _ matrix: Tensor, _ layer: Module, _ x: Tensor,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let output = layer(x)
    #expect(matrix.shape == [output.scalarCount, x.scalarCount], sourceLocation: sourceLocation)
    expectClose(
      [Double](matrix.matmul(x.flattened())), [Double](output.flattened()), tolerance: 1e-12,
      sourceLocation: sourceLocation)
  }

  @Test func conv2dIsAConstrainedMatrix() {
    let conv = Conv2D(
      4, 6, kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2,
      bias: false, dtype: .float64)
    expectMatrix(conv.denseMatrix(inputSize: [5, 6]), conv, random([1, 4, 5, 6], seed: 1))
    // Stride 1 with the output as wide as the input (its rows are unfolded as one run), and the
    // dilated rows reading padding only at the top and bottom.
    let same = Conv2D(
      3, 2, kernelSize: [5, 3], padding: [4, 1], dilation: [2, 1], bias: false, dtype: .float64)
    expectMatrix(same.denseMatrix(inputSize: [4, 5]), same, random([1, 3, 4, 5], seed: 3))
  }

  @Test func conv1dMatrixWithBias() {
    let conv = Conv1D(2, 3, kernelSize: 3, padding: .same, dtype: .float64)
    let x = random([1, 2, 7], seed: 2)
    let matrix = conv.denseMatrix(inputLength: 7)
    // The layer adds its bias, the same for every position of a channel.
    let bias = conv.bias!.value.reshaped([3, 1]).expanded(to: [3, 7]).flattened()
    expectClose(
      [Double](matrix.matmul(x.flattened()) + bias), [Double](conv(x).flattened()),
      tolerance: 1e-12)
  }

  @Test func smallConvolutionMatrixWrittenOut() {
    // One channel, kernel [1, 2, 3] over 4 inputs, no padding: two rows, the kernel shifted.
    let conv = Conv1D(1, 1, kernelSize: 3, bias: false, dtype: .float64)
    conv.weight.assign(Tensor([1, 2, 3], shape: [1, 1, 3], dtype: .float64))
    expectClose([Double](conv.denseMatrix(inputLength: 4)), [1, 2, 3, 0, 0, 1, 2, 3])
  }

  @Test func poolingAndUpsamplingMatrices() {
    let x = random([1, 2, 5, 4], seed: 3)
    let pool = AvgPool2D(kernelSize: 3, stride: 2, padding: 1, countIncludePad: false)
    expectMatrix(pool.denseMatrix(channels: 2, inputSize: [5, 4], dtype: .float64), pool, x)
    let signal = random([1, 3, 7], seed: 4)
    let pool1 = AvgPool1D(kernelSize: 2, padding: 1)
    expectMatrix(pool1.denseMatrix(channels: 3, inputLength: 7, dtype: .float64), pool1, signal)
    let up = Upsample(scaleFactor: 2)
    expectMatrix(up.denseMatrix(channels: 2, inputSize: [5, 4], dtype: .float64), up, x)
    let stretch = Upsample(size: [10])
    expectMatrix(stretch.denseMatrix(channels: 3, inputSize: [7], dtype: .float64), stretch, signal)
  }
}
