// Scaled dot-product attention as a function, and the masks it takes.
//
// softmax(Q·Kᵀ·scale + mask)·V: each output row is a convex combination of the rows of V, with
// weights that are non-negative and sum to 1 (or are all 0 for a query that may attend to no key).

/// Which query-key pairs take part in attention. PyTorch uses both boolean conventions (true
/// means "take part" for `scaled_dot_product_attention`, but "masked out" for
/// `MultiheadAttention`'s `attn_mask` and `key_padding_mask`), so the convention is named here.
///
/// Boolean masks are tensors of any dtype holding 0 and nonzero values. Every mask must
/// broadcast to the attention scores, of shape [..., queries, keys].
///
/// ```swift
/// .allowed(Tensor([1, 1, 0], shape: [1, 3]))    // the third key is ignored by every query
/// .blocked(paddingFlags)                        // PyTorch's key_padding_mask convention
/// .additive(Transformer.squareSubsequentMask(4)) // 0 or −∞, added to the scores
/// ```
public enum AttentionMask {
  /// Nonzero where the query may attend to the key (PyTorch SDPA's boolean `attn_mask`).
  case allowed(Tensor)
  /// Nonzero where the query may not attend to the key (PyTorch `MultiheadAttention`'s boolean
  /// `attn_mask` and `key_padding_mask`).
  case blocked(Tensor)
  /// Added to the scores before the softmax; −∞ excludes a pair (a float `attn_mask`).
  case additive(Tensor)

  /// The mask tensor, whatever its convention.
  public var tensor: Tensor {
    switch self {
    case .allowed(let mask), .blocked(let mask), .additive(let mask): mask
    }
  }

  /// The same convention with another tensor.
  func with(_ tensor: Tensor) -> AttentionMask {
    switch self {
    case .allowed: .allowed(tensor)
    case .blocked: .blocked(tensor)
    case .additive: .additive(tensor)
    }
  }

  /// The mask with `count` keys appended along its last axis that every query may attend to.
  func visibleKeysAppended(_ count: Int) -> AttentionMask {
    let visible: Double
    switch self {
    case .allowed: visible = 1
    case .blocked, .additive: visible = 0
    }
    return with(tensor.padded([(0, count)], value: visible))
  }

  /// The causal mask: query i may attend to keys 0...i (top-left aligned, as PyTorch's
  /// `is_causal`), as an `.allowed` mask of shape [queryCount, keyCount].
  public static func causal(queryCount: Int, keyCount: Int? = nil) -> AttentionMask {
    let keyCount = keyCount ?? queryCount
    var values = [Double](repeating: 0, count: queryCount * keyCount)
    for query in 0..<queryCount {
      for key in 0..<Swift.min(query + 1, keyCount) { values[query * keyCount + key] = 1 }
    }
    return .allowed(Tensor(values, shape: [queryCount, keyCount], dtype: .float32))
  }
}

/// Attention weights and their result, as returned by `scaledDotProductAttentionWithWeights`.
public struct AttentionOutput {
  /// softmax(Q·Kᵀ·scale + mask)·V, of shape [..., queries, valueSize].
  public var output: Tensor
  /// The weights applied to the value rows, [..., queries, keys] (after dropout, as PyTorch's
  /// `MultiheadAttention` returns them).
  public var weights: Tensor
}

/// Scaled dot-product attention, as `torch.nn.functional.scaled_dot_product_attention`:
/// softmax(Q·Kᵀ·scale + mask)·V over the last two axes, leading axes broadcasting as batches.
///
/// ```swift
/// let q = Tensor.randomNormal([2, 4, 5, 8])  // [batch, heads, queries, size]
/// let k = Tensor.randomNormal([2, 4, 7, 8]), v = Tensor.randomNormal([2, 4, 7, 16])
/// let y = scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)  // [2, 4, 5, 16]
/// ```
///
/// - Parameters:
///   - query: [..., queries, size].
///   - key: [..., keys, size].
///   - value: [..., keys, valueSize].
///   - mask: A mask broadcasting to the scores [..., queries, keys].
///   - keyPaddingMask: A mask of shape [batch, keys] (or [keys]) marking whole keys per batch
///     element, batch being the first axis of the scores.
///   - isCausal: Whether query i attends only to keys 0...i; combined with `mask` if both are
///     given.
///   - dropoutProbability: The chance of dropping each weight (scaling the rest by 1/(1 − p));
///     pass 0 outside training.
///   - scale: The factor on the scores; 1/√size by default.
///   - generator: The source of the dropout masks.
/// - Returns: The attention output; a query with no key to attend to gives zeros, not NaN.
public func scaledDotProductAttention(
  query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask? = nil,
  keyPaddingMask: AttentionMask? = nil, isCausal: Bool = false, dropoutProbability: Double = 0,
  scale: Double? = nil, generator: RandomGenerator = .global
) -> Tensor {
  scaledDotProductAttentionWithWeights(
    query: query, key: key, value: value, mask: mask, keyPaddingMask: keyPaddingMask,
    isCausal: isCausal, dropoutProbability: dropoutProbability, scale: scale,
    generator: generator
  ).output
}

