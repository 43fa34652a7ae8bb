// Stacks of Transformer layers and the encoder-decoder Transformer, named as PyTorch's
// (layers.0.self_attn.in_proj_weight, norm.weight, encoder.layers.1..., decoder.norm.bias).

/// A stack of encoder layers with an optional final layer norm, as `torch.nn.TransformerEncoder`.
///
/// ```swift
/// let layer = TransformerEncoderLayer(dModel: 64, headCount: 4, batchFirst: true)
/// let encoder = TransformerEncoder(layer, count: 6)  // six copies of `layer`
/// let memory = encoder(source, isCausal: false)
/// ```
public final class TransformerEncoder: Module, @unchecked Sendable {
  /// The layers, applied in order (`layers.0`, `layers.1`, ...).
  public let layers: [TransformerEncoderLayer]
  /// The final layer norm, or nil.
  public let norm: LayerNorm?

  /// Creates a stack of the given layers.
  public init(layers: [TransformerEncoderLayer], norm: LayerNorm? = nil) {
    require(!layers.isEmpty, "TransformerEncoder: needs at least one layer")
    self.layers = layers
    self.norm = norm
  }

  /// Creates a stack of `count` copies of `layer` (same parameters at the start, as PyTorch's
  /// deep copies).
  public convenience init(_ layer: TransformerEncoderLayer, count: Int, norm: LayerNorm? = nil) {
    require(count > 0, "TransformerEncoder: count \(count) must be positive")
    self.init(layers: (0..<count).map { _ in layer.copy() }, norm: norm)
  }

  /// The stack applied to `input` without masks.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(input, mask: nil)
    }
  }

  /// The stack applied to `source`; the masks are passed to every layer (see
  /// `TransformerEncoderLayer`).
  public func callAsFunction(
    _ source: Tensor, mask: AttentionMask?, keyPaddingMask: AttentionMask? = nil,
    isCausal: Bool = false
  ) -> Tensor {
    reportingOutput {
      var x = source
      for layer in layers {
        x = layer(x, mask: mask, keyPaddingMask: keyPaddingMask, isCausal: isCausal)
      }
      return norm.map { $0(x) } ?? x
    }
  }
}

/// A stack of decoder layers with an optional final layer norm, as `torch.nn.TransformerDecoder`.
///
/// ```swift
/// let decoder = TransformerDecoder(TransformerDecoderLayer(dModel: 64, headCount: 4), count: 6)
/// let y = decoder(target, memory: memory, targetIsCausal: true)
/// ```
public final class TransformerDecoder: Module, @unchecked Sendable {
  /// The layers, applied in order.
  public let layers: [TransformerDecoderLayer]
  /// The final layer norm, or nil.
  public let norm: LayerNorm?

  /// Creates a stack of the given layers.
  public init(layers: [TransformerDecoderLayer], norm: LayerNorm? = nil) {
    require(!layers.isEmpty, "TransformerDecoder: needs at least one layer")
    self.layers = layers
    self.norm = norm
  }

  /// Creates a stack of `count` copies of `layer`.
  public convenience init(_ layer: TransformerDecoderLayer, count: Int, norm: LayerNorm? = nil) {
    require(count > 0, "TransformerDecoder: count \(count) must be positive")
    self.init(layers: (0..<count).map { _ in layer.copy() }, norm: norm)
  }

  /// The decoder needs a memory: call `callAsFunction(_:memory:...)`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      stop("TransformerDecoder: call it with a memory, decoder(target, memory: memory)")
    }
  }

  /// The stack applied to `target` attending to `memory`; the masks are passed to every layer
  /// (see `TransformerDecoderLayer`).
  public func callAsFunction(
    _ target: Tensor, memory: Tensor, targetMask: AttentionMask? = nil,
    memoryMask: AttentionMask? = nil, targetKeyPaddingMask: AttentionMask? = nil,
    memoryKeyPaddingMask: AttentionMask? = nil, targetIsCausal: Bool = false
  ) -> Tensor {
    reportingOutput {
      var x = target
      for layer in layers {
        x = layer(
          x, memory: memory, targetMask: targetMask, memoryMask: memoryMask,
          targetKeyPaddingMask: targetKeyPaddingMask, memoryKeyPaddingMask: memoryKeyPaddingMask,
          targetIsCausal: targetIsCausal)
      }
      return norm.map { $0(x) } ?? x
    }
  }
}

