// Vector norms and what is built on them: normalization to unit length, cosine similarity and
// pairwise distance, with PyTorch's semantics (`torch.linalg.vector_norm`, `F.normalize`,
// `F.cosine_similarity`, `F.pairwise_distance`). The gradient of a norm where the norm is zero
// is zero, as in PyTorch, instead of the 0/0 of the formula.

extension Tensor {
  /// The p-norm along `axes` (all axes when nil, which for a matrix is the Frobenius norm when
  /// p is 2): (Σ |x|ᵖ)^(1/p), the sum of magnitudes for p = 1, the largest magnitude for
  /// p = ∞, as `torch.linalg.vector_norm`.
  ///
  /// As in PyTorch, p = 0 counts the nonzero elements (its gradient is 0), p = −∞ is the
  /// smallest magnitude, and a negative p follows the formula, which is 0 where an element is.
  ///
  /// ```swift
  /// Tensor([3, -4]).norm()  // 5
  /// Tensor([3, -4]).norm(p: 1)  // 7
  /// Tensor([3, -4]).norm(p: .infinity)  // 4
  /// Tensor([3, 0, -4]).norm(p: 0)  // 2
  /// ```
  ///
  /// - Parameters:
  ///   - p: The order: any number, ±∞ included.
  ///   - axes: The axes to reduce; nil reduces all of them.
  ///   - keepingDims: Whether reduced axes stay, with size 1.
  public func norm(p: Double = 2, alongAxes axes: [Int]? = nil, keepingDims: Bool = false)
    -> Tensor
  {
    require(!p.isNaN, "norm: the order p must be a number, got \(p)")
    let resolved = resolveAxes(axes, "norm")
    if p == 1 { return abs().sum(alongAxes: resolved, keepingDims: keepingDims) }
    if p == .infinity { return abs().max(alongAxes: resolved, keepingDims: keepingDims) }
    if p == -.infinity { return abs().min(alongAxes: resolved, keepingDims: keepingDims) }
    if p == 0 {
      requireFloatingPoint("norm")
      let count = withoutGradients {
        (self .!= 0).converted(to: dtype).sum(alongAxes: resolved, keepingDims: keepingDims)
      }
      let (inputShape, inputType) = (shape, dtype)
      return record("norm", count, [self]) { _ in [Tensor.zeros(inputShape, dtype: inputType)] }
    }
    let kept = withoutGradients {
      (p == 2 ? squared() : abs().pow(p)).sum(alongAxes: resolved, keepingDims: true).pow(1 / p)
    }
    let result = keepingDims ? kept : kept.reshaped(reducedShape(resolved, keepingDims: false))
    let input = self
    return record("norm", result, [self]) { g in
      // d‖x‖/dx = sign(x)·|x|^(p−1) / ‖x‖^(p−1), and 0 where ‖x‖ is 0 (for a negative p,
      // wherever an element is 0).
      let zero = g.scalarLike(0)
      let scale = g.reshaped(kept.shape) / kept.pow(p - 1)
      var direction = p == 2 ? input : input.sign() * input.abs().pow(p - 1)
      if p < 1 { direction = Tensor.where(input .== 0, zero, direction) }  // not 0 · ∞
      return [direction * Tensor.where(kept .== 0, zero, scale)]
    }
  }

  /// The p-norm along one axis, as `norm(p:alongAxes:keepingDims:)`.
  public func norm(p: Double = 2, alongAxis axis: Int, keepingDims: Bool = false) -> Tensor {
    norm(p: p, alongAxes: [axis], keepingDims: keepingDims)
  }

  /// The tensor divided by its p-norm along `axis`, or by `epsilon` where the norm is smaller,
  /// as `F.normalize`.
  ///
  /// ```swift
  /// Tensor([3, 4], shape: [1, 2]).normalized()  // [[0.6, 0.8]]
  /// ```
  ///
  /// - Parameters:
  ///   - p: The order of the norm.
  ///   - axis: The axis along which each vector lies (PyTorch's default, 1).
  ///   - epsilon: The smallest divisor.
  public func normalized(p: Double = 2, alongAxis axis: Int = 1, epsilon: Double = 1e-12)
    -> Tensor
  {
    self / norm(p: p, alongAxis: axis, keepingDims: true).clamped(min: epsilon)
  }

  /// The cosine of the angle between `a` and `b` along `axis` (they broadcast), as
  /// `F.cosine_similarity`: each is divided by its norm, kept at least `epsilon`, and the
  /// products are summed.
  ///
  /// ```swift
  /// Tensor.cosineSimilarity(Tensor([1, 0], shape: [1, 2]), Tensor([1, 1], shape: [1, 2]))
  /// // [0.7071]
  /// ```
  ///
  /// - Parameters:
  ///   - a: The first vectors.
  ///   - b: The second vectors.
  ///   - axis: The axis along which the vectors lie (PyTorch's default, 1).
  ///   - epsilon: The smallest norm divided by.
  public static func cosineSimilarity(
    _ a: Tensor, _ b: Tensor, alongAxis axis: Int = 1, epsilon: Double = 1e-8
  ) -> Tensor {
    let shape = broadcastShape(a.shape, b.shape, op: "cosineSimilarity")
    let (x, y) = (a.expanded(to: shape), b.expanded(to: shape))
    func unit(_ v: Tensor) -> Tensor {
      v / v.norm(alongAxis: axis, keepingDims: true).clamped(min: epsilon)
    }
    return (unit(x) * unit(y)).sum(alongAxis: axis)
  }

  /// The p-norm distance between the rows of `a` and `b` along the last axis, with `epsilon`
  /// added to the difference, as `F.pairwise_distance`.
  ///
  /// - Parameters:
  ///   - a: The first vectors, `[N, D]` or `[D]`.
  ///   - b: The second vectors, broadcasting with `a`.
  ///   - p: The order of the norm.
  ///   - epsilon: Added to every difference, to keep the gradient finite.
  ///   - keepingDims: Whether the last axis stays, with size 1.
  public static func pairwiseDistance(
    _ a: Tensor, _ b: Tensor, p: Double = 2, epsilon: Double = 1e-6, keepingDims: Bool = false
  ) -> Tensor {
    (a - b + epsilon).norm(p: p, alongAxis: -1, keepingDims: keepingDims)
  }
}
