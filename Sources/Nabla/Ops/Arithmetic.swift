import CNablaKernels

// Binary arithmetic with NumPy/PyTorch broadcasting. Each op's backward sums the incoming
// gradient back to its operand's shape (`sumToShape`), the one place where broadcasting is undone.

extension Tensor {
  /// A scalar of this tensor's dtype, to combine with it by broadcasting.
  func scalarLike(_ value: Double) -> Tensor { Tensor(scalar: value, dtype: dtype) }

  /// Runs a binary kernel over the broadcast shape of `a` and `b`; records nothing.
  static func broadcastKernel(_ op: NablaBinaryOp, _ a: Tensor, _ b: Tensor, _ name: String)
    -> Tensor
  {
    requireMatching(a, b, name)
    let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape, op: name)
    let result = Tensor(empty: shape, dtype: a.dtype)
    // Equal shapes, or a one-element operand, are one flat loop: no strides to work out.
    let flat: [Int]? =
      a.shape == b.shape
      ? [1, 1]
      : (b.scalarCount == 1 && a.shape == shape)
        ? [1, 0]
        : (a.scalarCount == 1 && b.shape == shape) ? [0, 1] : nil
    let (loopShape, strides) =
      flat.map { ([result.scalarCount], [[$0[0]], [$0[1]]]) }
      ?? coalesce(
        shape, [broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape)])
    require(loopShape.count <= NABLA_MAX_RANK, "\(name): rank \(shape.count) is too large")
    func run<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.binary(
        op, loopShape.count, loopShape, a.data(Scalar.self), strides[0], b.data(Scalar.self),
        strides[1], result.data(Scalar.self))
    }
    a.dtype.isSingle ? run(Float.self) : run(Double.self)
    return result
  }

  /// Adds two tensors elementwise, broadcasting their shapes.
  public static func + (a: Tensor, b: Tensor) -> Tensor {
    let result = broadcastKernel(NABLA_ADD, a, b, "add")
    let (shapeA, shapeB) = (a.shape, b.shape)
    return a.record("add", result, [a, b]) { g in [g.sumToShape(shapeA), g.sumToShape(shapeB)] }
  }

  /// Subtracts two tensors elementwise, broadcasting their shapes.
  public static func - (a: Tensor, b: Tensor) -> Tensor {
    let result = broadcastKernel(NABLA_SUB, a, b, "subtract")
    let (shapeA, shapeB) = (a.shape, b.shape)
    return a.record("subtract", result, [a, b]) { g in
      [g.sumToShape(shapeA), (-g).sumToShape(shapeB)]
    }
  }

  /// Multiplies two tensors elementwise, broadcasting their shapes.
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    let result = broadcastKernel(NABLA_MUL, a, b, "multiply")
    let (x, y) = (a.detached(), b.detached())
    let (needA, needB) = (a.requiresGrad, b.requiresGrad)
    return a.record("multiply", result, [a, b]) { g in
      [needA ? (g * y).sumToShape(x.shape) : nil, needB ? (g * x).sumToShape(y.shape) : nil]
    }
  }

  /// Divides two tensors elementwise, broadcasting their shapes.
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    let result = broadcastKernel(NABLA_DIV, a, b, "divide")
    let (x, y, quotient) = (a.detached(), b.detached(), result)
    let (needA, needB) = (a.requiresGrad, b.requiresGrad)
    return a.record("divide", result, [a, b]) { g in
      [
        needA ? (g / y).sumToShape(x.shape) : nil,
        needB ? (-g * quotient / y).sumToShape(y.shape) : nil,
      ]
    }
  }

  /// Negates every element.
  public static prefix func - (x: Tensor) -> Tensor { x.unary(NABLA_NEG, "negate") }

  /// Adds a number to every element.
  public static func + (a: Tensor, b: Double) -> Tensor { a + a.scalarLike(b) }
  /// Adds a number to every element.
  public static func + (a: Double, b: Tensor) -> Tensor { b.scalarLike(a) + b }
  /// Subtracts a number from every element.
  public static func - (a: Tensor, b: Double) -> Tensor { a - a.scalarLike(b) }
  /// Subtracts every element from a number.
  public static func - (a: Double, b: Tensor) -> Tensor { b.scalarLike(a) - b }
  /// Multiplies every element by a number.
  public static func * (a: Tensor, b: Double) -> Tensor { a * a.scalarLike(b) }
  /// Multiplies every element by a number.
  public static func * (a: Double, b: Tensor) -> Tensor { b.scalarLike(a) * b }
  /// Divides every element by a number.
  public static func / (a: Tensor, b: Double) -> Tensor { a / a.scalarLike(b) }
  /// Divides a number by every element.
  public static func / (a: Double, b: Tensor) -> Tensor { b.scalarLike(a) / b }

  /// Adds `other` into this tensor (a new tensor is recorded; the variable is rebound).
  public static func += (a: inout Tensor, b: Tensor) { a = a + b }
  /// Subtracts `other` from this tensor.
  public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
  /// Multiplies this tensor by `other`.
  public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
  /// Divides this tensor by `other`.
  public static func /= (a: inout Tensor, b: Tensor) { a = a / b }

  /// Raises each element to the power of the matching element of `exponent` (broadcast).
  public func pow(_ exponent: Tensor) -> Tensor {
    let result = Tensor.broadcastKernel(NABLA_POW, self, exponent, "pow")
    let (x, y, power) = (detached(), exponent.detached(), result)
    let (needX, needY) = (requiresGrad, exponent.requiresGrad)
    return record("pow", result, [self, exponent]) { g in
      let dx = needX ? (g * y * x.pow(y - 1)).sumToShape(x.shape) : nil
      // d/dy x^y = x^y log x, taken as 0 where x == 0 (as PyTorch does).
      let logX = Tensor.where(x .== 0, x.scalarLike(0), x.log())
      let dy = needY ? (g * power * logX).sumToShape(y.shape) : nil
      return [dx, dy]
    }
  }

  /// Raises each element to a fixed power.
  ///
  /// ```swift
  /// Tensor([1, 2, 3]).pow(2)  // [1, 4, 9]
  /// ```
  public func pow(_ exponent: Double) -> Tensor {
    unary(NABLA_POW_SCALAR, "pow", exponent)
  }
}
