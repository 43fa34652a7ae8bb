import CNablaKernels

// Unary elementwise functions. The forward and derivative of each live together in the kernel
// layer (nabla_unary / nabla_unary_backward); `unary` wires one to the tape.

extension Tensor {
  /// Applies a unary kernel and records its backward, which needs the input and the output.
  func unary(_ op: NablaUnaryOp, _ name: String, _ p1: Double = 0, _ p2: Double = 0) -> Tensor {
    requireFloatingPoint(name)
    let result = Tensor(empty: shape, dtype: dtype)
    func forward<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.unary(op, scalarCount, data(Scalar.self), result.data(Scalar.self), p1, p2)
    }
    dtype.isSingle ? forward(Float.self) : forward(Double.self)
    let input = detached()
    return record(name, result, [self]) { g in
      let gradient = Tensor(empty: input.shape, dtype: input.dtype)
      func backward<Scalar: KernelScalar>(_: Scalar.Type) {
        Scalar.kernels.unaryBackward(
          op, input.scalarCount, input.data(Scalar.self), result.data(Scalar.self),
          g.data(Scalar.self), gradient.data(Scalar.self), p1, p2)
      }
      input.dtype.isSingle ? backward(Float.self) : backward(Double.self)
      return [gradient]
    }
  }

  /// e raised to each element.
  public func exp() -> Tensor { unary(NABLA_EXP, "exp") }
  /// The natural logarithm of each element.
  public func log() -> Tensor { unary(NABLA_LOG, "log") }
  /// The square root of each element.
  public func sqrt() -> Tensor { unary(NABLA_SQRT, "sqrt") }
  /// The reciprocal of the square root of each element.
  public func rsqrt() -> Tensor { unary(NABLA_RSQRT, "rsqrt") }
  /// The absolute value of each element (gradient 0 at 0, as PyTorch).
  public func abs() -> Tensor { unary(NABLA_ABS, "abs") }
  /// -1, 0 or 1 by the sign of each element; its gradient is zero.
  public func sign() -> Tensor { unary(NABLA_SIGN, "sign") }
  /// Each element squared.
  public func squared() -> Tensor { unary(NABLA_POW_SCALAR, "squared", 2) }

  /// Limits each element to `[low, high]`; either bound may be omitted. The gradient passes
  /// where the input lies within the bounds (bounds included), as PyTorch's `clamp`.
  public func clamped(min low: Double? = nil, max high: Double? = nil) -> Tensor {
    require(low != nil || high != nil, "clamped: give at least one of min and max")
    return unary(NABLA_CLAMP, "clamped", low ?? -.infinity, high ?? .infinity)
  }

  /// The elementwise larger of two tensors (broadcast); at ties the gradient is split evenly.
  public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    extremum(NABLA_MAXIMUM, a, b, "maximum")
  }

  /// The elementwise smaller of two tensors (broadcast); at ties the gradient is split evenly.
  public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    extremum(NABLA_MINIMUM, a, b, "minimum")
  }

  private static func extremum(_ op: NablaBinaryOp, _ a: Tensor, _ b: Tensor, _ name: String)
    -> Tensor
  {
    let result = broadcastKernel(op, a, b, name)
    let (x, y) = (a.detached(), b.detached())
    return a.record(name, result, [a, b]) { g in
      let wins = op == NABLA_MAXIMUM ? x .> y : x .< y
      let share = wins + (x .== y) * 0.5
      return [(g * share).sumToShape(x.shape), (g * (1 - share)).sumToShape(y.shape)]
    }
  }
}
