// Drawing category indices from weights: torch.multinomial, for sampling a language model's next
// token or a class from a softmax. Not differentiable: the result is int64 indices.

extension Tensor {
  /// Draws `sampleCount` category indices from each row of weights, as `torch.multinomial`.
  ///
  /// The tensor is `[K]` or `[N, K]`: K non-negative weights per row, which need not sum to one
  /// (probabilities, or a softmax's output). Category k is drawn with probability
  /// weight[k] / Σ weight. Without replacement, a drawn category leaves the row, so the indices
  /// of a row are distinct and `sampleCount` may be at most the number of categories whose weight
  /// is positive. The draws come from `generator`, so a seed fixes them.
  ///
  /// ```swift
  /// let probabilities = (logits / temperature).softmax(alongAxis: -1)   // [N, vocabulary]
  /// let next = probabilities.multinomial(sampleCount: 1)                // [N, 1], int64
  /// ```
  ///
  /// - Parameters:
  ///   - sampleCount: The number of indices to draw per row, at least 1.
  ///   - replacement: Whether a category can be drawn again (false by default, as PyTorch).
  ///   - generator: The source of the draws; the global generator by default.
  /// - Returns: An int64 tensor of `[sampleCount]` for a `[K]` input, `[N, sampleCount]` for
  ///   `[N, K]`.
  public func multinomial(
    sampleCount: Int, replacement: Bool = false, generator: RandomGenerator = .global
  ) -> Tensor {
    requireFloatingPoint("multinomial")
    require(
      rank == 1 || rank == 2,
      "multinomial: expected weights of shape [K] or [N, K], got \(describe(shape))")
    let categoryCount = shape[rank - 1]
    let rowCount = rank == 2 ? shape[0] : 1
    require(
      categoryCount > 0, "multinomial: weights of shape \(describe(shape)) have no categories")
    require(sampleCount > 0, "multinomial: sampleCount must be at least 1, got \(sampleCount)")
    let weights = [Double](self)
    var indices = [Int]()
    indices.reserveCapacity(rowCount * sampleCount)
    for row in 0..<rowCount {
      var rowWeights = Array(weights[row * categoryCount..<(row + 1) * categoryCount])
      let positive = checkedPositiveCount(rowWeights, row: row)
      require(
        replacement || sampleCount <= positive,
        "multinomial: cannot draw \(sampleCount) distinct categories without replacement from "
          + "row \(row) of \(describe(shape)), which has \(positive) with positive weight")
      for _ in 0..<sampleCount {
        let drawn = drawCategory(rowWeights, generator: generator)
        indices.append(drawn)
        if !replacement { rowWeights[drawn] = 0 }
      }
    }
    let resultShape = rank == 2 ? [rowCount, sampleCount] : [sampleCount]
    return Tensor(indices: indices, shape: resultShape)
  }

  /// The number of positive weights of `row`; stops on a negative, infinite or NaN weight, or a
  /// row without any positive one.
  private func checkedPositiveCount(_ row: [Double], row index: Int) -> Int {
    var positive = 0
    for (k, weight) in row.enumerated() {
      require(
        weight.isFinite && weight >= 0,
        "multinomial: weight \(weight) at category \(k) of row \(index) of \(describe(shape)) "
          + "is not finite and non-negative")
      if weight > 0 { positive += 1 }
    }
    require(
      positive > 0,
      "multinomial: row \(index) of weights \(describe(shape)) sums to zero")
    return positive
  }
}

/// One category drawn with probability proportional to its weight: the first whose running sum
/// exceeds a uniform draw over [0, Σ weights). A zero weight adds nothing, so it is never drawn.
private func drawCategory(_ weights: [Double], generator: RandomGenerator) -> Int {
  let total = weights.reduce(0, +)
  let target = generator.uniformDoubles(1)[0] * total
  var sum = 0.0
  var last = 0
  for (k, weight) in weights.enumerated() where weight > 0 {
    sum += weight
    if target < sum { return k }
    last = k
  }
  return last  // rounding left the target at the total: the last category that can be drawn
}
