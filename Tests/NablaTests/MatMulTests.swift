import CNablaKernels
import NablaTestSupport
import Testing

@testable import Nabla

// matmul against PyTorch's rules and a naive triple loop, float64 gradient checks, and the C
// GEMM entry points against a naive reference.

/// torch.matmul computed with a naive triple loop: 1-D operands are promoted to a row (left)
/// or column (right) matrix and the added axis removed afterwards; batch dims broadcast.
private func naiveMatmul(_ a: Tensor, _ b: Tensor) -> (shape: [Int], values: [Double]) {
  let (x, y) = (a.scalars, b.scalars)
  let aShape = a.rank == 1 ? [1] + a.shape : a.shape
  let bShape = b.rank == 1 ? b.shape + [1] : b.shape
  let (m, k, n) = (aShape[aShape.count - 2], aShape[aShape.count - 1], bShape[bShape.count - 1])
  let aBatch = Array(aShape.dropLast(2))
  let bBatch = Array(bShape.dropLast(2))
  let rank = Swift.max(aBatch.count, bBatch.count)
  let aPad = [Int](repeating: 1, count: rank - aBatch.count) + aBatch
  let bPad = [Int](repeating: 1, count: rank - bBatch.count) + bBatch
  let batch = zip(aPad, bPad).map { Swift.max($0, $1) }
  var values: [Double] = []
  for flat in 0..<batch.reduce(1, *) {
    // Unravel the batch index, then map it into each operand (size-1 dims stay at 0).
    var rest = flat
    var aIndex = 0
    var bIndex = 0
    var aStride = 1
    var bStride = 1
    for axis in (0..<rank).reversed() {
      let i = rest % batch[axis]
      rest /= batch[axis]
      aIndex += (aPad[axis] == 1 ? 0 : i) * aStride
      bIndex += (bPad[axis] == 1 ? 0 : i) * bStride
      aStride *= aPad[axis]
      bStride *= bPad[axis]
    }
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k { sum += x[aIndex * m * k + i * k + p] * y[bIndex * k * n + p * n + j] }
        values.append(sum)
      }
    }
  }
  var shape = batch + [m, n]
  if b.rank == 1 { shape.removeLast() }
  if a.rank == 1 { shape.remove(at: shape.count - (b.rank == 1 ? 1 : 2)) }
  return (shape, values)
}

/// Deterministic values in [-1, 1) for the GEMM tests.
private func pseudoRandom(_ count: Int, seed: UInt64) -> [Double] {
  var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
  return (0..<count).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Double(state >> 11) / Double(1 << 53) * 2 - 1
  }
}

/// One GEMM problem: op(A) is m x k, op(B) is k x n, C is m x n, each stored with padding
/// columns (filled with NaN in A and B, a sentinel in C) beyond the logical row length.
private struct GemmCase {
  var transA: Bool, transB: Bool, m: Int, n: Int, k: Int
  var alpha = 1.0, beta = 0.0, pad = 0
  var cInitial: Double? = nil  // nil: C starts with pseudo-random values

  var lda: Int { (transA ? m : k) + pad }
  var ldb: Int { (transB ? k : n) + pad }
  var ldc: Int { n + pad }
  static let sentinel = 12345.0

  func inputs() -> (a: [Double], b: [Double], c: [Double]) {
    func stored(_ rows: Int, _ columns: Int, _ ld: Int, _ seed: UInt64, fill: Double) -> [Double] {
      let values = pseudoRandom(rows * columns, seed: seed)
      var result = [Double](repeating: fill, count: rows * ld)
      for r in 0..<rows { for c in 0..<columns { result[r * ld + c] = values[r * columns + c] } }
      return result
    }
    let a = transA ? stored(k, m, lda, 1, fill: .nan) : stored(m, k, lda, 1, fill: .nan)
    let b = transB ? stored(n, k, ldb, 2, fill: .nan) : stored(k, n, ldb, 2, fill: .nan)
    var c = stored(m, n, ldc, 3, fill: GemmCase.sentinel)
    if let cInitial { for r in 0..<m { for j in 0..<n { c[r * ldc + j] = cInitial } } }
    return (a, b, c)
  }