/// The encoder-decoder Transformer, as `torch.nn.Transformer`: an encoder of the source and a
/// decoder of the target attending to the encoder's output, each ending in a layer norm. All
/// matrices are re-initialized Xavier-uniform, as PyTorch does.
///
/// ```swift
/// let model = Transformer(dModel: 64, headCount: 4, encoderLayerCount: 2, decoderLayerCount: 2,
///                         batchFirst: true)
/// let causal = Transformer.squareSubsequentMask(target.shape[1])
/// let y = model(source, target: target, targetMask: .additive(causal))
/// ```
public final class Transformer: Module, @unchecked Sendable {
  /// The encoder (`encoder` in the state dict).
  public let encoder: TransformerEncoder
  /// The decoder (`decoder` in the state dict).
  public let decoder: TransformerDecoder

  /// Creates the model with PyTorch's defaults (dModel 512, 8 heads, 6 + 6 layers, 2048 hidden).
  public init(
    dModel: Int = 512, headCount: Int = 8, encoderLayerCount: Int = 6,
    decoderLayerCount: Int = 6, feedForwardSize: Int = 2048, dropout: Double = 0.1,
    activation: TransformerActivation = .relu, layerNormEpsilon: Double = 1e-5,
    batchFirst: Bool = false, normFirst: Bool = false, bias: Bool = true,
    dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    let settings = TransformerLayerSettings(
      dModel: dModel, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
      activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
      normFirst: normFirst, bias: bias, dtype: dtype, generator: generator)
    encoder = TransformerEncoder(
      TransformerEncoderLayer(settings: settings), count: encoderLayerCount,
      norm: settings.norm())
    decoder = TransformerDecoder(
      TransformerDecoderLayer(settings: settings), count: decoderLayerCount,
      norm: settings.norm())
    super.init()
    for parameter in parameters() where parameter.value.rank > 1 {
      parameter.initialize { shape, dtype in
        Initializer.xavierUniform(shape, dtype: dtype, generator: generator)
      }
    }
  }

  /// The model needs a target: call `callAsFunction(_:target:...)`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      stop("Transformer: call it with a target, model(source, target: target)")
    }
  }

  /// The decoder's output for `target` given the encoding of `source`, as PyTorch's
  /// `forward(src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask,
  /// tgt_key_padding_mask, memory_key_padding_mask)`.
  public func callAsFunction(
    _ source: Tensor, target: Tensor, sourceMask: AttentionMask? = nil,
    targetMask: AttentionMask? = nil, memoryMask: AttentionMask? = nil,
    sourceKeyPaddingMask: AttentionMask? = nil, targetKeyPaddingMask: AttentionMask? = nil,
    memoryKeyPaddingMask: AttentionMask? = nil, targetIsCausal: Bool = false
  ) -> Tensor {
    reportingOutput {
      let memory = encoder(source, mask: sourceMask, keyPaddingMask: sourceKeyPaddingMask)
      return decoder(
        target, memory: memory, targetMask: targetMask, memoryMask: memoryMask,
        targetKeyPaddingMask: targetKeyPaddingMask, memoryKeyPaddingMask: memoryKeyPaddingMask,
        targetIsCausal: targetIsCausal)
    }
  }

  /// The causal mask of PyTorch's `generate_square_subsequent_mask`: a [size, size] float
  /// tensor of 0 on and below the diagonal and −∞ above it, to pass as `.additive(mask)`.
  ///
  /// ```swift
  /// Transformer.squareSubsequentMask(3)  // [[0, −∞, −∞], [0, 0, −∞], [0, 0, 0]]
  /// ```
  public static func squareSubsequentMask(_ size: Int, dtype: DType = .float32) -> Tensor {
    var values = [Double](repeating: 0, count: size * size)
    for row in 0..<size {
      for column in (row + 1)..<Swift.max(size, row + 1) {
        values[row * size + column] = -.infinity
      }
    }
    return Tensor(values, shape: [size, size], dtype: dtype)
  }
}
