import CNablaKernels

extension Tensor {
  /// Multi-head self-attention without masks or dropout, from the packed projections: self is
  /// [N, L, 3E] with each position's query, key and value side by side. Head h attends with
  /// features h·d ..< (h+1)·d (d = E / heads) of each, and its output fills those columns of the
  /// [N, L, E] result: softmax(scale · Q_h·K_hᵀ)·V_h. The heads are read and written in place,
  /// never copied out or merged back, and the softmax is fused with the products.
  package func selfAttentionHeads(heads: Int, scale: Double) -> Tensor {
    require(
      rank == 3 && shape[2] % 3 == 0 && heads > 0 && (shape[2] / 3) % heads == 0,
      "selfAttentionHeads: packed projections of shape \(describe(shape)) are not [N, L, 3E] "
        + "with E divisible by \(heads) heads")
    require(
      dtype.supportsArithmetic,
      "selfAttentionHeads: the input must be float32 or float64, got \(dtype)")
    let (batch, length, width) = (shape[0], shape[1], shape[2] / 3)
    let qkv = detached()
    let weights = Tensor(empty: [batch, heads, length, length], dtype: dtype)
    let output = Tensor(empty: [batch, length, width], dtype: dtype)
    func forward<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.attentionHeads(
        batch, heads, length, width, scale, qkv.data(Scalar.self), weights.data(Scalar.self),
        output.data(Scalar.self))
    }
    dtype.isSingle ? forward(Float.self) : forward(Double.self)
    return record("selfAttentionHeads", output, [self]) { g in
      let gradient = Tensor(empty: qkv.shape, dtype: qkv.dtype)
      func backward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.attentionHeadsBackward(
          batch, heads, length, width, scale, qkv.data(Scalar.self), weights.data(Scalar.self),
          g.data(Scalar.self), gradient.data(Scalar.self))
      }
      qkv.dtype.isSingle ? backward(Float.self) : backward(Double.self)
      return [gradient]
    }
  }
}