/// Scaled dot-product attention that also returns the attention weights; see
/// `scaledDotProductAttention` for the parameters.
///
/// ```swift
/// let result = scaledDotProductAttentionWithWeights(query: q, key: k, value: v)
/// result.weights.sum(alongAxis: -1)  // ones
/// ```
public func scaledDotProductAttentionWithWeights(
  query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask? = nil,
  keyPaddingMask: AttentionMask? = nil, isCausal: Bool = false, dropoutProbability: Double = 0,
  scale: Double? = nil, generator: RandomGenerator = .global
) -> AttentionOutput {
  let name = "scaledDotProductAttention"
  require(
    query.rank >= 2 && key.rank >= 2 && value.rank >= 2,
    "\(name): query, key and value need at least two axes, got shapes \(describe(query.shape)), "
      + "\(describe(key.shape)) and \(describe(value.shape))")
  let size = query.shape[query.rank - 1]
  let keyCount = key.shape[key.rank - 2]
  require(
    key.shape[key.rank - 1] == size && value.shape[value.rank - 2] == keyCount,
    "\(name): query \(describe(query.shape)), key \(describe(key.shape)) and value "
      + "\(describe(value.shape)) do not fit [..., queries, size], [..., keys, size] and "
      + "[..., keys, valueSize]")
  require(
    dropoutProbability >= 0 && dropoutProbability <= 1,
    "\(name): dropoutProbability \(dropoutProbability) is outside [0, 1]")
  let factor = scale ?? 1 / Double(size).squareRoot()
  let sameBatch = query.rank == key.rank && query.shape.dropLast(2) == key.shape.dropLast(2)
  let scores =
    sameBatch && query.rank >= 2
    ? query.scaledMatmulTransposed(key, scale: factor) : query.matmul(key.transposed()) * factor
  var masks: [AttentionMask] = []
  if let mask { masks.append(mask) }
  if let keyPaddingMask {
    masks.append(keyPaddingMask.with(keyPaddingRows(keyPaddingMask.tensor, scores.shape, name)))
  }
  if isCausal { masks.append(.causal(queryCount: query.shape[query.rank - 2], keyCount: keyCount)) }
  return attend(
    scores: scores, value: value, masks: masks, dropoutProbability: dropoutProbability,
    generator: generator, name: name)
}

/// Reshapes a [batch, keys] (or [keys]) key-padding mask to broadcast to scores [batch, ..., keys].
func keyPaddingRows(_ mask: Tensor, _ scores: [Int], _ name: String) -> Tensor {
  let keyCount = scores[scores.count - 1]
  if mask.rank == 1 && mask.shape[0] == keyCount { return mask }
  require(
    mask.rank == 2 && scores.count >= 3 && mask.shape == [scores[0], keyCount],
    "\(name): key padding mask of shape \(describe(mask.shape)) is not [batch, keys] = "
      + "\(describe(scores.count >= 3 ? [scores[0], keyCount] : [keyCount])) for attention "
      + "scores of shape \(describe(scores))")
  return mask.reshaped([scores[0]] + [Int](repeating: 1, count: scores.count - 2) + [keyCount])
}

/// Whether a tensor of `shape` broadcasts to `target` without changing it.
private func broadcasts(_ shape: [Int], to target: [Int]) -> Bool {
  guard shape.count <= target.count else { return false }
  let offset = target.count - shape.count
  return shape.indices.allSatisfy { shape[$0] == 1 || shape[$0] == target[$0 + offset] }
}

/// softmax(scores + masks)·value with optional dropout on the weights. Masked pairs get weight
/// exactly 0; a row with every pair masked gets all-zero weights.
func attend(
  scores: Tensor, value: Tensor, masks: [AttentionMask], dropoutProbability: Double,
  generator: RandomGenerator, name: String
) -> AttentionOutput {
  let dtype = scores.dtype
  var logits = scores
  var blocked: Tensor?  // 1 where a pair is excluded, detached.
  func block(_ more: Tensor) { blocked = blocked.map { Tensor.maximum($0, more) } ?? more }
  for mask in masks {
    let tensor = mask.tensor
    require(
      broadcasts(tensor.shape, to: scores.shape),
      "\(name): mask of shape \(describe(tensor.shape)) does not broadcast to the attention "
        + "scores of shape \(describe(scores.shape))")
    let converted = tensor.detached().converted(to: dtype)
    switch mask {
    case .allowed: block(converted .== 0)
    case .blocked: block(converted .!= 0)
    case .additive:
      require(
        tensor.dtype.isFloatingPoint,
        "\(name): an additive mask must be floating point, got \(tensor.dtype)")
      logits = logits + tensor.converted(to: dtype)
      block(withoutGradients { logits .== -Double.infinity })
    }
  }
  var weights: Tensor
  if let blocked {
    let lowest = Tensor(scalar: -Double(Float.greatestFiniteMagnitude), dtype: dtype)
    let kept = 1 - blocked
    weights = Tensor.where(blocked, lowest, logits).softmax(alongAxis: -1) * kept
  } else {
    weights = logits.softmax(alongAxis: -1)
  }
  if dropoutProbability > 0 {
    let keep = 1 - dropoutProbability
    let dropMask =
      keep > 0
      ? Tensor.randomBernoulli(weights.shape, probability: keep, dtype: dtype, generator: generator)
        * (1 / keep)
      : Tensor.zeros(weights.shape, dtype: dtype)
    weights = weights * dropMask
  }
  return AttentionOutput(output: weights.matmul(value), weights: weights)
}
