import CNablaKernels

extension Tensor {
  /// Layer normalization over the trailing axes, as PyTorch's `F.layer_norm`: each slice over the
  /// last `normalizedShape.count` axes is centered and scaled to unit (biased) variance, then
  /// multiplied by `weight` and shifted by `bias`. One recorded op, forward and backward each one
  /// pass of a fused kernel.
  ///
  /// ```swift
  /// let x = Tensor.randomNormal([16, 64, 128])
  /// let y = x.layerNorm(normalizedShape: [128], weight: Tensor.ones([128]), bias: nil)
  /// ```
  ///
  /// The input is [..., normalizedShape...].
  ///
  /// - Parameters:
  ///   - normalizedShape: The trailing shape normalized over.
  ///   - weight: The scale, of shape `normalizedShape`, or nil for none.
  ///   - bias: The shift, of shape `normalizedShape`, or nil for none.
  ///   - epsilon: Added to the variance before the square root.
  public func layerNorm(
    normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
    epsilon: Double = 1e-5
  ) -> Tensor {
    let input = self
    let count = normalizedShape.count
    require(
      input.rank >= count && Array(input.shape.suffix(count)) == normalizedShape,
      "layerNorm(\(describe(normalizedShape))): input of shape \(describe(input.shape)) does not "
        + "end in \(describe(normalizedShape))")
    require(
      input.dtype.supportsArithmetic,
      "layerNorm: the input must be float32 or float64, got \(input.dtype)")
    for (name, parameter) in [("weight", weight), ("bias", bias)] {
      guard let parameter else { continue }
      require(
        parameter.shape == normalizedShape && parameter.dtype == input.dtype,
        "layerNorm(\(describe(normalizedShape))): the \(name) must be \(input.dtype) of shape "
          + "\(describe(normalizedShape)), got \(parameter.dtype) of shape "
          + "\(describe(parameter.shape))")
    }
    let d = normalizedShape.reduce(1, *)
    let rows = d == 0 ? 0 : input.scalarCount / d
    let (x, w, b) = (input.detached(), weight?.detached(), bias?.detached())
    let output = Tensor(empty: input.shape, dtype: input.dtype)
    let mean = Tensor(empty: [rows], dtype: input.dtype)
    let rstd = Tensor(empty: [rows], dtype: input.dtype)
    func forward<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.layerNorm(
        rows, d, x.data(Scalar.self), w?.data(Scalar.self), b?.data(Scalar.self), epsilon,
        output.data(Scalar.self), mean.data(Scalar.self), rstd.data(Scalar.self))
    }
    input.dtype.isSingle ? forward(Float.self) : forward(Double.self)
    let inputs = [input] + [weight, bias].compactMap { $0 }
    let (hasWeight, hasBias) = (weight != nil, bias != nil)
    let needInput = input.requiresGrad
    return input.record("layerNorm", output, inputs) { g in
      let inputGradient = needInput ? Tensor(empty: x.shape, dtype: x.dtype) : nil
      let weightGradient = hasWeight ? Tensor(empty: normalizedShape, dtype: x.dtype) : nil
      let biasGradient = hasBias ? Tensor(empty: normalizedShape, dtype: x.dtype) : nil
      func backward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.layerNormBackward(
          rows, d, x.data(Scalar.self), w?.data(Scalar.self), mean.data(Scalar.self),
          rstd.data(Scalar.self), g.data(Scalar.self), inputGradient?.data(Scalar.self),
          weightGradient?.data(Scalar.self), biasGradient?.data(Scalar.self))
      }
      x.dtype.isSingle ? backward(Float.self) : backward(Double.self)
      return [inputGradient] + (hasWeight ? [weightGradient] : []) + (hasBias ? [biasGradient] : [])
    }
  }
}

/// Layer normalization over the trailing axes: `input.layerNorm(normalizedShape:weight:bias:epsilon:)`,
/// as a free function.
///
/// - Parameters:
///   - input: [..., normalizedShape...].
///   - normalizedShape: The trailing shape normalized over.
///   - weight: The scale, of shape `normalizedShape`, or nil for none.
///   - bias: The shift, of shape `normalizedShape`, or nil for none.
///   - epsilon: Added to the variance before the square root.
@available(
  *, deprecated,
  message: "use input.layerNorm(normalizedShape:weight:bias:epsilon:), a method as every other op"
)
public func layerNorm(
  _ input: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
  epsilon: Double = 1e-5
) -> Tensor {
  input.layerNorm(normalizedShape: normalizedShape, weight: weight, bias: bias, epsilon: epsilon)
}
