import CNablaKernels

/// How `gelu` evaluates the Gaussian CDF.
public enum GELUApproximation: Sendable {
  /// The exact form, x·Φ(x) with Φ from the error function.
  case none
  /// The tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
  case tanh
}

extension Tensor {
  /// max(0, x): the input times a 0/1 mask chosen by its sign.
  public func relu() -> Tensor { unary(NABLA_RELU, "relu") }

  /// x for positive x, `negativeSlope`·x otherwise.
  public func leakyRelu(negativeSlope: Double = 0.01) -> Tensor {
    unary(NABLA_LEAKY_RELU, "leakyRelu", negativeSlope)
  }

  /// x for positive x, `alpha`·(eˣ − 1) otherwise.
  public func elu(alpha: Double = 1) -> Tensor { unary(NABLA_ELU, "elu", alpha) }

  /// The Gaussian error linear unit, exact or with the tanh approximation.
  public func gelu(approximation: GELUApproximation = .none) -> Tensor {
    approximation == .none ? unary(NABLA_GELU, "gelu") : unary(NABLA_GELU_TANH, "gelu")
  }

  /// 1 / (1 + e⁻ˣ), computed without overflow for large |x|.
  public func sigmoid() -> Tensor { unary(NABLA_SIGMOID, "sigmoid") }

  /// The hyperbolic tangent.
  public func tanh() -> Tensor { unary(NABLA_TANH, "tanh") }

  /// log(1 + e^(βx)) / β, linear once βx exceeds `threshold` (as PyTorch's `softplus`).
  public func softplus(beta: Double = 1, threshold: Double = 20) -> Tensor {
    unary(NABLA_SOFTPLUS, "softplus", beta, threshold)
  }

  /// eˣ normalized to sum to 1 along `axis`; stable for very large or small logits.
  ///
  /// ```swift
  /// Tensor([1, 2, 3]).softmax()  // [0.0900, 0.2447, 0.6652]
  /// ```
  public func softmax(alongAxis axis: Int = -1) -> Tensor {
    softmaxFamily(isLog: false, axis: axis, name: "softmax")
  }

  /// The logarithm of `softmax`, computed directly as x − logsumexp(x) so it stays finite.
  public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
    softmaxFamily(isLog: true, axis: axis, name: "logSoftmax")
  }

  private func softmaxFamily(isLog: Bool, axis: Int, name: String) -> Tensor {
    requireFloatingPoint(name)
    let axis = normalizeAxis(axis, rank: rank, op: name)
    let (outer, size, inner) = outerAxisInner(shape, axis: axis)
    let result = Tensor(empty: shape, dtype: dtype)
    let flag: Int32 = isLog ? 1 : 0
    func forward<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.softmax(flag, outer, size, inner, data(Scalar.self), result.data(Scalar.self))
    }
    dtype.isSingle ? forward(Float.self) : forward(Double.self)
    return record(name, result, [self]) { g in
      let gradient = Tensor(empty: result.shape, dtype: result.dtype)
      func backward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.softmaxBackward(
          flag, outer, size, inner, result.data(Scalar.self), g.data(Scalar.self),
          gradient.data(Scalar.self))
      }
      result.dtype.isSingle ? backward(Float.self) : backward(Double.self)
      return [gradient]
    }
  }
}
