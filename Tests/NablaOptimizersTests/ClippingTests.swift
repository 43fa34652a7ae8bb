import Foundation
import NablaTestSupport
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

/// Gradients that overflow, infinities and NaNs, as PyTorch's `clip_grad_norm_` handles them.
@Suite struct NonfiniteClippingTests {
  @Test func float32GradientsWhoseSquaresOverflowHaveAFiniteNorm() {
    let a = Parameter(Tensor([0, 0]))
    a.grad = Tensor([3e20, 4e20])  // the squares, 9e40 and 1.6e41, overflow float32
    let norm = clipGradientNorm([a], maxNorm: 1)
    #expect(abs(norm - 5e20) / 5e20 < 1e-6)
    expectClose([[Double](a.grad!)], [[0.6, 0.8]], tolerance: 1e-6)
  }

  @Test func float64GradientsWhosePowersOverflowAreScaledFirst() {
    let a = Parameter(Tensor([0, 0], dtype: .float64))
    a.grad = Tensor([3e200, 4e200], dtype: .float64)
    #expect(abs(clipGradientNorm([a], maxNorm: 1) - 5e200) / 5e200 < 1e-12)
    expectClose([[Double](a.grad!)], [[0.6, 0.8]], tolerance: 1e-12)
    a.grad = Tensor([1e300, 1e300], dtype: .float64)
    #expect(abs(clipGradientNorm([a], maxNorm: 2, normType: 3) - 1e300 * pow(2, 1 / 3)) < 1e288)
  }

  @Test func anInfiniteNormZeroesFiniteGradientsAndMakesInfiniteOnesNaN() {
    let a = Parameter(Tensor([0, 0], dtype: .float64))
    let b = Parameter(Tensor([0], dtype: .float64))
    a.grad = Tensor([.infinity, 2], dtype: .float64)
    b.grad = Tensor([-3], dtype: .float64)
    #expect(clipGradientNorm([a, b], maxNorm: 1) == .infinity)
    let values = [Double](a.grad!)
    #expect(values[0].isNaN && values[1] == 0)
    #expect([Double](b.grad!) == [0])
  }

  @Test func aNaNNormMakesEveryGradientNaN() {
    let a = Parameter(Tensor([0, 0]))
    let b = Parameter(Tensor([0]))
    a.grad = Tensor([.nan, 1])
    b.grad = Tensor([2])
    #expect(clipGradientNorm([a, b], maxNorm: 1).isNaN)
    #expect([Float](a.grad!).allSatisfy(\.isNaN) && [Float](b.grad!).allSatisfy(\.isNaN))
    b.grad = Tensor([2])
    a.grad = Tensor([.nan, 1])
    #expect(clipGradientNorm([a, b], maxNorm: 1, normType: .infinity).isNaN)
  }

  @Test func errorIfNonfiniteThrowsAndLeavesTheGradients() throws {
    let a = Parameter(Tensor([0, 0], dtype: .float64))
    a.grad = Tensor([.infinity, 2], dtype: .float64)
    #expect(throws: NonfiniteGradientNormError.self) {
      try clipGradientNorm([a], maxNorm: 1, errorIfNonfinite: true)
    }
    #expect([Double](a.grad!) == [.infinity, 2])
    a.grad = Tensor([.nan, 2], dtype: .float64)
    do {
      try clipGradientNorm([a], maxNorm: 1, normType: 1, errorIfNonfinite: true)
      Issue.record("a NaN norm did not throw")
    } catch let error as NonfiniteGradientNormError {
      #expect(error.norm.isNaN && error.normType == 1)
      #expect(error.description.contains("total norm of order 1.0"))
    }
    // Finite gradients are clipped as by the non-throwing form.
    a.grad = Tensor([3, 4], dtype: .float64)
    #expect(try clipGradientNorm([a], maxNorm: 1, errorIfNonfinite: true) == 5)
    expectClose([[Double](a.grad!)], [[3 / (5 + 1e-6), 4 / (5 + 1e-6)]])
    a.grad = Tensor([.infinity, 2], dtype: .float64)
    #expect(try clipGradientNorm([a], maxNorm: 1, errorIfNonfinite: false) == .infinity)
  }
}
