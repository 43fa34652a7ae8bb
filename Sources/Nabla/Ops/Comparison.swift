import CNablaKernels

// Comparisons give masks: tensors of the operands' dtype holding 1 where the comparison holds and
// 0 elsewhere, ready to multiply with (ReLU is a multiplication by such a mask). They are not
// differentiable and never require gradients.

extension Tensor {
  private static func compare(_ op: NablaBinaryOp, _ a: Tensor, _ b: Tensor, _ name: String)
    -> Tensor
  {
    broadcastKernel(op, a.detached(), b.detached(), name)
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
  public static func .== (a: Tensor, b: Double) -> Tensor { a .== a.scalarLike(b) }
  /// 1 where an element differs from `b`, else 0.
  public static func .!= (a: Tensor, b: Double) -> Tensor { a .!= a.scalarLike(b) }
  /// 1 where an element is less than `b`, else 0.
  public static func .< (a: Tensor, b: Double) -> Tensor { a .< a.scalarLike(b) }
  /// 1 where an element is at most `b`, else 0.
  public static func .<= (a: Tensor, b: Double) -> Tensor { a .<= a.scalarLike(b) }
  /// 1 where an element is greater than `b`, else 0.
  public static func .> (a: Tensor, b: Double) -> Tensor { a .> a.scalarLike(b) }
  /// 1 where an element is at least `b`, else 0.
  public static func .>= (a: Tensor, b: Double) -> Tensor { a .>= a.scalarLike(b) }

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
    if a.dtype == .float32 {
      nabla_where_f32(
        loopShape.count, loopShape, mask.f32, strides[0], a.f32, strides[1], b.f32, strides[2],
        result.f32)
    } else {
      nabla_where_f64(
        loopShape.count, loopShape, mask.f64, strides[0], a.f64, strides[1], b.f64, strides[2],
        result.f64)
    }
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
