import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// The block-diagonal matrix with `blocks` on its diagonal.
private func blockDiagonal(_ blocks: [Tensor]) -> Tensor {
  let rows = blocks.reduce(0) { $0 + $1.shape[0] }
  let columns = blocks.reduce(0) { $0 + $1.shape[1] }
  var values = [Double](repeating: 0, count: rows * columns)
  var (top, left) = (0, 0)
  for block in blocks {
    let (r, c) = (block.shape[0], block.shape[1])
    let blockValues = [Double](block)
    for i in 0..<r {
      for j in 0..<c { values[(top + i) * columns + left + j] = blockValues[i * c + j] }
    }
    (top, left) = (top + r, left + c)
  }
  return tensor(values, [rows, columns])
}

@Suite struct ScaledDotProductAttentionTests {
  @Test func handWorkedTwoKeys() {
    let q = tensor([1, 0], [1, 2])
    let k = tensor([1, 0, 0, 1], [2, 2])
    let v = tensor([1, 2, 3, 4], [2, 2])
    let result = scaledDotProductAttentionWithWeights(query: q, key: k, value: v)
    // Scores [1/√2, 0]; weights softmax of them.
    let w0 = 1 / (1 + exp(-1 / 2.0.squareRoot()))
    expectClose([Double](result.weights), [w0, 1 - w0])
    expectClose([Double](result.output), [w0 * 1 + (1 - w0) * 3, w0 * 2 + (1 - w0) * 4])
  }

  @Test func everyMaskConventionGivesTheSameResult() {
    let q = Tensor.randomNormal([2, 3, 4], dtype: .float64)
    let k = Tensor.randomNormal([2, 5, 4], dtype: .float64)
    let v = Tensor.randomNormal([2, 5, 6], dtype: .float64)
    let allowed = tensor([1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1], [3, 5])
    let a = scaledDotProductAttention(query: q, key: k, value: v, mask: .allowed(allowed))
    let b = scaledDotProductAttention(query: q, key: k, value: v, mask: .blocked(1 - allowed))
    let additive = Tensor.where(allowed, tensor([0], []), tensor([-Double.infinity], []))
    let c = scaledDotProductAttention(query: q, key: k, value: v, mask: .additive(additive))
    let d = scaledDotProductAttention(
      query: q, key: k, value: v, mask: .allowed(allowed.converted(to: .int64)))
    expectClose([Double](a), [Double](b))
    expectClose([Double](a), [Double](c))
    expectClose([Double](a), [Double](d))
    // The same as attending to the allowed keys only, query by query.
    let weights = scaledDotProductAttentionWithWeights(
      query: q, key: k, value: v, mask: .allowed(allowed)
    ).weights
    let flags = [Double](allowed)
    for (index, weight) in [Double](weights).enumerated() where flags[index % 15] == 0 {
      #expect(weight == 0)
    }
  }

