import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

@Suite struct ElementwiseTests {
  @Test func arithmeticBroadcastsLikeNumPy() {
    let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    let b = Tensor([10, 20, 30])
    let column = Tensor([100, 200], shape: [2, 1])
    #expect([Float](a + b) == [11, 22, 33, 14, 25, 36])
    #expect([Float](a - column) == [-99, -98, -97, -196, -195, -194])
    #expect([Float](a * b) == [10, 40, 90, 40, 100, 180])
    #expect([Float](b / Tensor([2])) == [5, 10, 15])
    #expect((column + b).shape == [2, 3])
    #expect([Float](column + b) == [110, 120, 130, 210, 220, 230])
    #expect([Float](-a) == [-1, -2, -3, -4, -5, -6])
  }

  @Test func scalarOperandsOnEitherSide() {
    let x = Tensor([1, 2, 4])
    #expect([Float](x + 1) == [2, 3, 5])
    #expect([Float](1 - x) == [0, -1, -3])
    #expect([Float](x * 3) == [3, 6, 12])
    #expect([Float](8 / x) == [8, 4, 2])
    #expect([Float](x / 2) == [0.5, 1, 2])
  }

  @Test func mathFunctionValues() {
    let x = Tensor([0.25, 1, 4], dtype: .float64)
    expectClose(
      [Double](x.exp()), [Foundation.exp(0.25), Foundation.exp(1), Foundation.exp(4)],
      tolerance: 1e-6)
    expectClose([Double](x.log()), [Foundation.log(0.25), 0, Foundation.log(4)], tolerance: 1e-6)
    expectClose([Double](x.sqrt()), [0.5, 1, 2], tolerance: 1e-6)
    expectClose([Double](x.rsqrt()), [2, 1, 0.5], tolerance: 1e-6)
    expectClose([Double](x.pow(3)), [0.015625, 1, 64], tolerance: 1e-6)
    expectClose(
      [Double](x.pow(Tensor([2, 0.5, -1], dtype: .float64))), [0.0625, 1, 0.25], tolerance: 1e-6)
    let signed = Tensor([-2, 0, 3], dtype: .float64)
    #expect([Double](signed.abs()) == [2, 0, 3])
    #expect([Double](signed.sign()) == [-1, 0, 1])
    #expect([Double](signed.clamped(min: -1, max: 1)) == [-1, 0, 1])
    #expect([Double](signed.clamped(min: 0)) == [0, 0, 3])
    #expect([Double](Tensor.maximum(signed, Tensor([1], dtype: .float64))) == [1, 1, 3])
    #expect([Double](Tensor.minimum(signed, Tensor([1], dtype: .float64))) == [-2, 0, 1])
  }

  @Test func comparisonsGiveMasksAndWhereSelects() {
    let x = Tensor([-1, 0, 2])
    #expect([Float](x .> 0) == [0, 0, 1])
    #expect([Float](x .>= 0) == [0, 1, 1])
    #expect([Float](x .< Tensor([0, 0, 3])) == [1, 0, 1])
    #expect([Float](x .<= -1) == [1, 0, 0])
    #expect([Float](x .== 0) == [0, 1, 0])
    #expect([Float](x .!= 0) == [1, 0, 1])
    #expect(!(x.requiringGrad() .> 0).requiresGrad)
    let picked = Tensor.where(x .> 0, x, Tensor([10, 20, 30], shape: [3, 1]))
    #expect(picked.shape == [3, 3])
    #expect([Float](picked) == [10, 10, 2, 20, 20, 2, 30, 30, 2])
  }

