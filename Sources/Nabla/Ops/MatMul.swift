import CNablaKernels

extension Tensor {
  /// The matrix product with PyTorch's `matmul` rules: 1-D · 1-D is a dot product; a 1-D
  /// operand becomes a row (left) or column (right) vector whose axis is removed afterwards;
  /// operands of rank 3 and more are stacks of matrices whose batch dimensions broadcast.
  ///
  /// ```swift
  /// let a = Tensor.ones([4, 10]), b = Tensor.ones([10, 5])
  /// a.matmul(b).shape  // [4, 5]
  /// ```
  public func matmul(_ other: Tensor) -> Tensor {
    Tensor.requireMatching(self, other, "matmul")
    require(
      rank >= 1 && other.rank >= 1,
      "matmul: both operands need at least one dimension, got shapes \(describe(shape)) and "
        + "\(describe(other.shape))")
    let a = rank == 1 ? unsqueezed(at: 0) : self
    let b = other.rank == 1 ? other.unsqueezed(at: 1) : other
    let (k, k2) = (a.shape[a.rank - 1], b.shape[b.rank - 2])
    require(
      k == k2,
      "matmul: shapes \(describe(shape)) and \(describe(other.shape)) cannot be multiplied "
        + "(\(k) != \(k2))")
    // A stack of matrices times one matrix is one product of the stacked rows (B is not
    // repeated over the stack, and its gradient is one product too).
    var product =
      a.rank > 2 && b.rank == 2
      ? Tensor.batchedMatmul(a.reshaped([-1, k]), b).reshaped(
        Array(a.shape.dropLast()) + [b.shape[1]])
      : Tensor.batchedMatmul(a, b)
    if other.rank == 1 { product = product.squeezed(axes: [-1]) }
    if rank == 1 { product = product.squeezed(axes: [product.rank == 1 ? 0 : -2]) }
    return product
  }

  /// A · B for operands of rank 2 or more, broadcasting the batch dimensions.
  private static func batchedMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let (m, k, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 1])
    let batch = broadcastShape(
      Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "matmul")
    let left = a.expanded(to: batch + [m, k]).detached()
    let right = b.expanded(to: batch + [k, n]).detached()
    let result = Tensor(empty: batch + [m, n], dtype: a.dtype)
    gemmBatched(left, false, right, false, into: result, m: m, n: n, k: k)
    return a.record("matmul", result, [a, b]) { g in
      // dA = g · Bᵀ and dB = Aᵀ · g, per batch, summed back over broadcast batch dims.
      var gradients: [Tensor?] = [nil, nil]
      if a.requiresGrad {
        let gradient = Tensor(empty: batch + [m, k], dtype: a.dtype)
        gemmBatched(g, false, right, true, into: gradient, m: m, n: k, k: n)
        gradients[0] = gradient.sumToShape(a.shape)
      }
      if b.requiresGrad {
        let gradient = Tensor(empty: batch + [k, n], dtype: a.dtype)
        gemmBatched(left, true, g, false, into: gradient, m: k, n: n, k: m)
        gradients[1] = gradient.sumToShape(b.shape)
      }
      return gradients
    }
  }

  /// scale · A · Bᵀ for A [..., m, k] and B [..., n, k] with the same batch shape, without
  /// copying the transpose: the scaled scores Q·Kᵀ/√d of attention.
  package func scaledMatmulTransposed(_ other: Tensor, scale: Double) -> Tensor {
    Tensor.requireMatching(self, other, "scaledMatmulTransposed")
    require(
      rank >= 2 && other.rank == rank && shape.dropLast(2) == other.shape.dropLast(2)
        && shape[rank - 1] == other.shape[rank - 1],
      "scaledMatmulTransposed: shapes \(describe(shape)) and \(describe(other.shape)) are not "
        + "[..., m, k] and [..., n, k] with the same batch")
    let (m, k, n) = (shape[rank - 2], shape[rank - 1], other.shape[rank - 2])
    let batch = Array(shape.dropLast(2))
    let (a, b) = (detached(), other.detached())
    let result = Tensor(empty: batch + [m, n], dtype: dtype)
    Tensor.gemmBatched(a, false, b, true, into: result, m: m, n: n, k: k, alpha: scale)
    return record("matmulTransposed", result, [self, other]) { g in
      // d(A) = scale · g · B and d(B) = scale · gᵀ · A, per batch.
      var gradients: [Tensor?] = [nil, nil]
      if self.requiresGrad {
        gradients[0] = Tensor(empty: a.shape, dtype: a.dtype)
        Tensor.gemmBatched(g, false, b, false, into: gradients[0]!, m: m, n: k, k: n, alpha: scale)
      }
      if other.requiresGrad {
        gradients[1] = Tensor(empty: b.shape, dtype: b.dtype)
        Tensor.gemmBatched(g, true, a, false, into: gradients[1]!, m: n, n: k, k: m, alpha: scale)
      }
      return gradients
    }
  }

  /// result[i] = alpha · op(x[i]) · op(y[i]) for every matrix i of the batch; op(x) is m x k:
  /// a stack of products, by the kernels' gemmBatched.
  private static func gemmBatched(
    _ x: Tensor, _ transposeX: Bool, _ y: Tensor, _ transposeY: Bool, into result: Tensor,
    m: Int, n: Int, k: Int, alpha: Double = 1
  ) {
    let count = result.scalarCount / Swift.max(m * n, 1)
    let (ta, tb): (Int32, Int32) = (transposeX ? 1 : 0, transposeY ? 1 : 0)
    let (lda, ldb) = (transposeX ? m : k, transposeY ? k : n)
    func run<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.gemmBatched(
        count, ta, tb, m, n, k, Scalar(alpha), x.data(Scalar.self), m * k, lda,
        y.data(Scalar.self), k * n, ldb, 0, result.data(Scalar.self), m * n, n)
    }
    result.dtype.isSingle ? run(Float.self) : run(Double.self)
  }
}

