// Multi-head attention with PyTorch's parameters, layouts and names, so that state dicts move
// between the two.

/// Multi-head attention, as `torch.nn.MultiheadAttention`: the query, key and value are projected,
/// split into `headCount` heads of `embedDimension / headCount` features, attended per head with
/// scaled dot products, merged, and projected again.
///
/// The parameters have PyTorch's names and layouts: `in_proj_weight` [3E, E] (the query, key and
/// value projections stacked), or `q_proj_weight` [E, E], `k_proj_weight` [E, kdim] and
/// `v_proj_weight` [E, vdim] when the key or value size differs from E; `in_proj_bias` [3E];
/// `out_proj.weight` [E, E] and `out_proj.bias` [E]; with `addBiasKV`, `bias_k` and `bias_v`
/// [1, 1, E]. Sequences are [length, batch, E] unless `batchFirst`, or [length, E] without a
/// batch.
///
/// ```swift
/// let attention = MultiHeadAttention(embedDimension: 64, headCount: 8, batchFirst: true)
/// let x = Tensor.randomNormal([2, 10, 64])
/// let (y, weights) = attention(query: x, key: x, value: x)  // [2, 10, 64], [2, 10, 10]
/// ```
public final class MultiHeadAttention: Module, @unchecked Sendable {
  /// The stacked query, key and value projections, [3E, E] (`in_proj_weight`); nil when the
  /// key or value size differs from E.
  public let inProjectionWeight: Parameter?
  /// The query projection [E, E] (`q_proj_weight`), used when the key or value size differs.
  public let queryProjectionWeight: Parameter?
  /// The key projection [E, kdim] (`k_proj_weight`), used when the key or value size differs.
  public let keyProjectionWeight: Parameter?
  /// The value projection [E, vdim] (`v_proj_weight`), used when the key or value size differs.
  public let valueProjectionWeight: Parameter?
  /// The stacked query, key and value biases, [3E] (`in_proj_bias`), or nil without biases.
  public let inProjectionBias: Parameter?
  /// One more key, [1, 1, E] (`bias_k`), appended to every projected key sequence; nil
  /// without `addBiasKV`.
  public let keyBias: Parameter?
  /// One more value, [1, 1, E] (`bias_v`), appended to every projected value sequence; nil
  /// without `addBiasKV`.
  public let valueBias: Parameter?
  /// The output projection (`out_proj`), E to E.
  public let outputProjection: Linear

  /// The model size E.
  public let embedDimension: Int
  /// The number of heads h; each has E / h features.
  public let headCount: Int
  /// The size of the key's features (E unless given).
  public let keyDimension: Int
  /// The size of the value's features (E unless given).
  public let valueDimension: Int
  /// The dropout probability on the attention weights, applied in training mode.
  public let dropout: Double
  /// Whether sequences are [batch, length, E] rather than [length, batch, E].
  public let isBatchFirst: Bool
  /// Whether a key and a value of zeros are appended to every head's sequences (PyTorch's
  /// `add_zero_attn`), so that a query can attend to nothing.
  public let addsZeroAttention: Bool
  /// The source of the dropout masks.
  public let generator: RandomGenerator

  /// PyTorch's names of the projections.
  public override var stateKeys: [String: String] {
    [
      "inProjectionWeight": "in_proj_weight", "queryProjectionWeight": "q_proj_weight",
      "keyProjectionWeight": "k_proj_weight", "valueProjectionWeight": "v_proj_weight",
      "inProjectionBias": "in_proj_bias", "outputProjection": "out_proj", "keyBias": "bias_k",
      "valueBias": "bias_v",
    ]
  }

