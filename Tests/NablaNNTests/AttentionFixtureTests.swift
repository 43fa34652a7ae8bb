import Foundation
import Testing

@testable import NablaNN

/// Compares Nabla's attention modules with Fixtures/attention.safetensors. That reference is NOT
/// PyTorch (which cannot be installed here): it is a NumPy implementation of the equations of
/// PyTorch's MultiheadAttention, TransformerEncoderLayer and TransformerDecoderLayer
/// (make_attention_fixtures.py), with the weights under PyTorch's state-dict names. Loading them
/// strictly checks that Nabla's parameter names and shapes are PyTorch's.
@Suite struct AttentionFixtureTests {
  let tensors: [String: Tensor]

  init() throws {
    let resources = try #require(Bundle.module.resourceURL)
    let url = resources.appendingPathComponent("Fixtures/attention.safetensors")
    tensors = try SafeTensors.read(from: url).tensors
  }

  /// The weights of `name`, without its prefix.
  func state(_ name: String) -> [String: Tensor] {
    var state: [String: Tensor] = [:]
    for (key, value) in tensors where key.hasPrefix(name + ".") {
      state[String(key.dropFirst(name.count + 1))] = value
    }
    return state
  }

  func data(_ name: String, _ item: String) throws -> Tensor {
    try #require(tensors["\(name):\(item)"])
  }

  /// Loads `name`'s weights into `module`, then runs `body` in float32 and float64.
  func compare(
    _ module: Module, _ name: String, expected: [String],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (DType) throws -> [Tensor]
  ) throws {
    try module.loadStateDict(state(name))
    module.eval()
    for (dtype, tolerance) in [(DType.float32, 2e-5), (.float64, 1e-11)] {
      module.convert(to: dtype)
      let outputs = try body(dtype)
      for (output, item) in zip(outputs, expected) {
        let wanted = try data(name, item)
        #expect(output.shape == wanted.shape, sourceLocation: sourceLocation)
        expectClose(
          [Double](output), [Double](wanted), tolerance: tolerance, sourceLocation: sourceLocation)
      }
    }
  }

  @Test func selfAttentionWithCausalAndPaddingMasks() throws {
    let attention = MultiHeadAttention(embedDimension: 8, headCount: 2)
    try compare(attention, "mha_self", expected: ["output", "weights"]) { dtype in
      let x = try data("mha_self", "input").converted(to: dtype)
      let (output, weights) = attention(
        query: x, key: x, value: x,
        keyPaddingMask: .blocked(try data("mha_self", "key_padding_mask")),
        attentionMask: .additive(Transformer.squareSubsequentMask(5, dtype: dtype)))
      return [output, weights!]
    }
  }

  @Test func crossAttentionWithOtherKeyAndValueSizes() throws {
    let attention = MultiHeadAttention(
      embedDimension: 8, headCount: 2, keyDimension: 6, valueDimension: 4, batchFirst: true)
    try compare(attention, "mha_cross", expected: ["output", "weights"]) { dtype in
      let (q, k, v) = (
        try data("mha_cross", "query").converted(to: dtype),
        try data("mha_cross", "key").converted(to: dtype),
        try data("mha_cross", "value").converted(to: dtype)
      )
      let (output, weights) = attention(
        query: q, key: k, value: v, attentionMask: .blocked(try data("mha_cross", "attn_mask")),
        averageAttentionWeights: false)
      return [output, weights!]
    }
  }

  @Test func postNormEncoderLayer() throws {
    let layer = TransformerEncoderLayer(dModel: 8, headCount: 2, feedForwardSize: 16)
    try compare(layer, "enc_post", expected: ["output"]) { dtype in
      let x = try data("enc_post", "input").converted(to: dtype)
      let padding = try data("enc_post", "key_padding_mask")
      return [layer(x, mask: nil, keyPaddingMask: .blocked(padding))]
    }
  }

  @Test func preNormGELUEncoderLayer() throws {
    let layer = TransformerEncoderLayer(
      dModel: 8, headCount: 4, feedForwardSize: 12, activation: .gelu, batchFirst: true,
      normFirst: true)
    try compare(layer, "enc_pre", expected: ["output"]) { dtype in
      let x = try data("enc_pre", "input").converted(to: dtype)
      return [layer(x, mask: .additive(Transformer.squareSubsequentMask(4, dtype: dtype)))]
    }
  }

  @Test func postNormDecoderLayer() throws {
    let layer = TransformerDecoderLayer(
      dModel: 8, headCount: 2, feedForwardSize: 16, batchFirst: true)
    try compare(layer, "dec_post", expected: ["output"]) { dtype in
      let target = try data("dec_post", "target").converted(to: dtype)
      let memory = try data("dec_post", "memory").converted(to: dtype)
      let padding = try data("dec_post", "memory_key_padding_mask")
      return [
        layer(
          target, memory: memory,
          targetMask: .additive(Transformer.squareSubsequentMask(4, dtype: dtype)),
          memoryKeyPaddingMask: .blocked(padding))
      ]
    }
  }
}
