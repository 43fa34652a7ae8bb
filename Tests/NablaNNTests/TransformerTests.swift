import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

@Suite struct MultiHeadAttentionTests {
  @Test func parametersHavePyTorchsNamesAndShapes() {
    let packed = MultiHeadAttention(embedDimension: 8, headCount: 2)
    #expect(
      packed.namedParameters().map(\.name) == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias",
      ])
    #expect(packed.inProjectionWeight!.value.shape == [24, 8])
    #expect([Double](packed.inProjectionBias!.value).allSatisfy { $0 == 0 })
    #expect([Double](packed.outputProjection.bias!.value).allSatisfy { $0 == 0 })
    let bound = (6.0 / 32).squareRoot()  // Xavier uniform on [24, 8]
    #expect([Double](packed.inProjectionWeight!.value).allSatisfy { Swift.abs($0) <= bound })

    let separate = MultiHeadAttention(
      embedDimension: 8, headCount: 4, bias: false, keyDimension: 5, valueDimension: 3)
    #expect(
      separate.namedParameters().map(\.name) == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight",
      ])
    #expect(separate.keyProjectionWeight!.value.shape == [8, 5])
    #expect(separate.valueProjectionWeight!.value.shape == [8, 3])
  }

  @Test func layoutsAgree() {
    let attention = MultiHeadAttention(embedDimension: 6, headCount: 2, dtype: .float64)
    let x = Tensor.randomNormal([4, 3, 6], dtype: .float64)  // [L, N, E]
    let (sequenceFirst, weights) = attention(query: x, key: x, value: x)
    #expect(sequenceFirst.shape == [4, 3, 6] && weights!.shape == [3, 4, 4])
    let batchFirst = MultiHeadAttention(
      embedDimension: 6, headCount: 2, batchFirst: true, dtype: .float64)
    try! batchFirst.loadStateDict(attention.stateDict())
    let y = batchFirst(x.transposed(0, 1))
    expectClose([Double](y.transposed(0, 1)), [Double](sequenceFirst))
    let (unbatched, unbatchedWeights) = attention(
      query: x[0..., 1], key: x[0..., 1], value: x[0..., 1], averageAttentionWeights: false)
    #expect(unbatched.shape == [4, 6] && unbatchedWeights!.shape == [2, 4, 4])
    expectClose([Double](unbatched), [Double](sequenceFirst[0..., 1]))
  }

  @Test func averagedWeightsAreTheMeanOfThePerHeadOnes() {
    let attention = MultiHeadAttention(
      embedDimension: 8, headCount: 4, batchFirst: true, dtype: .float64)
    let q = Tensor.randomNormal([2, 3, 8], dtype: .float64)
    let kv = Tensor.randomNormal([2, 5, 8], dtype: .float64)
    let perHead = attention(query: q, key: kv, value: kv, averageAttentionWeights: false).weights!
    let averaged = attention(query: q, key: kv, value: kv).weights!
    #expect(perHead.shape == [2, 4, 3, 5] && averaged.shape == [2, 3, 5])
    expectClose([Double](averaged), [Double](perHead.mean(alongAxis: 1)))
    expectClose([Double](averaged.sum(alongAxis: -1)), [Double](repeating: 1, count: 6))
    #expect(attention(query: q, key: kv, value: kv, needWeights: false).weights == nil)
  }

  @Test func perBatchAndHeadMasksAndPaddingAgreeWithSeparateCalls() {
    let attention = MultiHeadAttention(
      embedDimension: 4, headCount: 2, batchFirst: true, dtype: .float64)
    let q = Tensor.randomNormal([2, 3, 4], dtype: .float64)
    let kv = Tensor.randomNormal([2, 4, 4], dtype: .float64)
    let padding = tensor([0, 0, 1, 1, 0, 0, 0, 1], [2, 4])
    let output = attention(query: q, key: kv, value: kv, keyPaddingMask: .blocked(padding)).output
    let first = attention(query: q[0], key: kv[0, 0..<2], value: kv[0, 0..<2]).output
    let second = attention(query: q[1], key: kv[1, 0..<3], value: kv[1, 0..<3]).output
    expectClose([Double](output), [Double](first) + [Double](second))
    // The same padding as a [N·h, L, S] mask.
    var perHead: [Double] = []
    for batch in 0..<2 {
      for _ in 0..<2 {
        for _ in 0..<3 { perHead += [Double](padding[batch]) }
      }
    }
    let masked = attention(
      query: q, key: kv, value: kv, attentionMask: .blocked(tensor(perHead, [4, 3, 4]))
    ).output
    expectClose([Double](masked), [Double](output))
  }

  @Test func attentionDropoutIsSeededAndOnlyInTraining() {
    func make() -> MultiHeadAttention {
      MultiHeadAttention(
        embedDimension: 4, headCount: 2, dropout: 0.5, dtype: .float64,
        generator: RandomGenerator(seed: 11))
    }
    let (a, b) = (make(), make())
    let x = Tensor.randomNormal([5, 2, 4], dtype: .float64)
    let (trainedA, weightsA) = a(query: x, key: x, value: x, averageAttentionWeights: false)
    let (trainedB, _) = b(query: x, key: x, value: x, averageAttentionWeights: false)
    #expect([Double](trainedA) == [Double](trainedB))
    // Dropped weights are 0 and kept ones are scaled by 2, so rows no longer sum to 1.
    #expect([Double](weightsA!).contains(0))
    a.eval()
    let (evaluated, weights) = a(query: x, key: x, value: x)
    #expect([Double](evaluated) != [Double](trainedA))
    expectClose([Double](weights!.sum(alongAxis: -1)), [Double](repeating: 1, count: 10))
  }

  @Test(arguments: ["self", "cross", "masked", "causal"])
  func gradientsMatchCentralDifferences(kind: String) {
    let attention =
      kind == "cross"
      ? MultiHeadAttention(embedDimension: 4, headCount: 2, keyDimension: 3, valueDimension: 5)
      : MultiHeadAttention(embedDimension: 4, headCount: 2)
    attention.inProjectionBias!.assign(Tensor.randomNormal([12]))
    attention.outputProjection.bias!.assign(Tensor.randomNormal([4]))
    let q = Tensor.randomNormal([3, 2, 4])
    let k = Tensor.randomNormal([4, 2, kind == "cross" ? 3 : 4])
    let v = Tensor.randomNormal([4, 2, kind == "cross" ? 5 : 4])
    let inputs = kind == "self" || kind == "causal" ? [q] : [q, k, v]
    let additive = Tensor.randomNormal([3, 4])
    let result = gradientCheck(attention, inputs: inputs) { module, x in
      let attention = module as! MultiHeadAttention
      let (key, value) = x.count == 1 ? (x[0], x[0]) : (x[1], x[2])
      let (output, weights) = attention(
        query: x[0], key: key, value: value,
        keyPaddingMask: kind == "masked"
          ? .blocked(tensor([0, 1, 0, 0, 0, 0, 1, 1], [2, 4])) : nil,
        attentionMask: kind == "masked" ? .additive(additive) : nil,
        isCausal: kind == "causal")
      return output + weights!.sum()
    }
    #expect(result.passed, "\(kind): \(result)")
  }
}

