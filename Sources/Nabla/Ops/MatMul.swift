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
    var product = Tensor.batchedMatmul(a, b)
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
    gemm(left, false, right, false, into: result, m: m, n: n, k: k)
    return a.record("matmul", result, [a, b]) { g in
      // dA = g · Bᵀ and dB = Aᵀ · g, per batch, summed back over broadcast batch dims.
      var gradients: [Tensor?] = [nil, nil]
      if a.requiresGrad {
        let gradient = Tensor(empty: batch + [m, k], dtype: a.dtype)
        gemm(g, false, right, true, into: gradient, m: m, n: k, k: n)
        gradients[0] = gradient.sumToShape(a.shape)
      }
      if b.requiresGrad {
        let gradient = Tensor(empty: batch + [k, n], dtype: a.dtype)
        gemm(left, true, g, false, into: gradient, m: k, n: n, k: m)
        gradients[1] = gradient.sumToShape(b.shape)
      }
      return gradients
    }
  }

  /// result[i] = op(x[i]) · op(y[i]) for every matrix i of the batch; op(x) is m x k.
  private static func gemm(
    _ x: Tensor, _ transposeX: Bool, _ y: Tensor, _ transposeY: Bool, into result: Tensor,
    m: Int, n: Int, k: Int
  ) {
    let count = result.scalarCount / Swift.max(m * n, 1)
    let (lda, ldb) = (transposeX ? m : k, transposeY ? k : n)
    let (tx, ty): (Int32, Int32) = (transposeX ? 1 : 0, transposeY ? 1 : 0)
    for index in 0..<count {
      if x.dtype == .float32 {
        nabla_sgemm(
          tx, ty, m, n, k, 1, x.f32 + index * m * k, lda, y.f32 + index * k * n, ldb, 0,
          result.f32 + index * m * n, n)
      } else {
        nabla_dgemm(
          tx, ty, m, n, k, 1, x.f64 + index * m * k, lda, y.f64 + index * k * n, ldb, 0,
          result.f64 + index * m * n, n)
      }
    }
  }
}
