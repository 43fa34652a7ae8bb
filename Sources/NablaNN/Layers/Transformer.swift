// The Transformer of "Attention is all you need", with PyTorch's module structure and parameter
// names (self_attn, multihead_attn, linear1, linear2, norm1..3), so state dicts move between them.

/// The activation of a Transformer layer's feed-forward block.
public enum TransformerActivation: Sendable {
  /// max(0, x), PyTorch's default.
  case relu
  /// The exact Gaussian error linear unit.
  case gelu

  func apply(_ x: Tensor) -> Tensor { self == .relu ? x.relu() : x.gelu() }
}

/// One encoder block, as `torch.nn.TransformerEncoderLayer`: self-attention, then a feed-forward
/// network (linear1, activation, dropout, linear2), each wrapped in a residual connection and a
/// layer norm, after the sum (post-norm, the default) or before the block (`normFirst`).
///
/// ```swift
/// let layer = TransformerEncoderLayer(dModel: 128, headCount: 4, feedForwardSize: 512)
/// let y = layer(Tensor.randomNormal([64, 16, 128]))  // [length, batch, dModel]
/// ```
public final class TransformerEncoderLayer: Module, TransformerLayer, @unchecked Sendable {
  // Properties are declared in PyTorch's order; `stateKeys` gives PyTorch's names where they
  // are not Swift's.
  /// The self-attention (`self_attn` in the state dict).
  public let selfAttention: MultiHeadAttention
  /// The feed-forward network's first layer, dModel to feedForwardSize.
  public let linear1: Linear
  let dropout: Dropout
  /// The feed-forward network's second layer, feedForwardSize to dModel.
  public let linear2: Linear
  /// The layer norm of the attention block.
  public let norm1: LayerNorm
  /// The layer norm of the feed-forward block.
  public let norm2: LayerNorm
  let dropout1: Dropout
  let dropout2: Dropout

  /// The activation between linear1 and linear2.
  public let activation: TransformerActivation
  /// Whether the layer norms come before each block (pre-norm) rather than after the sum.
  public let isNormFirst: Bool
  /// The settings the layer was made with, to make fresh copies of it.
  let settings: TransformerLayerSettings

  /// PyTorch's name of the self-attention.
  public override var stateKeys: [String: String] { ["selfAttention": "self_attn"] }

  /// Creates an encoder layer with PyTorch's defaults.
  ///
  /// - Parameters:
  ///   - dModel: The model size.
  ///   - headCount: The number of attention heads; must divide `dModel`.
  ///   - feedForwardSize: The hidden size of the feed-forward network.
  ///   - dropout: The dropout probability everywhere in the layer.
  ///   - activation: ReLU or GELU.
  ///   - layerNormEpsilon: The layer norms' epsilon.
  ///   - batchFirst: Whether sequences are [batch, length, dModel].
  ///   - normFirst: Pre-norm when true, post-norm (the paper's) when false.
  ///   - bias: Whether the linear layers and layer norms have biases.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values and of the dropout masks.
  public convenience init(
    dModel: Int, headCount: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1,
    activation: TransformerActivation = .relu, layerNormEpsilon: Double = 1e-5,
    batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true,
    dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    self.init(
      settings: TransformerLayerSettings(
        dModel: dModel, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
        activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
        normFirst: normFirst, bias: bias, dtype: dtype, generator: generator))
  }

  /// Creates the layer from the settings of its public initializer.
  init(settings: TransformerLayerSettings) {
    self.settings = settings
    selfAttention = settings.attention()
    (linear1, dropout, linear2) = settings.feedForward()
    norm1 = settings.norm()
    norm2 = settings.norm()
    dropout1 = settings.dropoutLayer()
    dropout2 = settings.dropoutLayer()
    activation = settings.activation
    isNormFirst = settings.normFirst
  }

  /// A new layer with the same settings and a copy of this one's parameters.
  public func copy() -> TransformerEncoderLayer { copied() }

