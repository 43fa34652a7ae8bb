import NablaTestSupport
import Testing

@testable import Nabla

/// Pooling and upsampling. Expected values were worked out by hand and in NumPy from PyTorch's
/// definitions (window placement, divisors, adaptive windows ⌊o·n/out⌋..<⌈(o+1)·n/out⌉, the
/// source positions of `interpolate`), not produced by Nabla.
@Suite struct PoolingTests {
  let signal = Tensor([1, 5, 2, 8, 3], shape: [1, 1, 5], dtype: .float64)
  let image = Tensor([1, 5, 2, 8, 3, 0, 7, 4, 6, 2, 9, 1], shape: [1, 1, 3, 4], dtype: .float64)

  @Test func maxPooling() {
    expectClose(
      [Double](image.maxPool2d(kernelSize: 2, stride: 1)), [5, 7, 8, 6, 9, 9], tolerance: 1e-6)
    expectClose(
      [Double](signal.maxPool1d(kernelSize: 3, stride: 2, padding: 1)), [5, 8, 8], tolerance: 1e-6)
    expectClose(
      [Double](signal.maxPool1d(kernelSize: 2, stride: 1, dilation: 2)), [2, 8, 3], tolerance: 1e-6)
    #expect(Tensor.zeros([2, 3, 7, 5]).maxPool2d(kernelSize: [2, 3]).shape == [2, 3, 3, 1])
  }

  /// 2 x 2 windows two apart take a faster path of their own: the same values, ties to the first
  /// position, the last odd row and column left out, and NaN winning.
  @Test func twoByTwoMaxPooling() {
    let x = Tensor(
      [1, 5, 2, 8, 3, 0, 7, 4, 6, 2, 9, 1, 9, 9, 0, 9, 3, 2, 1, 4], shape: [1, 1, 4, 5],
      dtype: .float64
    ).requiringGrad()
    let pooled = x.maxPool2d(kernelSize: 2)
    #expect(pooled.shape == [1, 1, 2, 2])
    expectClose([Double](pooled), [7, 8, 9, 9], tolerance: 1e-6)
    pooled.sum().backward()
    var expected = [Double](repeating: 0, count: 20)
    for position in [6, 3, 10, 12] { expected[position] = 1 }  // 9 ties go to the first
    expectClose([Double](x.grad!), expected, tolerance: 1e-6)
    let withNaN = Tensor([1, .nan, 3, 4], shape: [1, 1, 2, 2]).maxPool2d(kernelSize: 2)
    #expect(withNaN.item.isNaN)
  }

  @Test func maxPoolingRoutesTheGradientToTheMaximum() {
    let x = signal.requiringGrad()
    x.maxPool1d(kernelSize: 3, stride: 2, padding: 1).sum().backward()
    // 5 wins the first window, 8 the other two.
    expectClose([Double](x.grad!), [0, 1, 0, 2, 0], tolerance: 1e-6)
  }

  @Test func averagePooling() {
    expectClose(
      [Double](signal.avgPool1d(kernelSize: 3, stride: 2, padding: 1)),
      [2, 5, 3.6666666666666665], tolerance: 1e-6)
    expectClose(
      [Double](signal.avgPool1d(kernelSize: 3, stride: 2, padding: 1, countIncludePad: false)),
      [3, 5, 5.5], tolerance: 1e-6)
    expectClose(
      [Double](image.avgPool2d(kernelSize: 2, stride: [1, 2])), [2.25, 5.25, 2.75, 5.25],
      tolerance: 1e-6)
  }

  @Test func lpPooling() {
    // p = 2, windows [1, 5] and [2, 8]: √26 and √68.
    expectClose(
      [Double](signal.lpPool1d(power: 2, kernelSize: 2)),
      [Double(26).squareRoot(), Double(68).squareRoot()], tolerance: 1e-6)
    // p = 1 sums each window.
    expectClose([Double](image.lpPool2d(power: 1, kernelSize: [3, 2])), [17, 31], tolerance: 1e-6)
  }

  @Test func adaptivePooling() {
    expectClose([Double](signal.adaptiveAvgPool1d(outputSize: 3)), [3, 5, 5.5], tolerance: 1e-6)
    expectClose([Double](signal.adaptiveMaxPool1d(outputSize: 3)), [5, 8, 8], tolerance: 1e-6)
    expectClose(
      [Double](image.adaptiveAvgPool2d(outputSize: [2, 3])), [2.25, 3.5, 5.25, 2.75, 4.5, 5.25],
      tolerance: 1e-6)
    expectClose(
      [Double](image.adaptiveMaxPool2d(outputSize: [2, 3])), [5, 7, 8, 6, 9, 9], tolerance: 1e-6)
    expectClose([Double](image.adaptiveAvgPool2d(outputSize: 1)), [4], tolerance: 1e-6)
  }