  /// Creates the layer with PyTorch's initialization: Xavier-uniform projections, zero biases,
  /// the output projection's weight as a `Linear`'s, and Xavier-normal `bias_k` and `bias_v`.
  ///
  /// - Parameters:
  ///   - embedDimension: The model size E; must be divisible by `headCount`.
  ///   - headCount: The number of heads.
  ///   - dropout: The dropout probability on the attention weights.
  ///   - bias: Whether the projections have biases.
  ///   - keyDimension: The key's feature size (`kdim`), E by default.
  ///   - valueDimension: The value's feature size (`vdim`), E by default.
  ///   - batchFirst: Whether sequences are [batch, length, E].
  ///   - addBiasKV: Whether to learn one more key and value (`bias_k`, `bias_v`) that every
  ///     query may attend to (PyTorch's `add_bias_kv`).
  ///   - addZeroAttention: Whether to append a key and a value of zeros to every head's
  ///     sequences (PyTorch's `add_zero_attn`).
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of initial values and dropout masks.
  public init(
    embedDimension: Int, headCount: Int, dropout: Double = 0, bias: Bool = true,
    keyDimension: Int? = nil, valueDimension: Int? = nil, batchFirst: Bool = false,
    addBiasKV: Bool = false, addZeroAttention: Bool = false, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    require(
      embedDimension > 0 && headCount > 0,
      "MultiHeadAttention: embedDimension \(embedDimension) and headCount \(headCount) must be "
        + "positive")
    require(
      embedDimension % headCount == 0,
      "MultiHeadAttention: embedDimension \(embedDimension) is not divisible by headCount "
        + "\(headCount)")
    require(
      dropout >= 0 && dropout <= 1, "MultiHeadAttention: dropout \(dropout) is outside [0, 1]")
    let e = embedDimension
    self.embedDimension = e
    self.headCount = headCount
    self.keyDimension = keyDimension ?? e
    self.valueDimension = valueDimension ?? e
    self.dropout = dropout
    self.isBatchFirst = batchFirst
    self.addsZeroAttention = addZeroAttention
    self.generator = generator
    func xavier(_ shape: [Int]) -> Parameter {
      Parameter(Initializer.xavierUniform(shape, dtype: dtype, generator: generator))
    }
    if self.keyDimension == e && self.valueDimension == e {
      inProjectionWeight = xavier([3 * e, e])
      (queryProjectionWeight, keyProjectionWeight, valueProjectionWeight) = (nil, nil, nil)
    } else {
      inProjectionWeight = nil
      queryProjectionWeight = xavier([e, e])
      keyProjectionWeight = xavier([e, self.keyDimension])
      valueProjectionWeight = xavier([e, self.valueDimension])
    }
    inProjectionBias = bias ? Parameter(Tensor.zeros([3 * e], dtype: dtype)) : nil
    outputProjection = Linear(e, e, bias: bias, dtype: dtype, generator: generator)
    func xavierNormal() -> Parameter {
      Parameter(Initializer.xavierNormal([1, 1, e], dtype: dtype, generator: generator))
    }
    (keyBias, valueBias) = addBiasKV ? (xavierNormal(), xavierNormal()) : (nil, nil)
    super.init()
    outputProjection.bias?.assign(Tensor.zeros([e], dtype: dtype))
  }

  /// Creates the layer with its sizes in PyTorch's order, unlabeled, as
  /// `nn.MultiheadAttention(64, 8)`: the same as `init(embedDimension:headCount:...)`.
  ///
  /// ```swift
  /// let attention = MultiHeadAttention(64, 8, batchFirst: true)
  /// ```
  public convenience init(
    _ embedDimension: Int, _ headCount: Int, dropout: Double = 0, bias: Bool = true,
    keyDimension: Int? = nil, valueDimension: Int? = nil, batchFirst: Bool = false,
    addBiasKV: Bool = false, addZeroAttention: Bool = false, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    self.init(
      embedDimension: embedDimension, headCount: headCount, dropout: dropout, bias: bias,
      keyDimension: keyDimension, valueDimension: valueDimension, batchFirst: batchFirst,
      addBiasKV: addBiasKV, addZeroAttention: addZeroAttention, dtype: dtype,
      generator: generator)
  }