  @Test func activationValuesMatchPyTorch() {
    let x = Tensor([-2, -0.5, 0, 1.5], dtype: .float64)
    #expect([Double](x.relu()) == [0, 0, 0, 1.5])
    expectClose([Double](x.leakyRelu(negativeSlope: 0.1)), [-0.2, -0.05, 0, 1.5], tolerance: 1e-6)
    expectClose(
      [Double](x.elu()), [Foundation.exp(-2) - 1, Foundation.exp(-0.5) - 1, 0, 1.5], tolerance: 1e-6
    )
    // 0.5·x·(1 + erf(x/√2)), evaluated with Python's math.erf
    expectClose(
      [Double](x.gelu()), [-0.04550026389635842, -0.15426876936299344, 0, 1.399789198096713],
      tolerance: 1e-6)
    // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), evaluated in Python
    expectClose(
      [Double](x.gelu(approximation: .tanh)),
      [-0.04540230591222494, -0.15428599017485606, 0, 1.3995715769802328], tolerance: 1e-6)
    expectClose(
      [Double](x.sigmoid()), [-2, -0.5, 0, 1.5].map { 1 / (1 + Foundation.exp(-$0)) },
      tolerance: 1e-6)
    expectClose(
      [Double](x.tanh()), [-2, -0.5, 0, 1.5].map { Foundation.tanh($0) }, tolerance: 1e-6)
    expectClose(
      [Double](x.softplus()), [-2, -0.5, 0, 1.5].map { Foundation.log(1 + Foundation.exp($0)) },
      tolerance: 1e-6)
    expectClose([Double](Tensor([30], dtype: .float64).softplus()), [30], tolerance: 1e-6)
    expectClose(
      [Double](x.softplus(beta: 2)),
      [-2, -0.5, 0, 1.5].map { Foundation.log(1 + Foundation.exp(2 * $0)) / 2 }, tolerance: 1e-6)
  }

  /// Float32 tanh and sigmoid use the kernel layer's own vectorizable exp: within a few float
  /// ulps of the float64 library functions, saturating cleanly, and NaN stays NaN.
  @Test func float32ActivationsStayAccurate() {
    let inputs =
      stride(from: -30.0, to: 30.0, by: 0.0037).map { Double(Float($0)) } + [1e-7, -3e-5]
    let single = Tensor(inputs.map { Float($0) })
    let double = Tensor(inputs, dtype: .float64)
    for (name, f32, f64) in [
      ("tanh", single.tanh(), double.tanh()), ("sigmoid", single.sigmoid(), double.sigmoid()),
    ] {
      let worst = zip([Double](f32), [Double](f64)).map {
        Swift.abs($0 - $1) / Swift.max(Swift.abs($1), 1e-30)
      }.max()!
      #expect(worst < 5e-7, "\(name): worst relative error \(worst)")
    }
    #expect(Tensor([Float.nan]).tanh().item.isNaN)
    #expect(Tensor([Float.nan]).sigmoid().item.isNaN)
    #expect([Float](Tensor([-Float.infinity, .infinity]).tanh()) == [-1, 1])
  }