extension Tensor {
  /// x·Wᵀ + b over the last axis of this tensor (x), as one recorded op (PyTorch's `F.linear`): the bias is
  /// written into the result first and the matrix product added onto it, and the backward runs
  /// three matrix products without copying a transpose.
  ///
  /// ```swift
  /// let y = Tensor.ones([32, 784]).linear(weight: Tensor.ones([10, 784]), bias: Tensor.zeros([10]))
  /// y.shape  // [32, 10]
  /// ```
  ///
  /// The input is [..., inFeatures].
  ///
  /// - Parameters:
  ///   - weight: [outFeatures, inFeatures], PyTorch's layout.
  ///   - bias: [outFeatures], or nil.
  public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
    let input = self
    Tensor.requireMatching(input, weight, "linear")
    require(
      weight.rank == 2 && input.rank >= 1 && input.shape[input.rank - 1] == weight.shape[1],
      "linear: input of shape \(describe(input.shape)) does not fit weight of shape "
        + "\(describe(weight.shape)) (expected [..., \(weight.rank == 2 ? weight.shape[1] : 0)])")
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    if let bias {
      Tensor.requireMatching(input, bias, "linear")
      require(
        bias.shape == [outFeatures],
        "linear: bias of shape \(describe(bias.shape)) does not fit weight of shape "
          + "\(describe(weight.shape))")
    }
    let rows = input.scalarCount / Swift.max(inFeatures, 1)
    var result = Tensor(empty: Array(input.shape.dropLast()) + [outFeatures], dtype: input.dtype)
    gemmWithBias(
      transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures, input, 0,
      lda: inFeatures, weight, 0, ldb: inFeatures, beta: 0, result, 0, ldc: outFeatures,
      bias: bias)
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    let (needInput, needWeight) = (input.requiresGrad, weight.requiresGrad)
    let (x, w) = (input.detached(), weight.detached())
    result = input.record("linear", result, inputs) { g in
      var gradients: [Tensor?] = [nil, nil]
      if needInput {
        let dx = Tensor(empty: x.shape, dtype: x.dtype)
        gemmWithBias(
          transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures, g, 0,
          lda: outFeatures, w, 0, ldb: inFeatures, beta: 0, dx, 0, ldc: inFeatures)
        gradients[0] = dx
      }
      if needWeight {
        let dw = Tensor(empty: w.shape, dtype: w.dtype)
        gemmWithBias(
          transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows, g, 0,
          lda: outFeatures, x, 0, ldb: inFeatures, beta: 0, dw, 0, ldc: inFeatures)
        gradients[1] = dw
      }
      if bias != nil { gradients.append(g.reshaped([rows, outFeatures]).sum(alongAxes: [0])) }
      return gradients
    }
    return result
  }
}

/// x·Wᵀ + b over the last axis of `input`: `input.linear(weight:bias:)`, as a free function.
///
/// - Parameters:
///   - input: [..., inFeatures].
///   - weight: [outFeatures, inFeatures], PyTorch's layout.
///   - bias: [outFeatures], or nil.
@available(*, deprecated, message: "use input.linear(weight:bias:), a method as every other op")
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
  input.linear(weight: weight, bias: bias)
}

/// C = op(A) · op(B) + beta · C (+ bias along every row) on the elements of tensors at element
/// offsets: one matrix product, by nabla_sgemm_bias or nabla_dgemm_bias.
private func gemmWithBias(
  transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, _ a: Tensor, _ aOffset: Int,
  lda: Int, _ b: Tensor, _ bOffset: Int, ldb: Int, beta: Double, _ c: Tensor, _ cOffset: Int,
  ldc: Int, bias: Tensor? = nil
) {
  let (ta, tb): (Int32, Int32) = (transposeA ? 1 : 0, transposeB ? 1 : 0)
  func run<Scalar: KernelScalar>(_: Scalar.Type) {
    Scalar.kernels.gemmWithBias(
      ta, tb, m, n, k, 1, a.data(Scalar.self) + aOffset, lda, b.data(Scalar.self) + bOffset, ldb,
      Scalar(beta), bias.map { UnsafePointer($0.data(Scalar.self)) }, c.data(Scalar.self) + cOffset,
      ldc)
  }
  c.dtype.isSingle ? run(Float.self) : run(Double.self)
}
