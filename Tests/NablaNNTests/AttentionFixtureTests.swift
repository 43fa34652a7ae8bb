import Foundation
import Testing

@testable import NablaNN

/// State dicts saved from PyTorch's `nn.MultiheadAttention`, `nn.TransformerEncoderLayer`,
/// `nn.TransformerEncoder`, `nn.TransformerDecoderLayer` and `nn.Transformer` load into Nabla's
/// modules and give the outputs (and attention weights) PyTorch gave.
///
/// The reference is Fixtures/attention.safetensors, written by
/// Fixtures/make_attention_fixtures.py with PyTorch itself (float64, eval mode, fused fast paths
/// off). Loading is strict, so it also checks that the parameter names and shapes are PyTorch's.
/// Boolean masks are stored as 0/1 in PyTorch's MultiheadAttention convention (1 = masked out),
/// which is Nabla's `.blocked`; float masks are added to the scores, Nabla's `.additive`.
@Suite struct AttentionFixtureTests {
  let fixture: PyTorchFixture

  init() throws {
    fixture = try PyTorchFixture("attention")
  }

  /// Loads the PyTorch state dict of `name` into `module`, puts it in eval mode, then runs
  /// `body` in float64 and in float32 and compares what it returns with the items `expected`.
  func expectMatchesPyTorch(
    _ name: String, _ module: Module, expected: [String],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (_ input: (String) throws -> Tensor) throws -> [Tensor]
  ) throws {
    try module.loadStateDict(fixture.state(name))
    module.eval()
    for (dtype, tolerance) in [(DType.float64, 1e-12), (.float32, 5e-6)] {
      module.convert(to: dtype)
      // Float inputs in the module's dtype; masks as stored.
      let outputs = try body { item in
        let tensor = try fixture(name, item, sourceLocation: sourceLocation)
        return tensor.dtype.isFloatingPoint ? tensor.converted(to: dtype) : tensor
      }
      #expect(outputs.count == expected.count, sourceLocation: sourceLocation)
      for (output, item) in zip(outputs, expected) {
        expectMatch(
          output, try fixture(name, item), tolerance: tolerance, sourceLocation: sourceLocation)
      }
    }
  }

