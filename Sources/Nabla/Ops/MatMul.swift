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

/// x·Wᵀ + b over the last axis of `input`, as one recorded op (PyTorch's `F.linear`): the bias is
/// written into the result first and the matrix product added onto it, and the backward runs
/// three matrix products without copying a transpose.
///
/// ```swift
/// let y = linear(Tensor.ones([32, 784]), weight: Tensor.ones([10, 784]), bias: Tensor.zeros([10]))
/// y.shape  // [32, 10]
/// ```
///
/// - Parameters:
///   - input: [..., inFeatures].
///   - weight: [outFeatures, inFeatures], PyTorch's layout.
///   - bias: [outFeatures], or nil.
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
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
  if let bias {
    Tensor.copyStrided(
      from: bias, offset: 0, strides: [0, 1], into: result, offset: 0,
      strides: [outFeatures, 1], shape: [rows, outFeatures])
  }
  let beta = bias == nil ? 0.0 : 1.0
  Tensor.gemm2D(
    input, false, weight, true, into: result, m: rows, n: outFeatures, k: inFeatures, beta: beta)
  let inputs = [input, weight] + (bias.map { [$0] } ?? [])
  let (needInput, needWeight) = (input.requiresGrad, weight.requiresGrad)
  let (x, w) = (input.detached(), weight.detached())
  result = input.record("linear", result, inputs) { g in
    var gradients: [Tensor?] = [nil, nil]
    if needInput {
      let dx = Tensor(empty: x.shape, dtype: x.dtype)
      Tensor.gemm2D(g, false, w, false, into: dx, m: rows, n: inFeatures, k: outFeatures)
      gradients[0] = dx
    }
    if needWeight {
      let dw = Tensor(empty: w.shape, dtype: w.dtype)
      Tensor.gemm2D(g, true, x, false, into: dw, m: outFeatures, n: inFeatures, k: rows)
      gradients[1] = dw
    }
    if bias != nil { gradients.append(g.reshaped([rows, outFeatures]).sum(alongAxes: [0])) }
    return gradients
  }
  return result
}

extension Tensor {
  /// result = op(x)·op(y) + beta·result for row-major matrices stored contiguously; op(x) is
  /// m x k and op(y) k x n.
  static func gemm2D(
    _ x: Tensor, _ transposeX: Bool, _ y: Tensor, _ transposeY: Bool, into result: Tensor,
    m: Int, n: Int, k: Int, beta: Double = 0
  ) {
    let (lda, ldb) = (transposeX ? m : k, transposeY ? k : n)
    let (tx, ty): (Int32, Int32) = (transposeX ? 1 : 0, transposeY ? 1 : 0)
    if x.dtype == .float32 {
      nabla_sgemm(tx, ty, m, n, k, 1, x.f32, lda, y.f32, ldb, Float(beta), result.f32, n)
    } else {
      nabla_dgemm(tx, ty, m, n, k, 1, x.f64, lda, y.f64, ldb, beta, result.f64, n)
    }
  }
}
