import Testing

@testable import NablaOptimizers

@Suite struct ClippingTests {
  /// Two parameters with gradients [3, 4] and [12], and one without a gradient.
  func parameters() -> [Parameter] {
    let a = Parameter(Tensor([0, 0], dtype: .float64))
    let b = Parameter(Tensor([0], dtype: .float64))
    let unused = Parameter(Tensor([0, 0], dtype: .float64))
    a.grad = Tensor([3, 4], dtype: .float64)
    b.grad = Tensor([12], dtype: .float64)
    return [a, b, unused]
  }

  @Test func twoNormScalesAllGradientsTogether() {
    let parameters = parameters()
    // √(3² + 4² + 12²) = √169 = 13; the scale is 6.5 / (13 + 1e-6).
    let norm = clipGradientNorm(parameters, maxNorm: 6.5)
    #expect(norm == 13)
    let scale = 6.5 / (13 + 1e-6)
    expectClose(
      [[Double](parameters[0].grad!), [Double](parameters[1].grad!)],
      [[3 * scale, 4 * scale], [12 * scale]])
    #expect(parameters[2].grad == nil)
  }

  @Test func infinityNormUsesTheLargestMagnitude() {
    let parameters = parameters()
    parameters[0].grad = Tensor([3, -20], dtype: .float64)
    // max(|3|, |-20|, |12|) = 20; the scale is 5 / (20 + 1e-6).
    #expect(clipGradientNorm(parameters, maxNorm: 5, normType: .infinity) == 20)
    let scale = 5 / (20 + 1e-6)
    expectClose(
      [[Double](parameters[0].grad!), [Double](parameters[1].grad!)],
      [[3 * scale, -20 * scale], [12 * scale]])
  }

  @Test func oneNormSumsMagnitudes() {
    let parameters = parameters()
    parameters[0].grad = Tensor([3, -4], dtype: .float64)
    // |3| + |-4| + |12| = 19.
    #expect(clipGradientNorm(parameters, maxNorm: 100, normType: 1) == 19)
  }

  @Test func gradientsWithinTheLimitAreUnchanged() {
    let parameters = parameters()
    // 13 + 1e-6 > 13, so the scale 13 / (13 + 1e-6) < 1 would still shrink them; 14 does not.
    #expect(clipGradientNorm(parameters, maxNorm: 14) == 13)
    #expect([Double](parameters[0].grad!) == [3, 4])
    #expect([Double](parameters[1].grad!) == [12])
  }

  @Test func float32GradientsAreClipped() {
    let a = Parameter(Tensor([0, 0]))
    a.grad = Tensor([3, 4])
    #expect(clipGradientNorm([a], maxNorm: 1) == 5)
    #expect(a.grad!.dtype == .float32)
    expectClose([[Double](a.grad!)], [[0.6, 0.8]], tolerance: 1e-6)
  }

  @Test func noGradientsGiveZero() {
    let frozen = Parameter(Tensor([1, 2], dtype: .float64))
    frozen.isFrozen = true
    #expect(clipGradientNorm([frozen], maxNorm: 1) == 0)
  }

  @Test func valueClippingClampsEachElement() {
    let parameters = parameters()
    parameters[0].grad = Tensor([-3, 0.25], dtype: .float64)
    clipGradientValue(parameters, maxValue: 1)
    #expect([Double](parameters[0].grad!) == [-1, 0.25])
    #expect([Double](parameters[1].grad!) == [1])
    #expect(parameters[2].grad == nil)
  }
}