  @Test func upsampling() {
    let row = Tensor([1, 2, 4], shape: [1, 1, 3], dtype: .float64)
    expectClose([Double](row.upsampled(scaleFactor: 2)), [1, 1, 2, 2, 4, 4], tolerance: 1e-6)
    expectClose([Double](row.upsampled(size: [5])), [1, 1, 2, 2, 4], tolerance: 1e-6)
    expectClose(
      [Double](row.upsampled(size: [5], mode: .linear)), [1, 1.4, 2, 3.2, 4], tolerance: 1e-6)
    expectClose(
      [Double](row.upsampled(size: [5], mode: .linear, alignCorners: true)), [1, 1.5, 2, 3, 4],
      tolerance: 1e-6)
    let square = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2], dtype: .float64)
    expectClose(
      [Double](square.upsampled(scaleFactor: 2, mode: .bilinear)),
      [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4],
      tolerance: 1e-6)
    expectClose(
      [Double](square.upsampled(scaleFactor: 2)), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
      tolerance: 1e-6)
  }

  @Test func float32MatchesFloat64() {
    let x = randomDouble([2, 3, 7, 6], seed: 25)
    let y = x.converted(to: .float32)
    let pairs: [(Tensor, Tensor)] = [
      (
        x.maxPool2d(kernelSize: 3, stride: 2, padding: 1),
        y.maxPool2d(kernelSize: 3, stride: 2, padding: 1)
      ),
      (x.avgPool2d(kernelSize: [2, 3], padding: 1), y.avgPool2d(kernelSize: [2, 3], padding: 1)),
      (x.adaptiveAvgPool2d(outputSize: [3, 4]), y.adaptiveAvgPool2d(outputSize: [3, 4])),
      (x.upsampled(size: [9, 8], mode: .bilinear), y.upsampled(size: [9, 8], mode: .bilinear)),
    ]
    for (double, single) in pairs {
      #expect(single.dtype == .float32)
      expectClose([Double](single), [Double](double), tolerance: 1e-5)
    }
  }

  // MARK: - Gradients

  @Test(arguments: [
    (kernel: Size2D(2), stride: Size2D(2), padding: Size2D(0), dilation: Size2D(1)),
    (kernel: Size2D(3, 2), stride: Size2D(2, 1), padding: Size2D(1, 1), dilation: Size2D(1)),
    (kernel: Size2D(2, 3), stride: Size2D(1, 2), padding: Size2D(1, 0), dilation: Size2D(2, 1)),
  ])
  func maxPool2dGradients(kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D) {
    // Distinct values keep every window's maximum away from ties.
    let x = Tensor(
      (0..<70).map { Double(($0 * 37) % 70) / 7 }, shape: [1, 2, 5, 7], dtype: .float64)
    expectGradients([x]) {
      $0[0].maxPool2d(kernelSize: kernel, stride: stride, padding: padding, dilation: dilation)
    }
  }

  @Test func maxPool1dGradients() {
    let x = Tensor((0..<22).map { Double(($0 * 9) % 22) }, shape: [2, 1, 11], dtype: .float64)
    expectGradients([x]) { $0[0].maxPool1d(kernelSize: 3, stride: 2, padding: 1, dilation: 2) }
    expectGradients([x]) { $0[0].adaptiveMaxPool1d(outputSize: 4) }
    expectGradients([x.reshaped([1, 2, 1, 11])]) { $0[0].adaptiveMaxPool2d(outputSize: [1, 3]) }
  }

  @Test(arguments: [true, false])
  func averagePoolGradients(countIncludePad: Bool) {
    let x = randomDouble([2, 3, 5, 7], seed: 21)
    expectGradients([x]) {
      $0[0].avgPool2d(
        kernelSize: [3, 2], stride: [2, 3], padding: [1, 1], countIncludePad: countIncludePad)
    }
    expectGradients([randomDouble([2, 3, 9], seed: 22)]) {
      $0[0].avgPool1d(kernelSize: 4, stride: 3, padding: 2, countIncludePad: countIncludePad)
    }
  }

  @Test func lpAndAdaptiveAveragePoolGradients() {
    // Positive inputs keep the power away from the kink at 0.
    let x = randomDouble([1, 2, 5, 7], seed: 23).abs() + 0.5
    expectGradients([x]) { $0[0].lpPool2d(power: 2, kernelSize: [2, 3], stride: [2, 2]) }
    expectGradients([x.reshaped([2, 5, 7])]) { $0[0].lpPool1d(power: 3, kernelSize: 3) }
    expectGradients([x]) { $0[0].adaptiveAvgPool2d(outputSize: [3, 4]) }
    expectGradients([x.reshaped([2, 5, 7])]) { $0[0].adaptiveAvgPool1d(outputSize: 5) }
  }

  @Test func upsamplingGradients() {
    let x = randomDouble([1, 2, 3, 4], seed: 24)
    expectGradients([x]) { $0[0].upsampled(scaleFactor: 2) }
    expectGradients([x]) { $0[0].upsampled(size: [5, 7], mode: .bilinear) }
    expectGradients([x]) { $0[0].upsampled(size: [4, 3], mode: .bilinear, alignCorners: true) }
    expectGradients([x.reshaped([2, 3, 4])]) { $0[0].upsampled(size: [9], mode: .linear) }
  }
}