  @Test func selfAttentionWithBooleanMasks() throws {
    // nn.MultiheadAttention(8, 2, dropout=0.2), time first; a boolean causal [L, S] mask and a
    // boolean key padding mask; averaged weights.
    let attention = MultiHeadAttention(embedDimension: 8, headCount: 2, dropout: 0.2)
    try expectMatchesPyTorch("mha_self", attention, expected: ["output", "weights"]) { input in
      let x = try input("input")
      let (output, weights) = attention(
        query: x, key: x, value: x, keyPaddingMask: .blocked(try input("key_padding_mask")),
        attentionMask: .blocked(try input("attn_mask")))
      return [output, try #require(weights)]
    }
  }

  @Test func attentionWithAdditiveMasksAndPerHeadWeights() throws {
    // nn.MultiheadAttention(12, 3, batch_first=True) from a query to another key and value; a
    // float [L, S] mask of finite values and -inf, a float key padding mask; per-head weights.
    let attention = MultiHeadAttention(embedDimension: 12, headCount: 3, batchFirst: true)
    try expectMatchesPyTorch("mha_additive", attention, expected: ["output", "weights"]) {
      input in
      let (output, weights) = attention(
        query: try input("query"), key: try input("key"), value: try input("value"),
        keyPaddingMask: .additive(try input("key_padding_mask")),
        attentionMask: .additive(try input("attn_mask")), averageAttentionWeights: false)
      return [output, try #require(weights)]
    }
  }

  @Test func crossAttentionWithOtherKeyAndValueSizes() throws {
    // nn.MultiheadAttention(8, 2, kdim=6, vdim=4, batch_first=True); a boolean [N·h, L, S] mask;
    // per-head weights.
    let attention = MultiHeadAttention(
      embedDimension: 8, headCount: 2, keyDimension: 6, valueDimension: 4, batchFirst: true)
    try expectMatchesPyTorch("mha_cross", attention, expected: ["output", "weights"]) { input in
      let (output, weights) = attention(
        query: try input("query"), key: try input("key"), value: try input("value"),
        attentionMask: .blocked(try input("attn_mask")), averageAttentionWeights: false)
      return [output, try #require(weights)]
    }
  }

  @Test func unbatchedAttention() throws {
    // nn.MultiheadAttention(6, 3) over one sequence [L, E]; a boolean per-head [h, L, S] mask and
    // a boolean key padding mask [S]; averaged weights [L, S].
    let attention = MultiHeadAttention(embedDimension: 6, headCount: 3)
    try expectMatchesPyTorch("mha_unbatched", attention, expected: ["output", "weights"]) {
      input in
      let x = try input("input")
      let (output, weights) = attention(
        query: x, key: x, value: x, keyPaddingMask: .blocked(try input("key_padding_mask")),
        attentionMask: .blocked(try input("attn_mask")))
      return [output, try #require(weights)]
    }
  }

  @Test func attentionWithoutBiases() throws {
    // nn.MultiheadAttention(4, 2, bias=False), time first, no masks; averaged weights.
    let attention = MultiHeadAttention(embedDimension: 4, headCount: 2, bias: false)
    try expectMatchesPyTorch("mha_nobias", attention, expected: ["output", "weights"]) { input in
      let x = try input("input")
      let (output, weights) = attention(query: x, key: x, value: x)
      return [output, try #require(weights)]
    }
  }

  @Test func attentionWithABiasKeyAndValue() throws {
    // nn.MultiheadAttention(8, 2, add_bias_kv=True), time first; boolean causal and key padding
    // masks, which get a visible column for the extra key; averaged weights [N, L, S + 1].
    let attention = MultiHeadAttention(embedDimension: 8, headCount: 2, addBiasKV: true)
    try expectMatchesPyTorch("mha_bias_kv", attention, expected: ["output", "weights"]) { input in
      let x = try input("input")
      let (output, weights) = attention(
        query: x, key: x, value: x, keyPaddingMask: .blocked(try input("key_padding_mask")),
        attentionMask: .blocked(try input("attn_mask")))
      return [output, try #require(weights)]
    }
  }

  @Test func attentionWithAZeroKeyAndValue() throws {
    // nn.MultiheadAttention(6, 3, add_zero_attn=True, batch_first=True); a float per-head mask
    // [N·h, L, S]; per-head weights [N, h, L, S + 1].
    let attention = MultiHeadAttention(
      embedDimension: 6, headCount: 3, batchFirst: true, addZeroAttention: true)
    try expectMatchesPyTorch("mha_zero_attn", attention, expected: ["output", "weights"]) {
      input in
      let (output, weights) = attention(
        query: try input("query"), key: try input("key"), value: try input("value"),
        attentionMask: .additive(try input("attn_mask")), averageAttentionWeights: false)
      return [output, try #require(weights)]
    }
  }

  @Test func unbatchedAttentionWithBothExtraKeys() throws {
    // nn.MultiheadAttention(4, 2, kdim=5, vdim=3, add_bias_kv=True, add_zero_attn=True) over one
    // sequence pair; a boolean key padding mask [S]; averaged weights [L, S + 2].
    let attention = MultiHeadAttention(
      embedDimension: 4, headCount: 2, keyDimension: 5, valueDimension: 3, addBiasKV: true,
      addZeroAttention: true)
    #expect(attention.stateDict().keys.contains("bias_k"))
    try expectMatchesPyTorch("mha_bias_zero", attention, expected: ["output", "weights"]) {
      input in
      let (output, weights) = attention(
        query: try input("query"), key: try input("key"), value: try input("value"),
        keyPaddingMask: .blocked(try input("key_padding_mask")))
      return [output, try #require(weights)]
    }
    let generator = RandomGenerator(seed: 6)
    let query = Tensor.randomNormal([3, 4], dtype: .float64, generator: generator)
    let key = Tensor.randomNormal([4, 5], dtype: .float64, generator: generator)
    let value = Tensor.randomNormal([4, 3], dtype: .float64, generator: generator)
    attention.convert(to: .float64)
    let result = gradientCheck(at: [query, key, value]) { inputs in
      attention(query: inputs[0], key: inputs[1], value: inputs[2], needWeights: false).output
    }
    #expect(result.passed, "\(result)")
    // The parameters' gradients, bias_k and bias_v among them, through self-attention.
    let selfAttention = MultiHeadAttention(
      embedDimension: 4, headCount: 2, addBiasKV: true, addZeroAttention: true, dtype: .float64,
      generator: generator)
    expectModuleGradients(
      selfAttention, Tensor.randomNormal([3, 2, 4], dtype: .float64, generator: generator))
  }

  @Test func postNormEncoderLayer() throws {
    // nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), time first, key padding mask.
    let layer = TransformerEncoderLayer(dModel: 8, headCount: 2, feedForwardSize: 16)
    try expectMatchesPyTorch("enc_post", layer, expected: ["output"]) { input in
      [
        layer(
          try input("input"), mask: nil, keyPaddingMask: .blocked(try input("key_padding_mask")))
      ]
    }
  }

  @Test func preNormGELUEncoderLayer() throws {
    // nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, activation="gelu", batch_first=True,
    // norm_first=True) with the float causal mask.
    let layer = TransformerEncoderLayer(
      dModel: 8, headCount: 4, feedForwardSize: 12, activation: .gelu, batchFirst: true,
      normFirst: true)
    try expectMatchesPyTorch("enc_pre_gelu", layer, expected: ["output"]) { input in
      [layer(try input("input"), mask: .additive(try input("mask")))]
    }
  }

  @Test func preNormGELUEncoderLayerWithTheCausalFlag() throws {
    // The same case as above, asked to be causal by flag instead of by mask: PyTorch's output
    // with the causal mask is what Nabla's `isCausal` must give.
    let layer = TransformerEncoderLayer(
      dModel: 8, headCount: 4, feedForwardSize: 12, activation: .gelu, batchFirst: true,
      normFirst: true)
    try expectMatchesPyTorch("enc_pre_gelu", layer, expected: ["output"]) { input in
      [layer(try input("input"), mask: nil, isCausal: true)]
    }
  }

  @Test func postNormGELUEncoderLayerWithHeadMasks() throws {
    // nn.TransformerEncoderLayer(6, 3, dim_feedforward=10, activation="gelu",
    // layer_norm_eps=1e-3, batch_first=True) with a boolean [N·h, L, L] mask.
    let layer = TransformerEncoderLayer(
      dModel: 6, headCount: 3, feedForwardSize: 10, activation: .gelu, layerNormEpsilon: 1e-3,
      batchFirst: true)
    try expectMatchesPyTorch("enc_post_gelu", layer, expected: ["output"]) { input in
      [layer(try input("input"), mask: .blocked(try input("mask")))]
    }
  }

  @Test func encoderLayerWithoutBiases() throws {
    // nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, norm_first=True, bias=False).
    let layer = TransformerEncoderLayer(
      dModel: 8, headCount: 2, feedForwardSize: 16, normFirst: true, bias: false)
    try expectMatchesPyTorch("enc_nobias", layer, expected: ["output"]) { input in
      [layer(try input("input"))]
    }
  }

  @Test func unbatchedEncoderLayer() throws {
    // nn.TransformerEncoderLayer(6, 2, dim_feedforward=8, norm_first=True) over one sequence
    // [L, d], with a boolean [L, L] mask and a boolean key padding mask [L].
    let layer = TransformerEncoderLayer(
      dModel: 6, headCount: 2, feedForwardSize: 8, normFirst: true)
    try expectMatchesPyTorch("enc_unbatched", layer, expected: ["output"]) { input in
      [
        layer(
          try input("input"), mask: .blocked(try input("mask")),
          keyPaddingMask: .blocked(try input("key_padding_mask")))
      ]
    }
  }

  @Test func encoderStack() throws {
    // nn.TransformerEncoder of two batch-first post-norm layers (8, 2, dim_feedforward=16) and a
    // final nn.LayerNorm(8), with a key padding mask.
    let encoder = TransformerEncoder(
      TransformerEncoderLayer(dModel: 8, headCount: 2, feedForwardSize: 16, batchFirst: true),
      count: 2, norm: LayerNorm([8]))
    try expectMatchesPyTorch("encoder", encoder, expected: ["output"]) { input in
      [
        encoder(
          try input("input"), mask: nil, keyPaddingMask: .blocked(try input("key_padding_mask")))
      ]
    }
  }

  @Test func postNormDecoderLayer() throws {
    // nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True) with the float
    // causal target mask and a memory key padding mask.
    let layer = TransformerDecoderLayer(
      dModel: 8, headCount: 2, feedForwardSize: 16, batchFirst: true)
    try expectMatchesPyTorch("dec_post", layer, expected: ["output"]) { input in
      [
        layer(
          try input("target"), memory: try input("memory"),
          targetMask: .additive(try input("target_mask")),
          memoryKeyPaddingMask: .blocked(try input("memory_key_padding_mask")))
      ]
    }
  }

  @Test func postNormDecoderLayerWithTheCausalFlag() throws {
    // The same case as above, with `targetIsCausal` in place of the causal target mask.
    let layer = TransformerDecoderLayer(
      dModel: 8, headCount: 2, feedForwardSize: 16, batchFirst: true)
    try expectMatchesPyTorch("dec_post", layer, expected: ["output"]) { input in
      [
        layer(
          try input("target"), memory: try input("memory"),
          memoryKeyPaddingMask: .blocked(try input("memory_key_padding_mask")),
          targetIsCausal: true)
      ]
    }
  }

  @Test func preNormGELUDecoderLayer() throws {
    // nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, activation="gelu", norm_first=True),
    // time first, with a target key padding mask and a boolean [T, S] memory mask.
    let layer = TransformerDecoderLayer(
      dModel: 8, headCount: 4, feedForwardSize: 12, activation: .gelu, normFirst: true)
    try expectMatchesPyTorch("dec_pre_gelu", layer, expected: ["output"]) { input in
      [
        layer(
          try input("target"), memory: try input("memory"),
          memoryMask: .blocked(try input("memory_mask")),
          targetKeyPaddingMask: .blocked(try input("target_key_padding_mask")))
      ]
    }
  }

  @Test func encoderDecoderTransformer() throws {
    // nn.Transformer(8, 2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
    // activation="gelu", layer_norm_eps=1e-3, batch_first=True, norm_first=True): source key
    // padding (also used for the memory) and the causal target mask.
    let model = Transformer(
      dModel: 8, headCount: 2, encoderLayerCount: 2, decoderLayerCount: 2, feedForwardSize: 16,
      activation: .gelu, layerNormEpsilon: 1e-3, batchFirst: true, normFirst: true)
    try expectMatchesPyTorch("transformer", model, expected: ["output"]) { input in
      let padding = AttentionMask.blocked(try input("source_key_padding_mask"))
      return [
        model(
          try input("source"), target: try input("target"),
          targetMask: .additive(try input("target_mask")), sourceKeyPaddingMask: padding,
          memoryKeyPaddingMask: padding)
      ]
    }
  }
}
