import CNablaKernels

// Comparisons give masks: tensors of the operands' dtype holding 1 where the comparison holds and
// 0 elsewhere, ready to multiply with (ReLU is a multiplication by such a mask). They are not
// differentiable and never require gradients. Integer and bool tensors compare exactly, giving
// int64 masks; an integer tensor compared with a floating-point one is converted to the latter's
// dtype first, as PyTorch promotes it (`predictions .== labels` with int64 labels is the accuracy
// line). Half-precision tensors compare in float32 and give masks of their own type.

extension Tensor {
  private static func compare(_ op: NablaBinaryOp, _ a: Tensor, _ b: Tensor, _ name: String)
    -> Tensor
  {
    let type: DType
    switch (a.dtype.isFloatingPoint, b.dtype.isFloatingPoint) {
    case (false, false):
      return compareIntegers(op, a.converted(to: .int64), b.converted(to: .int64), name)
    case (true, false): type = a.dtype
    case (false, true): type = b.dtype
    case (true, true): type = comparedType(a.dtype, b.dtype)
    }
    // Half-precision operands compare in float32, exactly, and give a mask of their own type.
    let compute = type.comparisonType
    func operand(_ x: Tensor) -> Tensor {
      x.dtype.isFloatingPoint ? x.detached() : x.converted(to: type)
    }
    return broadcastKernel(
      op, operand(a).converted(to: compute), operand(b).converted(to: compute), name
    ).converted(to: type)
  }

  /// The type two floating-point operands compare in, as PyTorch promotes them: a half-precision
  /// type meets the other operand's type, and float16 with bfloat16 meet in float32. Two
  /// different arithmetic types are left to the kernel, which asks for a conversion.
  private static func comparedType(_ a: DType, _ b: DType) -> DType {
    switch (a.supportsArithmetic, b.supportsArithmetic) {
    case (true, _): a
    case (false, true): b
    case (false, false): a == b ? a : .float32
    }
  }

  /// Compares two integer tensors element by element, exactly, broadcasting their shapes.
  private static func compareIntegers(
    _ op: NablaBinaryOp, _ a: Tensor, _ b: Tensor, _ name: String
  ) -> Tensor {
    let shape = broadcastShape(a.shape, b.shape, op: name)
    let (left, right) = (
      a.materialize(shape: shape, strides: broadcastStrides(a.shape, to: shape)),
      b.materialize(shape: shape, strides: broadcastStrides(b.shape, to: shape))
    )
    let holds: (Int64, Int64) -> Bool =
      switch op {
      case NABLA_EQ: (==)
      case NABLA_NE: (!=)
      case NABLA_LT: (<)
      case NABLA_LE: (<=)
      case NABLA_GT: (>)
      default: (>=)
      }
    let result = Tensor(empty: shape, dtype: .int64)
    for index in 0..<result.scalarCount {
      result.i64[index] = holds(left.i64[index], right.i64[index]) ? 1 : 0
    }
    return withExtendedLifetime((left, right)) { result }
  }

  /// `value` as a one-element tensor to compare this one with: of this dtype when it is floating
  /// point, else int64, or float64 when `value` has a fraction.
  private func comparand(_ value: Double) -> Tensor {
    if dtype.isFloatingPoint { return scalarLike(value) }
    return Tensor(scalar: value, dtype: value.rounded() == value ? .int64 : .float64)
  }

  /// 1 where `a == b`, else 0 (broadcast).
  public static func .== (a: Tensor, b: Tensor) -> Tensor { compare(NABLA_EQ, a, b, "equal") }
  /// 1 where `a != b`, else 0 (broadcast).
  public static func .!= (a: Tensor, b: Tensor) -> Tensor { compare(NABLA_NE, a, b, "notEqual") }
  /// 1 where `a < b`, else 0 (broadcast).
  public static func .< (a: Tensor, b: Tensor) -> Tensor { compare(NABLA_LT, a, b, "less") }
  /// 1 where `a <= b`, else 0 (broadcast).
  public static func .<= (a: Tensor, b: Tensor) -> Tensor {
    compare(NABLA_LE, a, b, "lessOrEqual")
  }
  /// 1 where `a > b`, else 0 (broadcast).
  public static func .> (a: Tensor, b: Tensor) -> Tensor { compare(NABLA_GT, a, b, "greater") }
  /// 1 where `a >= b`, else 0 (broadcast).
  public static func .>= (a: Tensor, b: Tensor) -> Tensor {
    compare(NABLA_GE, a, b, "greaterOrEqual")
  }

  /// 1 where an element equals `b`, else 0.
  public static func .== (a: Tensor, b: Double) -> Tensor { a .== a.comparand(b) }
  /// 1 where an element differs from `b`, else 0.
  public static func .!= (a: Tensor, b: Double) -> Tensor { a .!= a.comparand(b) }
  /// 1 where an element is less than `b`, else 0.
  public static func .< (a: Tensor, b: Double) -> Tensor { a .< a.comparand(b) }
  /// 1 where an element is at most `b`, else 0.
  public static func .<= (a: Tensor, b: Double) -> Tensor { a .<= a.comparand(b) }
  /// 1 where an element is greater than `b`, else 0.
  public static func .> (a: Tensor, b: Double) -> Tensor { a .> a.comparand(b) }
  /// 1 where an element is at least `b`, else 0.
  public static func .>= (a: Tensor, b: Double) -> Tensor { a .>= a.comparand(b) }

  /// Picks from `a` where `condition` is nonzero and from `b` elsewhere; all three broadcast.
  ///
  /// ```swift
  /// let x = Tensor([-1, 2, -3])
  /// Tensor.where(x .> 0, x, Tensor.zeros([3]))  // [0, 2, 0]
  /// ```
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    requireMatching(a, b, "where")
    let mask = condition.converted(to: a.dtype).detached()
    let shape = broadcastShape(
      broadcastShape(mask.shape, a.shape, op: "where"), b.shape, op: "where")
    let result = Tensor(empty: shape, dtype: a.dtype)
    let (loopShape, strides) = coalesce(
      shape,
      [mask.shape, a.shape, b.shape].map { broadcastStrides($0, to: shape) })
    require(loopShape.count <= NABLA_MAX_RANK, "where: rank \(shape.count) is too large")
    func run<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.select(
        loopShape.count, loopShape, mask.data(Scalar.self), strides[0], a.data(Scalar.self),
        strides[1], b.data(Scalar.self), strides[2], result.data(Scalar.self))
    }
    a.dtype.isSingle ? run(Float.self) : run(Double.self)
    let (shapeA, shapeB) = (a.shape, b.shape)
    return a.record("where", result, [a, b]) { g in
      let zero = g.scalarLike(0)
      return [
        Tensor.where(mask, g, zero).sumToShape(shapeA),
        Tensor.where(mask, zero, g).sumToShape(shapeB),
      ]
    }
  }
}