  @Test func softmaxIsStableForHugeLogits() {
    let logits = Tensor([1e4, -1e4, 0, 1e4], shape: [1, 4])
    let probabilities = [Float](logits.softmax())
    #expect(probabilities == [0.5, 0, 0, 0.5])
    let logProbabilities = [Float](logits.logSoftmax())
    #expect(logProbabilities[0] == Float(-Foundation.log(2.0)))
    #expect(logProbabilities[1] == -20000 - Float(Foundation.log(2.0)))
    #expect(logProbabilities.allSatisfy { $0.isFinite })
    let small = Tensor([1, 2, 3], dtype: .float64)
    let total = Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0)
    expectClose(
      [Double](small.softmax()), [1, 2, 3].map { Foundation.exp($0) / total }, tolerance: 1e-6)
    // softmax along axis 0 of a matrix normalizes columns.
    let columns = Tensor([0, 0, 1, 2], shape: [2, 2], dtype: .float64).softmax(alongAxis: 0)
    expectClose([Double](columns.sum(alongAxes: [0])), [1, 1], tolerance: 1e-6)
  }

  /// Float softmax over long rows (vector lanes, the activations' exp) agrees with float64; −∞
  /// gets exactly 0 and NaN spreads to its row, as in PyTorch.
  @Test func floatSoftmaxMatchesDoubleAndKeepsInfinityAndNaN() {
    let x = Tensor.randomNormal([6, 77], dtype: .float64, generator: RandomGenerator(seed: 9)) * 4
    for log in [false, true] {
      let expected = log ? x.logSoftmax() : x.softmax()
      let actual = x.converted(to: .float32)
      let result = log ? actual.logSoftmax() : actual.softmax()
      expectClose([Double](result), [Double](expected), tolerance: 2e-6)
    }
    let masked = [Float](Tensor([0, -.infinity, 0, -.infinity], shape: [1, 4]).softmax())
    #expect(masked == [0.5, 0, 0.5, 0])
    let withNaN = [Float](Tensor([1, .nan, 2], shape: [1, 3]).softmax())
    #expect(withNaN.allSatisfy { $0.isNaN })
  }

  @Test func dtypesConvertAndStaySeparate() {
    let x = Tensor([1.5, -2.5], dtype: .float64)
    #expect(x.converted(to: .float32).dtype == .float32)
    #expect([Int](x) == [1, -2])
    #expect([Float](Tensor(indices: [3, 4]).converted(to: .float32)) == [3, 4])
    #expect((x + x).dtype == .float64)
  }

  @Test func gradientsOfArithmetic() {
    let a = randomDouble([3, 4], seed: 1)
    let b = randomDouble([3, 4], seed: 2)
    let row = randomDouble([4], seed: 3)
    let column = randomDouble([3, 1], seed: 4)
    let positive = randomDouble([3, 4], seed: 5).abs() + 0.5
    expectGradients([a, b]) { $0[0] + $0[1] }
    expectGradients([a, row]) { $0[0] - $0[1] }
    expectGradients([column, row]) { $0[0] * $0[1] }
    expectGradients([a, positive]) { $0[0] / $0[1] }
    expectGradients([column, positive]) { $0[0] / $0[1] }
    expectGradients([a]) { -$0[0] * 3 + 2 - $0[0] / 4 }
    expectGradients([positive]) { 2 / $0[0] - (1 - $0[0]) }
    expectGradients([positive, b]) { $0[0].pow($0[1]) }
    expectGradients([positive, row]) { $0[0].pow($0[1]) }
    expectGradients([positive]) { $0[0].pow(2.5) }
    expectGradients([a]) { $0[0].pow(3) }
    // Non-contiguous operands: after a transpose.
    expectGradients([a, randomDouble([4, 3], seed: 6)]) { $0[0].transposed() * $0[1] }
  }

  @Test func gradientsOfMathFunctions() {
    let x = randomDouble([2, 5], seed: 7)
    let positive = x.abs() + 0.3
    expectGradients([x]) { $0[0].exp() }
    expectGradients([positive]) { $0[0].log() }
    expectGradients([positive]) { $0[0].sqrt() }
    expectGradients([positive]) { $0[0].rsqrt() }
    expectGradients([x]) { $0[0].abs() }
    expectGradients([x]) { $0[0].sign() * $0[0] }
    expectGradients([x]) { $0[0].squared() }
    expectGradients([x]) { $0[0].clamped(min: -0.5, max: 0.5) }
    expectGradients([x, randomDouble([5], seed: 8)]) { Tensor.maximum($0[0], $0[1]) }
    expectGradients([x, randomDouble([2, 1], seed: 9)]) { Tensor.minimum($0[0], $0[1]) }
    expectGradients([x, randomDouble([5], seed: 10)]) { Tensor.where($0[0] .> 0, $0[0], $0[1]) }
  }

  @Test func gradientsFlowThroughDTypeConversions() {
    let x = Tensor([1, 2], dtype: .float64).requiringGrad()
    (x.converted(to: .float32) * Tensor([3, 4])).sum().backward()
    #expect(x.grad!.dtype == .float64)
    #expect([Double](x.grad!) == [3, 4])
  }

  @Test func tiesShareTheGradientOfMaximum() {
    let a = Tensor([1, 2], dtype: .float64).requiringGrad()
    let b = Tensor([1, 3], dtype: .float64).requiringGrad()
    Tensor.maximum(a, b).sum().backward()
    #expect([Double](a.grad!) == [0.5, 0])
    #expect([Double](b.grad!) == [0.5, 1])
  }

  @Test func gradientsOfActivations() {
    let x = randomDouble([3, 5], seed: 11)
    expectGradients([x]) { $0[0].relu() }
    expectGradients([x]) { $0[0].leakyRelu(negativeSlope: 0.2) }
    expectGradients([x]) { $0[0].elu(alpha: 1.5) }
    expectGradients([x]) { $0[0].gelu() }
    expectGradients([x]) { $0[0].gelu(approximation: .tanh) }
    expectGradients([x]) { $0[0].sigmoid() }
    expectGradients([x]) { $0[0].tanh() }
    expectGradients([x]) { $0[0].softplus() }
    expectGradients([x * 10]) { $0[0].softplus(beta: 2, threshold: 5) }
    expectGradients([x]) { $0[0].softmax() }
    expectGradients([x]) { $0[0].softmax(alongAxis: 0) }
    expectGradients([x]) { $0[0].logSoftmax() }
    expectGradients([randomDouble([2, 3, 4], seed: 12)]) { $0[0].logSoftmax(alongAxis: 1) }
    expectGradients([x]) { $0[0].transposed().softmax() }
  }
}