  /// The layer applied to `source` without masks.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(input, mask: nil)
    }
  }

  /// The layer applied to `source`, as PyTorch's `forward(src, src_mask, src_key_padding_mask,
  /// is_causal)`.
  ///
  /// - Parameters:
  ///   - source: [length, batch, dModel] ([batch, length, dModel] if batch-first).
  ///   - mask: The self-attention mask, [length, length] or [batch·heads, length, length].
  ///   - keyPaddingMask: [batch, length], marking padding positions (`.blocked` for PyTorch's
  ///     boolean convention).
  ///   - isCausal: Whether position i attends only to positions 0...i.
  public func callAsFunction(
    _ source: Tensor, mask: AttentionMask?, keyPaddingMask: AttentionMask? = nil,
    isCausal: Bool = false
  ) -> Tensor {
    reportingOutput {
      func attentionBlock(_ x: Tensor) -> Tensor {
        dropout1(
          selfAttention(
            query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, needWeights: false,
            attentionMask: mask, isCausal: isCausal
          ).output)
      }
      let x = residual(source, norm1, attentionBlock)
      return residual(x, norm2) { dropout2(feedForward($0)) }
    }
  }
}

/// One decoder block, as `torch.nn.TransformerDecoderLayer`: self-attention over the target
/// (usually causal), cross-attention from the target to the encoder's output (`memory`), and a
/// feed-forward network, each with a residual connection and a layer norm (post- or pre-norm).
///
/// ```swift
/// let layer = TransformerDecoderLayer(dModel: 64, headCount: 4, batchFirst: true)
/// let y = layer(target, memory: memory, targetIsCausal: true)
/// ```
public final class TransformerDecoderLayer: Module, TransformerLayer, @unchecked Sendable {
  // Declared in PyTorch's order (see TransformerEncoderLayer).
  /// The self-attention over the target (`self_attn` in the state dict).
  public let selfAttention: MultiHeadAttention
  /// The cross-attention from the target to the memory (`multihead_attn` in the state dict).
  public let crossAttention: MultiHeadAttention
  /// The feed-forward network's first layer, dModel to feedForwardSize.
  public let linear1: Linear
  let dropout: Dropout
  /// The feed-forward network's second layer, feedForwardSize to dModel.
  public let linear2: Linear
  /// The layer norm of the self-attention block.
  public let norm1: LayerNorm
  /// The layer norm of the cross-attention block.
  public let norm2: LayerNorm
  /// The layer norm of the feed-forward block.
  public let norm3: LayerNorm
  let dropout1: Dropout
  let dropout2: Dropout
  let dropout3: Dropout

  /// The activation between linear1 and linear2.
  public let activation: TransformerActivation
  /// Whether the layer norms come before each block (pre-norm).
  public let isNormFirst: Bool
  let settings: TransformerLayerSettings

  /// PyTorch's names of the attentions.
  public override var stateKeys: [String: String] {
    ["selfAttention": "self_attn", "crossAttention": "multihead_attn"]
  }

  /// Creates a decoder layer with PyTorch's defaults; the parameters are as for
  /// `TransformerEncoderLayer`.
  public convenience init(
    dModel: Int, headCount: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1,
    activation: TransformerActivation = .relu, layerNormEpsilon: Double = 1e-5,
    batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true,
    dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    self.init(
      settings: TransformerLayerSettings(
        dModel: dModel, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
        activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
        normFirst: normFirst, bias: bias, dtype: dtype, generator: generator))
  }

  /// Creates the layer from the settings of its public initializer.
  init(settings: TransformerLayerSettings) {
    self.settings = settings
    selfAttention = settings.attention()
    crossAttention = settings.attention()
    (linear1, dropout, linear2) = settings.feedForward()
    norm1 = settings.norm()
    norm2 = settings.norm()
    norm3 = settings.norm()
    dropout1 = settings.dropoutLayer()
    dropout2 = settings.dropoutLayer()
    dropout3 = settings.dropoutLayer()
    activation = settings.activation
    isNormFirst = settings.normFirst
  }

  /// A new layer with the same settings and a copy of this one's parameters.
  public func copy() -> TransformerDecoderLayer { copied() }

