import NablaTestSupport
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
        [Double](x.layerNorm(normalizedShape: shape, weight: weight, bias: bias, epsilon: 1e-3)),
        [Double](reference(x, shape, weight, bias, 1e-3)), tolerance: 1e-12)
      let leaves = [x] + [weight, bias].compactMap { $0 }
      expectGradients(leaves) { values in
        var rest = values.dropFirst()
        let weight = weight == nil ? nil : rest.removeFirst()
        let bias = bias == nil ? nil : rest.removeFirst()
        return values[0].layerNorm(normalizedShape: shape, weight: weight, bias: bias)
      }
    }
  }

  @Test func float32MatchesFloat64() {
    let x = randomDouble([64, 128], seed: 24) * 3 + 1
    let w = randomDouble([128], seed: 25)
    let y64 = x.layerNorm(normalizedShape: [128], weight: w, bias: w)
    let y32 = x.converted(to: .float32).layerNorm(
      normalizedShape: [128], weight: w.converted(to: .float32),
      bias: w.converted(to: .float32))
    expectClose([Double](y32), [Double](y64), tolerance: 1e-5)
  }
}

/// Self-attention read in place from packed projections, against the same heads split out and
/// attended with tensor ops, and its gradient against central differences.
@Suite struct AttentionHeadsOpTests {
  /// softmax(scale·Q·Kᵀ)·V per head, the heads split out of [N, L, 3E] and merged back.
  func reference(_ qkv: Tensor, heads: Int, scale: Double) -> Tensor {
    let (n, l, e) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let parts = qkv.split(sizes: [e, e, e], alongAxis: 2).map {
      $0.reshaped([n, l, heads, e / heads]).permuted([0, 2, 1, 3])
    }
    let weights = (parts[0].matmul(parts[1].transposed()) * scale).softmax()
    return weights.matmul(parts[2]).permuted([0, 2, 1, 3]).reshaped([n, l, e])
  }

  @Test func matchesSplitHeadsAndItsGradient() {
    let qkv = randomDouble([2, 5, 12], seed: 31)
    expectClose(
      [Double](qkv.selfAttentionHeads(heads: 2, scale: 0.7)),
      [Double](reference(qkv, heads: 2, scale: 0.7)), tolerance: 1e-12)
    expectGradients([qkv]) { $0[0].selfAttentionHeads(heads: 2, scale: 0.7) }
    let float = randomDouble([3, 70, 48], seed: 32)
    expectClose(
      [Double](float.converted(to: .float32).selfAttentionHeads(heads: 4, scale: 0.25)),
      [Double](reference(float, heads: 4, scale: 0.25)), tolerance: 1e-5)
  }
}

/// Empty batches go through the fused kernels (nothing to compute, no crash) and give empty
/// results and zero parameter gradients.
@Suite struct EmptyBatchTests {
  @Test func fusedOpsAcceptEmptyBatches() {
    let x = Tensor.zeros([0, 3, 8], dtype: .float64).requiringGrad()
    let w = randomDouble([4, 3, 3], seed: 51).requiringGrad()
    let b = randomDouble([4], seed: 52).requiringGrad()
    let y = x.conv1d(weight: w, bias: b, padding: 1)
    #expect(y.shape == [0, 4, 8])
    y.sum().backward()
    #expect([Double](w.grad!).allSatisfy { $0 == 0 } && [Double](b.grad!).allSatisfy { $0 == 0 })

    let gamma = randomDouble([8], seed: 53).requiringGrad()
    let normalized = x.layerNorm(normalizedShape: [8], weight: gamma)
    #expect(normalized.shape == [0, 3, 8])
    normalized.sum().backward()
    #expect([Double](gamma.grad!).allSatisfy { $0 == 0 })

    let qkv = Tensor.zeros([0, 5, 12], dtype: .float64).requiringGrad()
    let attended = qkv.selfAttentionHeads(heads: 2, scale: 1)
    #expect(attended.shape == [0, 5, 4])
    attended.sum().backward()
    #expect(qkv.grad!.shape == [0, 5, 12])
  }
}