  @Test func causalFlagMatchesTheSubsequentMask() {
    let q = Tensor.randomNormal([3, 4, 2], dtype: .float64)
    let k = Tensor.randomNormal([3, 4, 2], dtype: .float64)
    let v = Tensor.randomNormal([3, 4, 5], dtype: .float64)
    let flagged = scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)
    let masked = scaledDotProductAttention(
      query: q, key: k, value: v,
      mask: .additive(Transformer.squareSubsequentMask(4, dtype: .float64)))
    expectClose([Double](flagged), [Double](masked))
    expectClose(
      [Double](Transformer.squareSubsequentMask(3, dtype: .float64)),
      [0, -.infinity, -.infinity, 0, 0, -.infinity, 0, 0, 0])
  }

  @Test func keyPaddingMaskIgnoresKeysPerBatchElement() {
    let q = Tensor.randomNormal([2, 3, 4], dtype: .float64)
    let k = Tensor.randomNormal([2, 4, 4], dtype: .float64)
    let v = Tensor.randomNormal([2, 4, 2], dtype: .float64)
    let padding = tensor([0, 0, 0, 1, 0, 1, 1, 1], [2, 4])
    let padded = scaledDotProductAttention(
      query: q, key: k, value: v, keyPaddingMask: .blocked(padding))
    let first = scaledDotProductAttention(query: q[0], key: k[0, 0..<3], value: v[0, 0..<3])
    let second = scaledDotProductAttention(query: q[1], key: k[1, 0..<1], value: v[1, 0..<1])
    expectClose([Double](padded), [Double](first) + [Double](second))
  }

  @Test func fullyMaskedRowsGiveZerosAndNoNaN() {
    let q = Tensor.randomNormal([3, 2], dtype: .float64)
    let k = Tensor.randomNormal([2, 2], dtype: .float64)
    let v = Tensor.randomNormal([2, 3], dtype: .float64)
    let allowed = tensor([1, 1, 0, 0, 0, 1], [3, 2])
    let result = scaledDotProductAttentionWithWeights(
      query: q, key: k, value: v, mask: .allowed(allowed))
    #expect([Double](result.output)[3..<6].allSatisfy { $0 == 0 })
    #expect([Double](result.weights)[2..<4].allSatisfy { $0 == 0 })
    #expect([Double](result.output).allSatisfy { $0.isFinite })
    let additive = tensor([0, 0, -.infinity, -.infinity, -.infinity, 0], [3, 2])
    let viaAdditive = scaledDotProductAttention(
      query: q, key: k, value: v, mask: .additive(additive))
    expectClose([Double](viaAdditive), [Double](result.output))
  }

  @Test func eachOutputRowIsAConvexCombinationOfTheValueRows() {
    let q = Tensor.randomNormal([2, 5, 3], dtype: .float64)
    let k = Tensor.randomNormal([2, 7, 3], dtype: .float64)
    let v = Tensor.randomNormal([2, 7, 4], dtype: .float64)
    let result = scaledDotProductAttentionWithWeights(query: q, key: k, value: v, scale: 2)
    let weights = [Double](result.weights)
    #expect(weights.allSatisfy { $0 >= 0 && $0 <= 1 })
    expectClose([Double](result.weights.sum(alongAxis: -1)), [Double](repeating: 1, count: 10))
    expectClose([Double](result.output), [Double](result.weights.matmul(v)))
    // Each coordinate of an output row lies between the smallest and largest value row's.
    let (low, high) = ([Double](v.min(alongAxis: 1)), [Double](v.max(alongAxis: 1)))
    for (index, y) in [Double](result.output).enumerated() {
      let (batch, column) = (index / 20, index % 4)
      #expect(y >= low[batch * 4 + column] - 1e-12 && y <= high[batch * 4 + column] + 1e-12)
    }
  }

  @Test func dropoutIsSeededAndScalesTheKeptWeights() {
    let q = Tensor.randomNormal([4, 3], dtype: .float64)
    let k = Tensor.randomNormal([6, 3], dtype: .float64)
    let v = Tensor.randomNormal([6, 2], dtype: .float64)
    func run(_ seed: UInt64) -> AttentionOutput {
      scaledDotProductAttentionWithWeights(
        query: q, key: k, value: v, dropoutProbability: 0.5,
        generator: RandomGenerator(seed: seed))
    }
    let plain = [Double](scaledDotProductAttentionWithWeights(query: q, key: k, value: v).weights)
    let (a, b) = (run(9), run(9))
    #expect([Double](a.output) == [Double](b.output))
    let dropped = [Double](a.weights)
    #expect(dropped.contains(0) && dropped.contains { $0 != 0 })
    for (kept, original) in zip(dropped, plain) where kept != 0 {
      #expect(Swift.abs(kept - 2 * original) < 1e-12)
    }
    expectClose([Double](a.output), [Double](a.weights.matmul(v)))
  }

  @Test(arguments: ["none", "allowed", "blocked", "additive", "padding", "causal", "fullyMasked"])
  func gradientsMatchCentralDifferences(mask kind: String) {
    let q = Tensor.randomNormal([2, 3, 4], dtype: .float64)
    let k = Tensor.randomNormal([2, 5, 4], dtype: .float64)
    let v = Tensor.randomNormal([2, 5, 3], dtype: .float64)
    let flags = tensor([1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1], [3, 5])
    let rowMasked = tensor([1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1], [3, 5])
    var mask: AttentionMask?
    var padding: AttentionMask?
    switch kind {
    case "allowed": mask = .allowed(flags)
    case "blocked": mask = .blocked(flags)
    case "additive": mask = .additive(Tensor.randomNormal([2, 1, 5], dtype: .float64))
    case "padding": padding = .blocked(tensor([0, 0, 1, 0, 1, 1, 0, 0, 0, 0], [2, 5]))
    case "fullyMasked": mask = .allowed(rowMasked)
    default: break
    }
    let result = gradientCheck(at: [q, k, v]) { x in
      scaledDotProductAttention(
        query: x[0], key: x[1], value: x[2], mask: mask, keyPaddingMask: padding,
        isCausal: kind == "causal")
    }
    #expect(result.passed, "\(kind): \(result)")
  }
}