  /// alpha * op(A) * op(B) + beta * C (C not read when beta is 0), padding left untouched.
  func reference(_ a: [Double], _ b: [Double], _ c: [Double]) -> [Double] {
    var result = c
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k {
          let left = transA ? a[p * lda + i] : a[i * lda + p]
          sum += left * (transB ? b[j * ldb + p] : b[p * ldb + j])
        }
        result[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
      }
    }
    return result
  }

  func run(sourceLocation: SourceLocation = #_sourceLocation) {
    let (a, b, c) = inputs()
    let expected = reference(a, b, c)
    let (ta, tb): (Int32, Int32) = (transA ? 1 : 0, transB ? 1 : 0)
    var d = c
    nabla_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, &d, ldc)
    var s = c.map { Float($0) }
    let (af, bf) = (a.map { Float($0) }, b.map { Float($0) })
    nabla_sgemm(ta, tb, m, n, k, Float(alpha), af, lda, bf, ldb, Float(beta), &s, ldc)
    // Padding of C must be left alone: it is compared exactly (sentinel vs sentinel).
    expectClose(d, expected, tolerance: 1e-12, sourceLocation: sourceLocation)
    expectClose(
      s.map { Double($0) }, expected, tolerance: 2e-5 * Double(Swift.max(k, 1)).squareRoot(),
      sourceLocation: sourceLocation)
  }
}

@Suite struct MatMulTests {
  // MARK: matmul values, hand-worked

  @Test func dotProductOfVectors() {
    let r = Tensor([1, 2, 3], dtype: .float64).matmul(Tensor([4, 5, 6], dtype: .float64))
    #expect(r.shape == [])
    #expect(r.item == 32)
  }

