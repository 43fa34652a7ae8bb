import NablaTestSupport
import Testing

@testable import Nabla

/// Convolutions and transposed convolutions. Expected values were worked out with direct loops in
/// NumPy from PyTorch's definitions (cross-correlation, zero padding), not produced by Nabla.
@Suite struct ConvolutionTests {
  func double(_ values: [Double], _ shape: [Int]) -> Tensor {
    Tensor(values, shape: shape, dtype: .float64)
  }

  @Test func conv1dWithPaddingStrideAndBias() {
    let x = double([1, 2, 3, 4, 5], [1, 1, 5])
    let w = double([1, 0, -1], [1, 1, 3])
    let y = x.conv1d(weight: w, bias: double([0.5], [1]), stride: 2, padding: 1)
    #expect(y.shape == [1, 1, 3])
    expectClose([Double](y), [-1.5, -1.5, 4.5], tolerance: 1e-6)
  }

  @Test func conv2dValues() {
    let x = Tensor.arange(0, 16, dtype: .float64).reshaped([1, 1, 4, 4])
    let w = double([1, 2, 3, 4], [1, 1, 2, 2])
    expectClose(
      [Double](x.conv2d(weight: w)), [34, 44, 54, 74, 84, 94, 114, 124, 134], tolerance: 1e-6)
    let dilated = x.conv2d(weight: w, stride: 2, padding: 1, dilation: 2)
    #expect(dilated.shape == [1, 1, 2, 2])
    expectClose([Double](dilated), [20, 43, 62, 118], tolerance: 1e-6)
  }

  @Test func depthwiseConv2d() {
    let x = Tensor.arange(0, 18, dtype: .float64).reshaped([1, 2, 3, 3])
    let w = double([1, -1, 2, 0, 0, 1, 1, 1], [2, 1, 2, 2])
    expectClose(
      [Double](x.conv2d(weight: w, groups: 2)), [5, 7, 11, 13, 35, 38, 44, 47], tolerance: 1e-6)
  }