  /// The projection weights and biases of the query, key and value, in that order.
  private func projections() -> [(weight: Tensor, bias: Tensor?)] {
    let e = embedDimension
    let weights =
      inProjectionWeight.map { $0.value.split(sizes: [e, e, e]) }
      ?? [queryProjectionWeight!.value, keyProjectionWeight!.value, valueProjectionWeight!.value]
    let biases = inProjectionBias.map { $0.value.split(sizes: [e, e, e]) }
    return (0..<3).map { (weights[$0], biases?[$0]) }
  }

  /// Self-attention of `input` with no mask; the output only.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(query: input, key: input, value: input, needWeights: false).output
    }
  }

  /// Attends from `query` to `key` and `value`, as PyTorch's `MultiheadAttention.forward`.
  ///
  /// - Parameters:
  ///   - query: [L, N, E] ([N, L, E] if `batchFirst`, [L, E] without a batch).
  ///   - key: [S, N, kdim] (likewise).
  ///   - value: [S, N, vdim] (likewise).
  ///   - keyPaddingMask: [N, S] (or [S]) marking keys to ignore per batch element; PyTorch's
  ///     boolean convention is `.blocked(mask)`.
  ///   - needWeights: Whether to return the attention weights.
  ///   - attentionMask: [L, S] or [N·h, L, S] (or [h, L, S] without a batch); PyTorch's boolean
  ///     convention is `.blocked(mask)`, its float masks `.additive(mask)`.
  ///   - averageAttentionWeights: Whether the returned weights are averaged over the heads
  ///     ([N, L, S]) rather than per head ([N, h, L, S]).
  ///   - isCausal: Whether query i attends only to keys 0...i (combined with `attentionMask`).
  /// - Returns: The output [L, N, E] (in the layout of `query`) and, when asked for, the weights.
  public func callAsFunction(
    query: Tensor, key: Tensor, value: Tensor, keyPaddingMask: AttentionMask? = nil,
    needWeights: Bool = true, attentionMask: AttentionMask? = nil,
    averageAttentionWeights: Bool = true, isCausal: Bool = false
  ) -> (output: Tensor, weights: Tensor?) {
    reportingCall { () -> (output: Tensor, weights: Tensor?) in
      let name = "MultiHeadAttention"
      let (e, h) = (embedDimension, headCount)
      let batched = query.rank == 3
      require(
        (query.rank == 3 || query.rank == 2) && key.rank == query.rank && value.rank == query.rank,
        "\(name): query, key and value must all be 3-D (batched) or 2-D, got shapes "
          + "\(describe(query.shape)), \(describe(key.shape)) and \(describe(value.shape))")
      // To [N, L, features].
      func batchFirstLayout(_ x: Tensor) -> Tensor {
        !batched ? x.unsqueezed(at: 0) : isBatchFirst ? x : x.transposed(0, 1)
      }
      // Self-attention (one tensor as query, key and value) is laid out once, so it stays one.
      let isSelfAttention = query.isIdentical(to: key) && key.isIdentical(to: value)
      let q = batchFirstLayout(query)
      let (k, v) = isSelfAttention ? (q, q) : (batchFirstLayout(key), batchFirstLayout(value))
      let (n, l, s) = (q.shape[0], q.shape[1], k.shape[1])
      require(
        q.shape[2] == e && k.shape[2] == keyDimension && v.shape[2] == valueDimension
          && k.shape[0] == n && v.shape[0] == n && v.shape[1] == s,
        "\(name)(E: \(e), kdim: \(keyDimension), vdim: \(valueDimension)): query "
          + "\(describe(query.shape)), key \(describe(key.shape)) and value "
          + "\(describe(value.shape)) do not fit (batchFirst: \(isBatchFirst))")

      if let packed = inProjectionWeight, attentionMask == nil, keyPaddingMask == nil, !isCausal,
        !needWeights, !isTraining || dropout == 0, isSelfAttention, keyBias == nil,
        !addsZeroAttention
      {
        // Self-attention with nothing masked or dropped: one product for the three projections,
        // and the heads attended in place in it.
        let qkv = q.linear(weight: packed.value, bias: inProjectionBias?.value)
        let output = outputProjection(
          qkv.selfAttentionHeads(heads: h, scale: 1 / Double(e / h).squareRoot()))
        return (
          !batched ? output.squeezed(axes: [0]) : isBatchFirst ? output : output.transposed(0, 1),
          nil
        )
      }
      var projected = zip([q, k, v], projections()).map { input, projection -> Tensor in
        let biased = input.linear(weight: projection.weight, bias: projection.bias)
        // [N, length, E] -> [N, h, length, E / h].
        return biased.reshaped([n, biased.shape[1], h, e / h]).permuted([0, 2, 1, 3])
      }
      let extraKeys = appendExtraKeys(to: &projected, batch: n)
      var masks: [AttentionMask] = []
      if let attentionMask {
        masks.append(attentionMask.with(headMask(attentionMask.tensor, n, l, s, batched)))
      }
      if let keyPaddingMask {
        let padding = keyPaddingMask.tensor
        require(
          padding.shape == (batched ? [n, s] : [s]),
          "\(name): key padding mask of shape \(describe(padding.shape)) is not "
            + "\(describe(batched ? [n, s] : [s])) (batch, source length)")
        masks.append(keyPaddingMask.with(padding.reshaped([n, 1, 1, s])))
      }
      if isCausal { masks.append(.causal(queryCount: l, keyCount: s)) }
      if extraKeys > 0 { masks = masks.map { $0.visibleKeysAppended(extraKeys) } }
      let attended = attend(
        scores: projected[0].scaledMatmulTransposed(
          projected[1], scale: 1 / Double(e / h).squareRoot()),
        value: projected[2], masks: masks, dropoutProbability: isTraining ? dropout : 0,
        generator: generator, name: name)
      // [N, h, L, E / h] -> [N, L, E], then the output projection.
      var output = outputProjection(attended.output.permuted([0, 2, 1, 3]).reshaped([n, l, e]))
      output =
        !batched ? output.squeezed(axes: [0]) : isBatchFirst ? output : output.transposed(0, 1)
      guard needWeights else { return (output, nil) }
      var weights = attended.weights
      if averageAttentionWeights { weights = weights.mean(alongAxis: 1) }
      return (output, batched ? weights : weights.squeezed(axes: [0]))
    } output: {
      $0.output
    }
  }

  /// Appends the extra keys and values every query may attend to, bias_k and bias_v and then
  /// zeros, to the projected keys and values ([N, h, S, E / h], entries 1 and 2 of `projected`);
  /// returns how many were appended.
  private func appendExtraKeys(to projected: inout [Tensor], batch n: Int) -> Int {
    let (e, h) = (embedDimension, headCount)
    var extraKeys = 0
    if let keyBias, let valueBias {
      for (index, bias) in [(1, keyBias), (2, valueBias)] {
        let row = bias.value.reshaped([1, h, 1, e / h]).expanded(to: [n, h, 1, e / h])
        projected[index] = Tensor(concatenating: [projected[index], row], alongAxis: 2)
      }
      extraKeys += 1
    }
    if addsZeroAttention {
      let zeros = Tensor.zeros([n, h, 1, e / h], dtype: projected[1].dtype)
      for index in [1, 2] {
        projected[index] = Tensor(concatenating: [projected[index], zeros], alongAxis: 2)
      }
      extraKeys += 1
    }
    return extraKeys
  }

  /// An attention mask [L, S] or [N·h, L, S] (or [h, L, S] unbatched) as [N or 1, h or 1, L, S].
  private func headMask(_ mask: Tensor, _ n: Int, _ l: Int, _ s: Int, _ batched: Bool) -> Tensor {
    let h = headCount
    if mask.shape == [l, s] { return mask }
    require(
      mask.shape == [batched ? n * h : h, l, s],
      "MultiHeadAttention: attention mask of shape \(describe(mask.shape)) is neither "
        + "\(describe([l, s])) (target, source) nor \(describe([batched ? n * h : h, l, s])) "
        + "(\(batched ? "batch·heads" : "heads"), target, source)")
    return mask.reshaped([batched ? n : 1, h, l, s])
  }
}