  @Test func vectorTimesMatrixAndMatrixTimesVector() {
    let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: .float64)
    let left = Tensor([1, 2], dtype: .float64).matmul(m)
    #expect(left.shape == [3])
    #expect(left.scalars == [9, 12, 15])
    let right = m.matmul(Tensor([1, 0, -1], dtype: .float64))
    #expect(right.shape == [2])
    #expect(right.scalars == [-2, -2])
  }

  @Test func matrixTimesMatrix() {
    let a = Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
    let b = Tensor([5, 6, 7, 8], shape: [2, 2], dtype: .float64)
    #expect(a.matmul(b).scalars == [19, 22, 43, 50])
    #expect(b.matmul(a).scalars == [23, 34, 31, 46])
    // [2, 3] · [3, 1] and the float32 path.
    let c = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    let d = Tensor([1, -1, 2], shape: [3, 1])
    #expect(c.matmul(d).shape == [2, 1])
    #expect(c.matmul(d).scalars == [5, 11])
    #expect(c.matmul(d).dtype == .float32)
  }

  @Test func emptyInnerDimensionGivesZeros() {
    let r = Tensor.zeros([2, 0], dtype: .float64).matmul(Tensor.zeros([0, 3], dtype: .float64))
    #expect(r.shape == [2, 3])
    #expect(r.scalars == [0, 0, 0, 0, 0, 0])
    #expect(Tensor.zeros([0, 3]).matmul(Tensor.ones([3, 2])).shape == [0, 2])
  }

  // MARK: matmul against the naive loop

  @Test(arguments: [
    ([4], [4]), ([3], [3, 5]), ([4, 3], [3]), ([4, 3], [3, 5]), ([2, 4, 3], [2, 3, 5]),
    ([2, 1, 3, 4], [5, 4, 2]), ([1, 3, 2, 4], [2, 1, 4, 3]), ([4, 3], [2, 3, 5]),
    ([2, 4, 3], [3, 5]), ([3], [2, 3, 5]), ([2, 4, 3], [3]), ([3], [2, 1, 3, 2]),
    ([1, 7], [7, 1]), ([17, 33], [33, 9]),
  ])
  func matchesNaiveLoop(aShape: [Int], bShape: [Int]) {
    for dtype in [DType.float64, .float32] {
      let a = randomDouble(aShape, seed: 1).converted(to: dtype)
      let b = randomDouble(bShape, seed: 2).converted(to: dtype)
      let expected = naiveMatmul(a, b)
      let product = a.matmul(b)
      #expect(product.shape == expected.shape)
      #expect(product.dtype == dtype)
      expectClose(product.scalars, expected.values, tolerance: dtype == .float64 ? 1e-12 : 1e-5)
    }
  }

  @Test func broadcastBatchShape() {
    #expect(Tensor.zeros([2, 1, 3, 4]).matmul(Tensor.zeros([5, 4, 2])).shape == [2, 5, 3, 2])
    #expect(Tensor.zeros([3]).matmul(Tensor.zeros([2, 3, 5])).shape == [2, 5])
    #expect(Tensor.zeros([2, 4, 3]).matmul(Tensor.zeros([3])).shape == [2, 4])
  }

  @Test func nonContiguousOperandsMatchNaiveLoop() {
    let a = randomDouble([3, 4], seed: 3).transposed()  // [4, 3]
    let b = randomDouble([2, 5, 3], seed: 4).permuted([0, 2, 1])  // [2, 3, 5]
    let expected = naiveMatmul(a, b)
    let product = a.matmul(b)
    #expect(product.shape == [2, 4, 5])
    expectClose(product.scalars, expected.values, tolerance: 1e-12)
  }

  // MARK: gradients

  @Test func handWorkedGradients() {
    // loss = sum(A · B): dA = 1 · Bᵀ, dB = Aᵀ · 1.
    let a = Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64).requiringGrad()
    let b = Tensor([5, 6, 7, 8], shape: [2, 2], dtype: .float64).requiringGrad()
    a.matmul(b).sum().backward()
    #expect(a.grad!.scalars == [11, 15, 11, 15])
    #expect(b.grad!.scalars == [4, 4, 6, 6])
    let a32 = Tensor([1, 2, 3, 4], shape: [2, 2]).requiringGrad()  // the float32 GEMM path
    let b32 = Tensor([5, 6, 7, 8], shape: [2, 2]).requiringGrad()
    a32.matmul(b32).sum().backward()
    #expect(a32.grad!.scalars == [11, 15, 11, 15])
    #expect(b32.grad!.scalars == [4, 4, 6, 6])
    // Only the right operand requires a gradient; the left is broadcast over a batch of 3.
    let w = Tensor([1, -1, 2, 0, 3, 1], shape: [3, 2], dtype: .float64).requiringGrad()
    let x = Tensor.ones([3, 2, 3], dtype: .float64)
    x.matmul(w).sum().backward()
    #expect(w.grad!.shape == [3, 2])
    #expect(w.grad!.scalars == [6, 6, 6, 6, 6, 6])
    // Dot product: d(u · v)/du = v.
    let u = Tensor([1, 2, 3], dtype: .float64).requiringGrad()
    u.matmul(Tensor([4, 5, 6], dtype: .float64)).backward()
    #expect(u.grad!.scalars == [4, 5, 6])
  }

  @Test(arguments: [
    ([4], [4]), ([3], [3, 5]), ([4, 3], [3]), ([4, 3], [3, 5]), ([2, 4, 3], [2, 3, 5]),
    ([2, 1, 3, 4], [5, 4, 2]), ([1, 3, 2, 4], [2, 1, 4, 3]), ([4, 3], [2, 3, 5]),
    ([2, 4, 3], [3, 5]), ([3], [2, 3, 5]), ([2, 4, 3], [3]),
  ])
  func gradientsMatchNumeric(aShape: [Int], bShape: [Int]) {
    expectGradients([randomDouble(aShape, seed: 5), randomDouble(bShape, seed: 6)]) {
      $0[0].matmul($0[1])
    }
  }

  @Test func gradientsOfNonContiguousAndSharedOperands() {
    expectGradients([randomDouble([3, 4], seed: 7), randomDouble([5, 3], seed: 8)]) {
      $0[0].transposed().matmul($0[1].transposed())
    }
    expectGradients([randomDouble([2, 3, 4], seed: 9), randomDouble([4, 3, 5], seed: 10)]) {
      $0[0].permuted([1, 0, 2]).matmul($0[1].permuted([1, 0, 2]))
    }
    // x · xᵀ: both paths of the gradient reach the same input.
    expectGradients([randomDouble([3, 4], seed: 12)]) { $0[0].matmul($0[0].transposed()) }
    expectGradients([randomDouble([3, 1, 4], seed: 13)]) {
      $0[0].expanded(to: [3, 2, 4]).matmul($0[0].transposed())
    }
  }

  /// scale · A · Bᵀ without the transpose copied: the values of matmul and a float64 check.
  @Test func scaledProductWithATransposedOperand() {
    let (a, b) = (randomDouble([2, 3, 5, 4], seed: 14), randomDouble([2, 3, 6, 4], seed: 15))
    expectClose(
      [Double](a.scaledMatmulTransposed(b, scale: 0.5)),
      [Double](a.matmul(b.transposed()) * 0.5), tolerance: 1e-12)
    expectGradients([a, b]) { $0[0].scaledMatmulTransposed($0[1], scale: 0.5) }
    expectGradients([randomDouble([4, 3], seed: 16)]) {
      $0[0].scaledMatmulTransposed($0[0], scale: 2)
    }
  }

  // MARK: C GEMM entry points

  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func gemmOddSizes(transA: Bool, transB: Bool) {
    let sizes = [1, 7, 17, 33, 65]
    for m in sizes {
      for n in sizes {
        for k in sizes { GemmCase(transA: transA, transB: transB, m: m, n: n, k: k).run() }
      }
    }
  }

  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func gemmLeadingDimensionsLargerThanRows(transA: Bool, transB: Bool) {
    for (m, n, k) in [(1, 1, 1), (7, 17, 33), (33, 7, 17), (65, 33, 7), (17, 65, 1)] {
      for pad in [1, 5] {
        GemmCase(transA: transA, transB: transB, m: m, n: n, k: k, pad: pad).run()
      }
    }
  }

  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func gemmAlphaBeta(transA: Bool, transB: Bool) {
    for (alpha, beta) in [(0.5, 2.0), (-1.5, 1.0), (2.0, -0.25), (0.0, 3.0), (1.0, 0.0)] {
      GemmCase(
        transA: transA, transB: transB, m: 7, n: 17, k: 33, alpha: alpha, beta: beta, pad: 3
      ).run()
    }
  }

  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func gemmBetaZeroIgnoresNaNInC(transA: Bool, transB: Bool) {
    for alpha in [1.0, 0.0, -2.0] {
      var problem = GemmCase(
        transA: transA, transB: transB, m: 17, n: 7, k: 33, alpha: alpha, pad: 2)
      problem.cInitial = .nan
      problem.run()
      problem.cInitial = .infinity
      problem.run()
    }
    // k == 0: C = beta * C, so beta = 0 must give zeros even over NaN.
    var empty = GemmCase(transA: transA, transB: transB, m: 3, n: 4, k: 0, pad: 1)
    empty.cInitial = .nan
    empty.run()
  }

  @Test func gemmBeyondOneCacheBlock() {
    // k > 256 and n > 512 cross the packing block sizes of the kernel.
    for (ta, tb) in [(false, false), (true, true)] {
      GemmCase(transA: ta, transB: tb, m: 3, n: 520, k: 300, alpha: 0.75, beta: 0.5, pad: 2).run()
    }
  }

  @Test func gemmHandWorked() {
    // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]; alpha 2, beta 1 onto ones.
    var c: [Double] = [1, 1, 1, 1]
    nabla_dgemm(0, 0, 2, 2, 2, 2, [1, 2, 3, 4], 2, [5, 6, 7, 8], 2, 1, &c, 2)
    #expect(c == [39, 45, 87, 101])
    // Aᵀ · Bᵀ with A stored [[1, 3], [2, 4]], B stored [[5, 7], [6, 8]]: the same product.
    var f: [Float] = [.nan, .nan, .nan, .nan]
    nabla_sgemm(1, 1, 2, 2, 2, 1, [1, 3, 2, 4], 2, [5, 7, 6, 8], 2, 0, &f, 2)
    #expect(f == [19, 22, 43, 50])
  }
}

/// `linear`, the fused x·Wᵀ + b of the Linear layer.
@Suite struct LinearOpTests {
  @Test func valuesMatchTheMatrixProduct() {
    let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    let w = Tensor([1, 0, -1, 2, 1, 0], shape: [2, 3])
    // rows of x·Wᵀ: [1·1 + 3·(−1), 1·2 + 2·1] = [−2, 4] and [4 − 6, 8 + 5] = [−2, 13]
    #expect([Float](x.linear(weight: w)) == [-2, 4, -2, 13])
    #expect([Float](x.linear(weight: w, bias: Tensor([10, 20]))) == [8, 24, 8, 33])
    #expect(Tensor.ones([4, 5, 3]).linear(weight: w).shape == [4, 5, 2])
  }

  @Test func gradientsOfLinear() {
    let x = randomDouble([4, 3], seed: 31)
    let w = randomDouble([5, 3], seed: 32)
    let b = randomDouble([5], seed: 33)
    expectGradients([x, w, b]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
    expectGradients([randomDouble([2, 3, 3], seed: 34), w]) { $0[0].linear(weight: $0[1]) }
    expectGradients([x.transposed(), w]) { $0[0].transposed().linear(weight: $0[1]) }
  }
}
