import Testing

@testable import Nabla

/// The fused layer normalization against the same formula written with tensor ops, and its
/// gradients against central differences, with and without the affine parameters.
@Suite struct LayerNormOpTests {
  /// (x − mean)/√(var + ε)·w + b over the trailing axes, from elementary ops.
  func reference(_ x: Tensor, _ shape: [Int], _ w: Tensor?, _ b: Tensor?, _ eps: Double) -> Tensor {
    let axes = Array((x.rank - shape.count)..<x.rank)
    let centered = x - x.mean(alongAxes: axes, keepingDims: true)
    let variance = centered.squared().mean(alongAxes: axes, keepingDims: true)
    var y = centered * (variance + eps).rsqrt()
    if let w { y = y * w }
    if let b { y = y + b }
    return y
  }

  @Test(arguments: [[5], [3, 4], [37]])
  func matchesTheFormulaAndItsGradients(shape: [Int]) {
    let x = randomDouble([2, 3] + shape, seed: 21)
    let w = randomDouble(shape, seed: 22)
    let b = randomDouble(shape, seed: 23)
    for (weight, bias) in [(w, b), (w, nil), (nil, b), (nil, nil)] as [(Tensor?, Tensor?)] {
      expectClose(
        [Double](layerNorm(x, normalizedShape: shape, weight: weight, bias: bias, epsilon: 1e-3)),
        [Double](reference(x, shape, weight, bias, 1e-3)), tolerance: 1e-12)
      let leaves = [x] + [weight, bias].compactMap { $0 }
      expectGradients(leaves) { values in
        var rest = values.dropFirst()
        let weight = weight == nil ? nil : rest.removeFirst()
        let bias = bias == nil ? nil : rest.removeFirst()
        return layerNorm(values[0], normalizedShape: shape, weight: weight, bias: bias)
      }
    }
  }

  @Test func float32MatchesFloat64() {
    let x = randomDouble([64, 128], seed: 24) * 3 + 1
    let w = randomDouble([128], seed: 25)
    let y64 = layerNorm(x, normalizedShape: [128], weight: w, bias: w)
    let y32 = layerNorm(
      x.converted(to: .float32), normalizedShape: [128], weight: w.converted(to: .float32),
      bias: w.converted(to: .float32))
    expectClose([Double](y32), [Double](y64), tolerance: 1e-5)
  }
}