/// Self-attention with nothing masked takes a fused path (one projection product, heads attended
/// in place); it must give what the general path gives (asked for the weights, which only the
/// general path returns), values and gradients, batched, time-first and unbatched.
@Suite struct SelfAttentionFastPathTests {
  @Test(arguments: [true, false])
  func fusedPathMatchesTheGeneralOne(batchFirst: Bool) {
    let attention = MultiHeadAttention(
      embedDimension: 8, headCount: 2, batchFirst: batchFirst, dtype: .float64,
      generator: RandomGenerator(seed: 41))
    attention.inProjectionBias!.assign(
      Tensor.randomNormal([24], dtype: .float64, generator: RandomGenerator(seed: 42)))
    for shape in [[3, 5, 8], [5, 8]] {
      let x = Tensor.randomNormal(shape, dtype: .float64, generator: RandomGenerator(seed: 43))
      let (fastInput, generalInput) = (x.requiringGrad(), x.requiringGrad())
      let fast = attention(query: fastInput, key: fastInput, value: fastInput, needWeights: false)
      let general = attention(
        query: generalInput, key: generalInput, value: generalInput, needWeights: true)
      #expect(fast.weights == nil && general.weights != nil)
      expectClose([Double](fast.output), [Double](general.output), tolerance: 1e-12)
      (fast.output * fast.output).sum().backward()
      (general.output * general.output).sum().backward()
      expectClose([Double](fastInput.grad!), [Double](generalInput.grad!), tolerance: 1e-12)
    }
  }
}

@Suite struct AttentionMatrixViewTests {
  /// h-head attention is one-head attention on an h-fold lifted sequence: the input repeated in
  /// h diagonal blocks, block-diagonal projections (head i's rows of in_proj_weight and its bias
  /// in block i, the bias through a column of ones), and a block-diagonal mask so that the copy of
  /// the sequence for head i only attends to head i's keys. Summing the h row blocks of the result
  /// concatenates the heads, and the output projection follows.
  @Test func multiHeadEqualsOneHeadWithBlockDiagonalProjections() {
    let (e, h, l, s, n) = (6, 3, 4, 5, 2)
    let d = e / h
    let attention = MultiHeadAttention(
      embedDimension: e, headCount: h, batchFirst: true, dtype: .float64)
    attention.inProjectionBias!.assign(Tensor.randomNormal([3 * e], dtype: .float64))
    attention.outputProjection.bias!.assign(Tensor.randomNormal([e], dtype: .float64))
    let query = Tensor.randomNormal([n, l, e], dtype: .float64)
    let memory = Tensor.randomNormal([n, s, e], dtype: .float64)
    let (expected, expectedWeights) = attention(
      query: query, key: memory, value: memory, averageAttentionWeights: false)

    let weight = attention.inProjectionWeight!.value.split(sizes: [e, e, e])
    let bias = attention.inProjectionBias!.value.split(sizes: [e, e, e])
    // Head i's affine map [W_i b_i] of shape [d, e + 1], for projection p (query, key, value).
    func headMap(_ p: Int, _ head: Int) -> Tensor {
      Tensor(
        concatenating: [
          weight[p][(head * d)..<((head + 1) * d)],
          bias[p][(head * d)..<((head + 1) * d)].unsqueezed(at: 1),
        ], alongAxis: 1)
    }
    // [W̃] = blockdiag([W_1 b_1], ..., [W_h b_h]): [e, h(e + 1)], PyTorch's [out, in] layout.
    let projections = (0..<3).map { p in blockDiagonal((0..<h).map { headMap(p, $0) }) }
    let blockMask = blockDiagonal((0..<h).map { _ in Tensor.ones([l, s], dtype: .float64) })
    for batch in 0..<n {
      func lifted(_ x: Tensor) -> Tensor {  // blockdiag([x 1], ..., [x 1]): [h·rows, h(e + 1)]
        let homogeneous = Tensor(
          concatenating: [x, Tensor.ones([x.shape[0], 1], dtype: .float64)], alongAxis: 1)
        return blockDiagonal([Tensor](repeating: homogeneous, count: h))
      }
      let q = lifted(query[batch]).matmul(projections[0].transposed())  // blockdiag(Q_i)
      let k = lifted(memory[batch]).matmul(projections[1].transposed())
      let v = lifted(memory[batch]).matmul(projections[2].transposed())
      let oneHead = scaledDotProductAttentionWithWeights(
        query: q, key: k, value: v, mask: .allowed(blockMask),
        scale: 1 / Double(d).squareRoot())
      // Sum the h row blocks of blockdiag(A_i V_i): the concatenation of the heads, [l, e].
      let merged = oneHead.output.reshaped([h, l, e]).sum(alongAxis: 0)
      let output = attention.outputProjection(merged)
      expectClose([Double](output), [Double](expected[batch]), tolerance: 1e-10)
      // The diagonal blocks of the one-head weights are the per-head weights.
      for head in 0..<h {
        let block = oneHead.weights[(head * l)..<((head + 1) * l), (head * s)..<((head + 1) * s)]
        expectClose(
          [Double](block), [Double](expectedWeights![batch, head]), tolerance: 1e-12)
      }
    }
  }
}
