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
    if dtype == .float32 {
      nabla_attention_heads_f32(
        batch, heads, length, width, scale, qkv.f32, weights.f32, output.f32)
    } else {
      nabla_attention_heads_f64(
        batch, heads, length, width, scale, qkv.f64, weights.f64, output.f64)
    }
    return record("selfAttentionHeads", output, [self]) { g in
      let gradient = Tensor(empty: qkv.shape, dtype: qkv.dtype)
      if qkv.dtype == .float32 {
        nabla_attention_heads_backward_f32(
          batch, heads, length, width, scale, qkv.f32, weights.f32, g.f32, gradient.f32)
      } else {
        nabla_attention_heads_backward_f64(
          batch, heads, length, width, scale, qkv.f64, weights.f64, g.f64, gradient.f64)
      }
      return [gradient]
    }
  }
}
