import NablaTestSupport
import Testing

@testable import Nabla

/// The options of pooling a PyTorch user expects: ceil mode, the divisor override of averages,
/// the indices of maxima and max unpooling. Expected values came from torch 2.15.0 (CPU,
/// float64) on the inputs below; the small ones are also worked out in the comments.
@Suite struct PoolingOptionTests {
  let signal = Tensor([1, 5, 2, 8, 3, 4], shape: [1, 1, 6], dtype: .float64)
  /// 4 x 5:  1 5 2 8 3 / 0 7 4 6 2 / 9 1 3 8 5 / 7 2 6 4 0
  let image = Tensor(
    [1, 5, 2, 8, 3, 0, 7, 4, 6, 2, 9, 1, 3, 8, 5, 7, 2, 6, 4, 0], shape: [1, 1, 4, 5],
    dtype: .float64)

  // MARK: - Ceil mode

  @Test func ceilModeOutputSizes() {
    // ⌈(6 − 3)/2⌉ + 1 = 3 windows instead of 2; the third starts at 4, inside the input.
    #expect(
      PoolingAxis.slidingOutputSize(
        size: 6, kernel: 3, stride: 2, padding: 0, dilation: 1, ceilMode: true) == 3)
    #expect(
      PoolingAxis.slidingOutputSize(
        size: 6, kernel: 3, stride: 2, padding: 0, dilation: 1, ceilMode: false) == 2)
    // Length 5, kernel 2, stride 2, padding 1: ⌈(7 − 2)/2⌉ + 1 = 4, but the fourth window would
    // start at 6 − 1 = 5, in the right padding only, so PyTorch drops it.
    #expect(
      PoolingAxis.slidingOutputSize(
        size: 5, kernel: 2, stride: 2, padding: 1, dilation: 1, ceilMode: true) == 3)
    // A kernel longer than the input still gives one window in ceil mode (as in PyTorch).
    #expect(
      PoolingAxis.slidingOutputSize(
        size: 3, kernel: 4, stride: 2, padding: 0, dilation: 1, ceilMode: true) == 1)
    #expect(
      Tensor.zeros([2, 3, 7, 5]).maxPool2d(kernelSize: 2, ceilMode: true).shape == [2, 3, 4, 3])
  }

  @Test func maxPoolingInCeilMode() {
    // Windows [1 5 2], [2 8 3], [3 4]: the last covers the two positions left over.
    expectClose(
      [Double](signal.maxPool1d(kernelSize: 3, stride: 2, ceilMode: true)), [5, 8, 4],
      tolerance: 1e-6)
    // Windows [−∞ 1], [5 2], [8 3], [4 −∞].
    expectClose(
      [Double](signal.maxPool1d(kernelSize: 2, stride: 2, padding: 1, ceilMode: true)),
      [1, 5, 8, 4], tolerance: 1e-6)
    expectClose(
      [Double](image.maxPool2d(kernelSize: 2, ceilMode: true)), [7, 8, 3, 9, 8, 5], tolerance: 1e-6)
    expectClose(
      [Double](image.maxPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true)),
      [7, 8, 8, 9, 8, 8, 7, 6, 4], tolerance: 1e-6)
    expectClose(
      [Double](
        image.maxPool2d(
          kernelSize: [2, 3], stride: [3, 2], padding: [1, 1], dilation: [1, 2], ceilMode: true)),
      [8, 8, 8, 8], tolerance: 1e-6)
  }

  @Test func averagePoolingInCeilMode() {
    // Windows [0 1 5], [5 2 8], [8 3 4], [4 0]: with the padding counted, the last divides by
    // 2 (its padding zero counts; the position past the padding does not).
    expectClose(
      [Double](signal.avgPool1d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true)),
      [2, 5, 5, 2], tolerance: 1e-6)
    expectClose(
      [Double](
        signal.avgPool1d(
          kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)),
      [3, 5, 5, 4], tolerance: 1e-6)
    // 4 taps from −1, 2 and 5: [0 1 5 2], [2 8 3 4] and [4 0 · ·], whose two positions past
    // the padding do not count: divisors 4, 4 and 2 (and 3, 4, 1 without the padding).
    expectClose(
      [Double](signal.avgPool1d(kernelSize: 4, stride: 3, padding: 1, ceilMode: true)),
      [2, 4.25, 2], tolerance: 1e-6)
    expectClose(
      [Double](
        signal.avgPool1d(
          kernelSize: 4, stride: 3, padding: 1, ceilMode: true, countIncludePad: false)),
      [2.6666666666666665, 4.25, 4], tolerance: 1e-6)
    expectClose(
      [Double](image.avgPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true)),
      [
        1.4444444444444444, 3.5555555555555554, 2.111111111111111, 2.888888888888889,
        4.555555555555555, 2.7777777777777777, 1.5, 2.0, 0.6666666666666666,
      ], tolerance: 1e-6)
    expectClose(
      [Double](
        image.avgPool2d(
          kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)),
      [
        3.25, 5.333333333333333, 4.75, 4.333333333333333, 4.555555555555555, 4.166666666666667,
        4.5, 4.0, 2.0,
      ], tolerance: 1e-6)
  }

  @Test func lpPoolingInCeilMode() {
    // As PyTorch composes it, a partial window's sum is scaled by kernel/window size: the last
    // window [3 4] of 4 taps gives √((9 + 16)·4/2) = √50.
    expectClose(
      [Double](signal.lpPool1d(power: 2, kernelSize: 4, ceilMode: true)),
      [Double(94).squareRoot(), Double(50).squareRoot()], tolerance: 1e-6)
    expectClose(
      [Double](image.lpPool2d(power: 1, kernelSize: 3, ceilMode: true)), [32, 48, 45, 18],
      tolerance: 1e-6)
  }

  // MARK: - Divisor override

  @Test func divisorOverride() {
    // Every window's sum over 3, including the partial windows of ceil mode: (1 + 5 + 0 + 7)/3.
    expectClose(
      [Double](image.avgPool2d(kernelSize: 2, ceilMode: true, divisorOverride: 3)),
      [
        4.333333333333333, 6.666666666666667, 1.6666666666666667, 6.333333333333333, 7.0,
        1.6666666666666667,
      ], tolerance: 1e-6)
    // PyTorch accepts a negative divisor too.
    expectClose(
      [Double](image.avgPool2d(kernelSize: 3, stride: 2, padding: 1, divisorOverride: -2)),
      [-6.5, -16, -9.5, -13, -20.5, -12.5], tolerance: 1e-6)
  }

  // MARK: - Indices of maxima

  @Test func maxPoolingIndices() {
    let (values, indices) = signal.maxPool1dWithIndices(
      kernelSize: 2, stride: 2, padding: 1, ceilMode: true)
    expectClose([Double](values), [1, 5, 8, 4], tolerance: 1e-6)
    #expect(indices.dtype == .int64 && indices.shape == [1, 1, 4])
    #expect([Int](indices) == [0, 1, 3, 5])
    // Positions h·5 + w in the 4 x 5 plane.
    let (maxima, positions) = image.maxPool2dWithIndices(
      kernelSize: 3, stride: 2, padding: 1, ceilMode: true)
    expectClose([Double](maxima), [7, 8, 8, 9, 8, 8, 7, 6, 4], tolerance: 1e-6)
    #expect([Int](positions) == [6, 3, 3, 10, 13, 13, 15, 17, 18])
    #expect(positions.shape == [1, 1, 3, 3])
    // Without the batch axis the indices lose it too.
    let unbatched = image.squeezed(axes: [0]).maxPool2dWithIndices(kernelSize: 2).indices
    #expect(unbatched.shape == [1, 2, 2] && [Int](unbatched) == [6, 3, 10, 13])
  }

  @Test func adaptiveMaxPoolingIndices() {
    let (values, indices) = signal.adaptiveMaxPool1dWithIndices(outputSize: 4)
    expectClose([Double](values), [5, 5, 8, 4], tolerance: 1e-6)
    #expect([Int](indices) == [1, 1, 3, 5])
    let (maxima, positions) = image.adaptiveMaxPool2dWithIndices(outputSize: [3, 2])
    expectClose([Double](maxima), [7, 8, 9, 8, 9, 8], tolerance: 1e-6)
    #expect([Int](positions) == [6, 3, 10, 13, 10, 13])
  }

  @Test func indicesSpanEveryChannelsOwnPlane() {
    // Two channels: each index counts from the start of its own plane.
    let x = Tensor([1, 4, 3, 2, 8, 5, 7, 6], shape: [1, 2, 4], dtype: .float64)
    #expect([Int](x.maxPool1dWithIndices(kernelSize: 2).indices) == [1, 2, 0, 2])
  }

  // MARK: - Max unpooling

  @Test func maxUnpooling() {
    let (pooled, indices) = image.maxPool2dWithIndices(kernelSize: 2)
    // The default size (2 − 1)·2 + 2 = 4 reads the indices in 4-wide rows (as PyTorch does).
    expectClose(
      [Double](pooled.maxUnpool2d(indices: indices, kernelSize: 2)),
      [0, 0, 0, 8, 0, 0, 7, 0, 0, 0, 9, 0, 0, 8, 0, 0], tolerance: 1e-6)
    // The pooled input's own size, 4 x 5, puts each maximum back where it was.
    let restored = pooled.maxUnpool2d(indices: indices, kernelSize: 2, outputSize: [4, 5])
    var expected = [Double](repeating: 0, count: 20)
    for (position, value) in [(6, 7.0), (3, 8), (10, 9), (13, 8)] { expected[position] = value }
    expectClose([Double](restored), expected, tolerance: 1e-6)
    let (values, positions) = signal.narrowed(alongAxis: 2, start: 0, length: 5)
      .maxPool1dWithIndices(
        kernelSize: 3, stride: 2, padding: 1)
    #expect([Int](positions) == [1, 3, 3])
    // Windows that share a maximum write the same value to the same place.
    expectClose(
      [Double](values.maxUnpool1d(indices: positions, kernelSize: 3, stride: 2, padding: 1)),
      [0, 5, 0, 8, 0], tolerance: 1e-6)
    expectClose(
      [Double](
        values.maxUnpool1d(
          indices: positions, kernelSize: 3, stride: 2, padding: 1, outputSize: 6)),
      [0, 5, 0, 8, 0, 0], tolerance: 1e-6)
  }

  // MARK: - Gradients

  @Test(arguments: [
    (kernel: Size2D(2), stride: Size2D(2), padding: Size2D(0), dilation: Size2D(1)),
    (kernel: Size2D(3, 2), stride: Size2D(2, 3), padding: Size2D(1, 1), dilation: Size2D(1)),
    (kernel: Size2D(2, 3), stride: Size2D(2, 2), padding: Size2D(1, 0), dilation: Size2D(2, 1)),
  ])
  func ceilModeMaxPoolGradients(kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D) {
    // Distinct values keep every window's maximum away from ties.
    let x = Tensor(
      (0..<70).map { Double(($0 * 37) % 70) / 7 }, shape: [1, 2, 5, 7], dtype: .float64)
    expectGradients([x]) {
      $0[0].maxPool2d(
        kernelSize: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: true)
    }
    let signal = x.reshaped([2, 5, 7])
    expectGradients([signal]) {
      $0[0].maxPool1d(kernelSize: 3, stride: 2, padding: 1, dilation: 2, ceilMode: true)
    }
  }

  @Test(arguments: [true, false])
  func ceilModeAveragePoolGradients(countIncludePad: Bool) {
    let x = randomDouble([2, 3, 6, 7], seed: 31)
    expectGradients([x]) {
      $0[0].avgPool2d(
        kernelSize: [3, 2], stride: [2, 3], padding: [1, 1], ceilMode: true,
        countIncludePad: countIncludePad)
    }
    expectGradients([randomDouble([2, 3, 10], seed: 32)]) {
      $0[0].avgPool1d(
        kernelSize: 4, stride: 3, padding: 2, ceilMode: true, countIncludePad: countIncludePad)
    }
  }

  @Test func divisorOverrideAndLPGradients() {
    let x = randomDouble([1, 2, 5, 7], seed: 33)
    expectGradients([x]) {
      $0[0].avgPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true, divisorOverride: 5)
    }
    let positive = x.abs() + 0.5
    expectGradients([positive]) { $0[0].lpPool2d(power: 2, kernelSize: [2, 3], ceilMode: true) }
    expectGradients([positive.reshaped([2, 5, 7])]) {
      $0[0].lpPool1d(power: 3, kernelSize: 3, stride: 2, ceilMode: true)
    }
  }

  @Test func maxUnpoolGradients() {
    let x = Tensor(
      (0..<70).map { Double(($0 * 37) % 70) / 7 }, shape: [1, 2, 5, 7], dtype: .float64)
    let indices = x.maxPool2dWithIndices(kernelSize: 2, ceilMode: true).indices
    let pooled = randomDouble([1, 2, 3, 4], seed: 34)
    expectGradients([pooled]) {
      $0[0].maxUnpool2d(indices: indices, kernelSize: 2, outputSize: [5, 7])
    }
    // Windows that do not overlap name every position once (a position named twice is written
    // once but, as in PyTorch, each duplicate receives its gradient).
    let signal = x.reshaped([2, 5, 7])
    let positions = signal.maxPool1dWithIndices(kernelSize: 3, ceilMode: true).indices
    expectGradients([randomDouble([2, 5, 3], seed: 35)]) {
      $0[0].maxUnpool1d(indices: positions, kernelSize: 3, outputSize: 7)
    }
  }

  @Test func float32MatchesFloat64() {
    let x = randomDouble([2, 3, 7, 6], seed: 36)
    let y = x.converted(to: .float32)
    let pairs: [(Tensor, Tensor)] = [
      (
        x.maxPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true),
        y.maxPool2d(kernelSize: 3, stride: 2, padding: 1, ceilMode: true)
      ),
      (
        x.avgPool2d(kernelSize: [2, 3], stride: 2, padding: 1, ceilMode: true, divisorOverride: 4),
        y.avgPool2d(kernelSize: [2, 3], stride: 2, padding: 1, ceilMode: true, divisorOverride: 4)
      ),
    ]
    for (double, single) in pairs {
      #expect(single.dtype == .float32)
      expectClose([Double](single), [Double](double), tolerance: 1e-5)
    }
    #expect(
      [Int](x.maxPool2dWithIndices(kernelSize: 2).indices)
        == [Int](y.maxPool2dWithIndices(kernelSize: 2).indices))
  }
}