  /// The decoder layer needs a memory: call `callAsFunction(_:memory:...)`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      stop("TransformerDecoderLayer: call it with a memory, layer(target, memory: memory)")
    }
  }

  /// The layer applied to `target` attending to `memory`, as PyTorch's `forward(tgt, memory,
  /// tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal)`.
  ///
  /// - Parameters:
  ///   - target: [T, batch, dModel] ([batch, T, dModel] if batch-first).
  ///   - memory: The encoder's output, [S, batch, dModel] (likewise).
  ///   - targetMask: The self-attention mask, [T, T] (or per batch and head).
  ///   - memoryMask: The cross-attention mask, [T, S].
  ///   - targetKeyPaddingMask: [batch, T].
  ///   - memoryKeyPaddingMask: [batch, S].
  ///   - targetIsCausal: Whether target position i attends only to positions 0...i.
  public func callAsFunction(
    _ target: Tensor, memory: Tensor, targetMask: AttentionMask? = nil,
    memoryMask: AttentionMask? = nil, targetKeyPaddingMask: AttentionMask? = nil,
    memoryKeyPaddingMask: AttentionMask? = nil, targetIsCausal: Bool = false
  ) -> Tensor {
    reportingOutput {
      func selfAttentionBlock(_ x: Tensor) -> Tensor {
        dropout1(
          selfAttention(
            query: x, key: x, value: x, keyPaddingMask: targetKeyPaddingMask, needWeights: false,
            attentionMask: targetMask, isCausal: targetIsCausal
          ).output)
      }
      func crossAttentionBlock(_ x: Tensor) -> Tensor {
        dropout2(
          crossAttention(
            query: x, key: memory, value: memory, keyPaddingMask: memoryKeyPaddingMask,
            needWeights: false, attentionMask: memoryMask
          ).output)
      }
      var x = residual(target, norm1, selfAttentionBlock)
      x = residual(x, norm2, crossAttentionBlock)
      return residual(x, norm3) { dropout3(feedForward($0)) }
    }
  }
}

/// What an encoder or decoder layer was made with, kept to make copies.
struct TransformerLayerSettings {
  var dModel: Int
  var headCount: Int
  var feedForwardSize: Int
  var dropout: Double
  var activation: TransformerActivation
  var layerNormEpsilon: Double
  var batchFirst: Bool
  var normFirst: Bool
  var bias: Bool
  var dtype: DType
  var generator: RandomGenerator

  func attention() -> MultiHeadAttention {
    MultiHeadAttention(
      embedDimension: dModel, headCount: headCount, dropout: dropout, bias: bias,
      batchFirst: batchFirst, dtype: dtype, generator: generator)
  }

  func norm() -> LayerNorm {
    LayerNorm([dModel], epsilon: layerNormEpsilon, bias: bias, dtype: dtype)
  }

  /// linear1 (dModel to feedForwardSize), its dropout, and linear2, made in PyTorch's order.
  func feedForward() -> (Linear, Dropout, Linear) {
    let linear1 = Linear(dModel, feedForwardSize, bias: bias, dtype: dtype, generator: generator)
    let dropout = dropoutLayer()
    return (
      linear1, dropout,
      Linear(feedForwardSize, dModel, bias: bias, dtype: dtype, generator: generator)
    )
  }

  func dropoutLayer() -> Dropout { Dropout(probability: dropout, generator: generator) }
}

/// What the encoder and decoder layers share: the settings they were made with, the self-attention,
/// the feed-forward network and where the layer norms go.
protocol TransformerLayer: Module {
  init(settings: TransformerLayerSettings)
  var settings: TransformerLayerSettings { get }
  var selfAttention: MultiHeadAttention { get }
  var linear1: Linear { get }
  var dropout: Dropout { get }
  var linear2: Linear { get }
  var activation: TransformerActivation { get }
  var isNormFirst: Bool { get }
}

extension TransformerLayer {
  /// A new layer with the same settings (in the parameters' current dtype), a copy of this one's
  /// parameters and the same training mode.
  func copied() -> Self {
    var settings = settings
    settings.dtype = selfAttention.outputProjection.weight.value.dtype
    let layer = Self(settings: settings)
    try! layer.loadStateDict(stateDict())
    layer.train(isTraining)
    return layer
  }

  /// linear2(dropout(activation(linear1(x)))), without the block's own dropout.
  func feedForward(_ x: Tensor) -> Tensor {
    linear2(dropout(activation.apply(linear1(x))))
  }

  /// `x` plus `block` in a residual connection with `norm`: after the sum (post-norm) or before
  /// the block (pre-norm, `isNormFirst`).
  func residual(_ x: Tensor, _ norm: LayerNorm, _ block: (Tensor) -> Tensor) -> Tensor {
    isNormFirst ? x + block(norm(x)) : norm(x + block(x))
  }
}