  @Test func samePaddingKeepsTheSizeAndPadsTheExtraZeroAfter() {
    // An even kernel: total padding 1, all of it after, as PyTorch.
    let x = double([1, 2, 3, 4], [1, 1, 4])
    let y = x.conv1d(weight: double([1, 10], [1, 1, 2]), padding: .same)
    expectClose([Double](y), [21, 32, 43, 4], tolerance: 1e-6)
    let image = Tensor.ones([1, 2, 5, 7], dtype: .float64)
    let same = image.conv2d(weight: Tensor.ones([3, 2, 3, 4], dtype: .float64), padding: .same)
    #expect(same.shape == [1, 3, 5, 7])
    #expect(
      image.conv2d(weight: Tensor.ones([3, 2, 3, 4], dtype: .float64), padding: .valid)
        .shape == [1, 3, 3, 4])
  }

  @Test func unbatchedInputsKeepTheirRank() {
    let x = Tensor.ones([2, 6, 5])
    #expect(x.conv2d(weight: Tensor.ones([4, 2, 3, 3])).shape == [4, 4, 3])
    #expect(Tensor.ones([2, 6]).conv1d(weight: Tensor.ones([3, 2, 2])).shape == [3, 5])
  }

  @Test func transposedConvolutionValues() {
    let x = double([1, 2, 3], [1, 1, 3])
    let y = x.convTranspose1d(weight: double([1, 2], [1, 1, 2]), stride: 2)
    expectClose([Double](y), [1, 2, 2, 4, 3, 6], tolerance: 1e-6)
    let image = double([1, 2, 3, 4], [1, 1, 2, 2])
    let kernel = Tensor.arange(1, 10, dtype: .float64).reshaped([1, 1, 3, 3])
    let up = image.convTranspose2d(weight: kernel, stride: 2, padding: 1, outputPadding: 1)
    #expect(up.shape == [1, 1, 4, 4])
    expectClose(
      [Double](up), [5, 14, 10, 12, 14, 36, 24, 30, 15, 34, 20, 24, 24, 55, 32, 36], tolerance: 1e-6
    )
  }

  @Test func float32MatchesFloat64() {
    let x = randomDouble([2, 4, 6, 5], seed: 3)
    let w = randomDouble([6, 2, 3, 2], seed: 4)
    let y64 = x.conv2d(weight: w, stride: [2, 1], padding: [1, 0], groups: 2)
    let y32 = x.converted(to: .float32).conv2d(
      weight: w.converted(to: .float32), stride: [2, 1], padding: [1, 0], groups: 2)
    expectClose([Double](y32), [Double](y64), tolerance: 1e-5)
  }

  // MARK: - Gradients

  @Test(arguments: [
    (stride: 1, padding: 0, dilation: 1, groups: 1),
    (stride: 2, padding: 1, dilation: 1, groups: 1),
    (stride: 1, padding: 2, dilation: 2, groups: 2),
    (stride: 3, padding: 1, dilation: 2, groups: 4),
  ])
  func conv1dGradients(stride: Int, padding: Int, dilation: Int, groups: Int) {
    let x = randomDouble([2, 4, 9], seed: 1)
    let w = randomDouble([4, 4 / groups, 3], seed: 2)
    let b = randomDouble([4], seed: 3)
    expectGradients([x, w, b]) {
      $0[0].conv1d(
        weight: $0[1], bias: $0[2], stride: stride, padding: .explicit([padding]),
        dilation: dilation, groups: groups)
    }
  }

  @Test(arguments: [
    (stride: Size2D(1), padding: ConvolutionPadding.explicit([0]), dilation: Size2D(1), groups: 1),
    (
      stride: Size2D(2, 1), padding: ConvolutionPadding.explicit([1, 2]), dilation: Size2D(1),
      groups: 1
    ),
    (stride: Size2D(1), padding: ConvolutionPadding.same, dilation: Size2D(2, 1), groups: 2),
    (
      stride: Size2D(2, 3), padding: ConvolutionPadding.explicit([2, 1]), dilation: Size2D(1, 2),
      groups: 2
    ),
  ])
  func conv2dGradients(
    stride: Size2D, padding: ConvolutionPadding, dilation: Size2D, groups: Int
  ) {
    let x = randomDouble([2, 4, 5, 7], seed: 5)
    let w = randomDouble([6, 4 / groups, 3, 2], seed: 6)
    let b = randomDouble([6], seed: 7)
    expectGradients([x, w, b]) {
      $0[0].conv2d(
        weight: $0[1], bias: $0[2], stride: stride, padding: padding, dilation: dilation,
        groups: groups)
    }
  }

  @Test func depthwiseConv2dGradients() {
    expectGradients([randomDouble([1, 3, 5, 4], seed: 8), randomDouble([6, 1, 2, 3], seed: 9)]) {
      $0[0].conv2d(weight: $0[1], padding: 1, groups: 3)
    }
  }

  @Test(arguments: [
    (stride: 1, padding: 0, outputPadding: 0, dilation: 1, groups: 1),
    (stride: 2, padding: 1, outputPadding: 1, dilation: 1, groups: 2),
    (stride: 3, padding: 2, outputPadding: 2, dilation: 2, groups: 1),
  ])
  func convTranspose1dGradients(
    stride: Int, padding: Int, outputPadding: Int, dilation: Int, groups: Int
  ) {
    let x = randomDouble([2, 4, 5], seed: 10)
    let w = randomDouble([4, 6 / groups, 3], seed: 11)
    let b = randomDouble([6], seed: 12)
    expectGradients([x, w, b]) {
      $0[0].convTranspose1d(
        weight: $0[1], bias: $0[2], stride: stride, padding: padding,
        outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
  }

  @Test(arguments: [
    (
      stride: Size2D(1), padding: Size2D(0), outputPadding: Size2D(0), dilation: Size2D(1),
      groups: 1
    ),
    (
      stride: Size2D(2, 1), padding: Size2D(1, 0), outputPadding: Size2D(1, 0), dilation: Size2D(1),
      groups: 2
    ),
    (
      stride: Size2D(2, 3), padding: Size2D(0, 1), outputPadding: Size2D(0, 2),
      dilation: Size2D(2, 1), groups: 1
    ),
  ])
  func convTranspose2dGradients(
    stride: Size2D, padding: Size2D, outputPadding: Size2D, dilation: Size2D, groups: Int
  ) {
    let x = randomDouble([2, 4, 3, 4], seed: 13)
    let w = randomDouble([4, 4 / groups, 2, 3], seed: 14)
    let b = randomDouble([4], seed: 15)
    expectGradients([x, w, b]) {
      $0[0].convTranspose2d(
        weight: $0[1], bias: $0[2], stride: stride, padding: padding,
        outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
  }

  /// A transposed convolution is the adjoint of the convolution with the same weight:
  /// ⟨conv(x), y⟩ = ⟨x, convTranspose(y)⟩.
  @Test func transposedConvolutionIsTheAdjoint() {
    let x = randomDouble([2, 4, 7, 6], seed: 16)
    let w = randomDouble([6, 2, 3, 2], seed: 17)
    let y = x.conv2d(weight: w, stride: 2, padding: 1, dilation: [1, 2], groups: 2)
    let z = randomDouble(y.shape, seed: 18)
    let back = z.convTranspose2d(
      weight: w, stride: 2, padding: 1, outputPadding: [0, 1], dilation: [1, 2], groups: 2)
    #expect(back.shape == x.shape)
    expectClose([(y * z).sum().item], [(x * back).sum().item], tolerance: 1e-10)
  }

  /// Images are convolved in slabs: several small images side by side in one im2col matrix, or
  /// one large image at a time, and the weight gradient is summed over slices of the batch. Either
  /// way the batch must give what each image gives alone, forward and backward.
  @Test(arguments: [[3, 8, 105, 105], [37, 6, 9, 4]])
  func slabsMatchSingleImages(shape: [Int]) {
    let x = randomDouble(shape, seed: 40)
    let w = randomDouble([4, shape[1], 3, 3], seed: 41)
    let b = randomDouble([4], seed: 43)
    let t = randomDouble([4, 8, 3, 3], seed: 42)
    func run(_ input: Tensor) -> (output: [Double], input: [Double], weights: [Double]) {
      let (xi, wi, bi, ti) = (
        input.requiringGrad(), w.requiringGrad(), b.requiringGrad(), t.requiringGrad()
      )
      let y = xi.conv2d(weight: wi, bias: bi, stride: [1, 2], padding: 1)
      let z = y.convTranspose2d(weight: ti, groups: 2)
      z.backward(gradient: Tensor.ones(like: z))
      return (
        [Double](z), [Double](xi.grad!),
        [Double](wi.grad!) + [Double](bi.grad!) + [Double](ti.grad!)
      )
    }
    let batch = run(x)
    var outputs: [Double] = []
    var inputs: [Double] = []
    var weights = [Double](repeating: 0, count: batch.weights.count)
    for image in 0..<shape[0] {
      let single = run(x[image..<image + 1])
      outputs += single.output
      inputs += single.input
      weights = zip(weights, single.weights).map(+)
    }
    expectClose(batch.output, outputs, tolerance: 1e-10)
    expectClose(batch.input, inputs, tolerance: 1e-10)
    expectClose(batch.weights, weights, tolerance: 1e-9)
  }

  /// The convolution's values and gradients do not depend on how many threads compute them.
  @Test func threadCountDoesNotChangeResults() {
    let x = Tensor.randomNormal([50, 5, 30], generator: RandomGenerator(seed: 44))
    let w = Tensor.randomNormal([10, 5, 3], generator: RandomGenerator(seed: 45))
    let b = Tensor.randomNormal([10], generator: RandomGenerator(seed: 46))
    func run() -> [Float] {
      let (xi, wi, bi) = (x.requiringGrad(), w.requiringGrad(), b.requiringGrad())
      let y = xi.conv1d(weight: wi, bias: bi, stride: 2, padding: 1)
      (y * y).sum().backward()
      return [Float](y) + [Float](xi.grad!) + [Float](wi.grad!) + [Float](bi.grad!)
    }
    defer { Parallelism.threadCount = 0 }
    Parallelism.threadCount = 1
    let reference = run()
    for threads in [2, 3] {
      Parallelism.threadCount = threads
      #expect(run() == reference, "\(threads) threads")
    }
  }
}