@Suite struct TransformerLayerTests {
  @Test func encoderLayerHasPyTorchsNames() {
    let layer = TransformerEncoderLayer(dModel: 8, headCount: 2, feedForwardSize: 16)
    #expect(
      layer.namedParameters().map(\.name) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
        "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
      ])
    let decoder = TransformerDecoderLayer(dModel: 8, headCount: 2, feedForwardSize: 16)
    let names = decoder.namedParameters().map(\.name)
    #expect(names.count == 18)
    #expect(names.contains("multihead_attn.in_proj_weight") && names.contains("norm3.bias"))
    let model = Transformer(
      dModel: 8, headCount: 2, encoderLayerCount: 2, decoderLayerCount: 1, feedForwardSize: 16)
    let all = model.namedParameters().map(\.name)
    #expect(all.contains("encoder.layers.1.self_attn.out_proj.weight"))
    #expect(all.contains("encoder.norm.weight") && all.contains("decoder.norm.bias"))
    #expect(all.contains("decoder.layers.0.multihead_attn.in_proj_bias"))
  }

  @Test func stacksStartFromCopiesOfTheLayer() {
    let layer = TransformerEncoderLayer(dModel: 4, headCount: 2, feedForwardSize: 8)
    let encoder = TransformerEncoder(layer, count: 2, norm: LayerNorm(4))
    let state = encoder.stateDict()
    for (name, value) in layer.stateDict() {
      #expect([Double](state["layers.0.\(name)"]!) == [Double](value))
      #expect([Double](state["layers.1.\(name)"]!) == [Double](value))
    }
    #expect(encoder.layers[0].linear1.weight !== encoder.layers[1].linear1.weight)
  }

  @Test(arguments: [false, true])
  func encoderLayerGradients(normFirst: Bool) {
    let layer = TransformerEncoderLayer(
      dModel: 4, headCount: 2, feedForwardSize: 6, dropout: 0.3,
      activation: normFirst ? .gelu : .relu, normFirst: normFirst)
    layer.eval()
    let padding: AttentionMask = .blocked(tensor([0, 0, 0, 1, 0, 0, 0, 0], [2, 4]))
    let result = gradientCheck(layer, inputs: [Tensor.randomNormal([4, 2, 4])]) { module, x in
      (module as! TransformerEncoderLayer)(x[0], mask: nil, keyPaddingMask: padding)
    }
    #expect(result.passed, "normFirst \(normFirst): \(result)")
  }

  @Test(arguments: [false, true])
  func decoderLayerGradients(normFirst: Bool) {
    let layer = TransformerDecoderLayer(
      dModel: 4, headCount: 2, feedForwardSize: 6, dropout: 0, batchFirst: true,
      normFirst: normFirst)
    let target = Tensor.randomNormal([2, 3, 4])
    let memory = Tensor.randomNormal([2, 4, 4])
    let result = gradientCheck(layer, inputs: [target, memory]) { module, x in
      (module as! TransformerDecoderLayer)(x[0], memory: x[1], targetIsCausal: true)
    }
    #expect(result.passed, "normFirst \(normFirst): \(result)")
  }

  @Test func transformerGradients() {
    let model = Transformer(
      dModel: 4, headCount: 2, encoderLayerCount: 1, decoderLayerCount: 1, feedForwardSize: 4,
      dropout: 0, batchFirst: true)
    let source = Tensor.randomNormal([1, 3, 4])
    let target = Tensor.randomNormal([1, 2, 4])
    let result = gradientCheck(model, inputs: [source, target]) { module, x in
      (module as! Transformer)(
        x[0], target: x[1], targetMask: .additive(Transformer.squareSubsequentMask(2)))
    }
    #expect(result.passed, "\(result)")
  }

  @Test func dropoutIsOnlyActiveInTraining() {
    let layer = TransformerEncoderLayer(
      dModel: 4, headCount: 2, feedForwardSize: 8, dropout: 0.5, dtype: .float64)
    let x = Tensor.randomNormal([3, 2, 4], dtype: .float64)
    layer.eval()
    let (a, b) = (layer(x), layer(x))
    #expect([Double](a) == [Double](b))
    layer.train()
    #expect([Double](layer(x)) != [Double](a))
  }

  /// Changing the inputs after position t leaves the outputs up to t unchanged.
  @Test func causalMaskingIsCausal() {
    let (length, t) = (6, 2)
    let encoder = TransformerEncoder(
      TransformerEncoderLayer(dModel: 4, headCount: 2, feedForwardSize: 8, dtype: .float64),
      count: 2, norm: LayerNorm([4], dtype: .float64))
    let decoder = TransformerDecoderLayer(
      dModel: 4, headCount: 2, feedForwardSize: 8, batchFirst: true, dtype: .float64)
    encoder.eval()
    decoder.eval()
    let x = Tensor.randomNormal([length, 2, 4], dtype: .float64)  // sequence first
    let changed = Tensor(
      concatenating: [
        x[0...t], Tensor.randomNormal([length - t - 1, 2, 4], dtype: .float64),
      ], alongAxis: 0)
    let mask: AttentionMask = .additive(Transformer.squareSubsequentMask(length, dtype: .float64))
    let (before, after) = (encoder(x, mask: mask), encoder(changed, mask: mask))
    expectClose([Double](before[0...t]), [Double](after[0...t]), tolerance: 1e-12)
    #expect([Double](before[(t + 1)...]) != [Double](after[(t + 1)...]))
    let flagged = encoder(changed, mask: nil, isCausal: true)
    expectClose([Double](flagged), [Double](after), tolerance: 1e-12)

    let memory = Tensor.randomNormal([2, 5, 4], dtype: .float64)
    let target = x.transposed(0, 1)
    let targetChanged = changed.transposed(0, 1)
    let y1 = decoder(target, memory: memory, targetIsCausal: true)
    let y2 = decoder(targetChanged, memory: memory, targetIsCausal: true)
    expectClose([Double](y1[0..., 0...t]), [Double](y2[0..., 0...t]), tolerance: 1e-12)
    #expect([Double](y1[0..., (t + 1)...]) != [Double](y2[0..., (t + 1)...]))
  }
}
