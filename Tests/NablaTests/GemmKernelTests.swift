import CNablaKernels
import Testing

@testable import Nabla

/// Every micro-kernel this CPU can run, checked against a plain triple loop, and the thread
/// count shown not to change a single bit of the result.
@Suite(.serialized) struct GemmKernelTests {
  static let kernels: [NablaGemmKernel] = [
    NABLA_GEMM_GENERIC, NABLA_GEMM_AVX2, NABLA_GEMM_AVX512, NABLA_GEMM_NEON,
  ]

  /// (m, n, k): tiny, odd, around the tile sizes, past the K, M and N block sizes, a small C
  /// with a long k (A·Bᵀ of that shape is computed as dot products), and a thin k with rows
  /// longer than the unpacked path's register block.
  static let sizes: [(Int, Int, Int)] = [
    (1, 1, 1), (7, 17, 33), (33, 7, 17), (13, 33, 65), (65, 40, 300), (200, 131, 20),
    (257, 70, 9), (9, 15, 301), (30, 150, 5),
  ]

  private func values(_ count: Int, seed: UInt64) -> [Double] {
    RandomGenerator(seed: seed).uniformDoubles(count).map { $0 * 2 - 1 }
  }

  /// C = alpha·op(A)·op(B) + beta·C through the kernel under test, in float or double.
  private func run(
    _ double: Bool, _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
    alpha: Double, beta: Double, padding: Int
  ) -> (actual: [Double], expected: [Double]) {
    let (rowsA, columnsA) = transA ? (k, m) : (m, k)
    let (rowsB, columnsB) = transB ? (n, k) : (k, n)
    let (lda, ldb, ldc) = (columnsA + padding, columnsB + padding, n + padding)
    let a = values(rowsA * lda, seed: 1)
    let b = values(rowsB * ldb, seed: 2)
    let c = values(m * ldc, seed: 3)
    var expected = c
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k {
          sum +=
            (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j])
        }
        expected[i * ldc + j] = alpha * sum + beta * c[i * ldc + j]
      }
    }
    let (ta, tb): (Int32, Int32) = (transA ? 1 : 0, transB ? 1 : 0)
    if double {
      var result = c
      nabla_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, &result, ldc)
      return (result, expected)
    }
    let (fa, fb) = (a.map { Float($0) }, b.map { Float($0) })
    var result = c.map { Float($0) }
    nabla_sgemm(ta, tb, m, n, k, Float(alpha), fa, lda, fb, ldb, Float(beta), &result, ldc)
    return (result.map { Double($0) }, expected)
  }

  @Test(arguments: kernels) func kernelMatchesTheReference(_ kernel: NablaGemmKernel) {
    guard nabla_gemm_use_kernel(kernel) == 1 else { return }  // not this CPU's
    defer { nabla_gemm_use_kernel(NABLA_GEMM_AUTO) }
    #expect(nabla_gemm_kernel() == kernel)
    for (m, n, k) in Self.sizes {
      for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
        for double in [false, true] {
          let (alpha, beta) = m % 2 == 0 ? (1.0, 0.0) : (-0.75, 0.5)
          let (actual, expected) = run(
            double, transA, transB, m, n, k, alpha: alpha, beta: beta, padding: 3)
          let tolerance = double ? 1e-12 : 1e-4
          let worst = zip(actual, expected).map { Swift.abs($0 - $1) }.max() ?? 0
          let label = "kernel \(kernel.rawValue) \(double ? "d" : "s")gemm m=\(m) n=\(n) k=\(k)"
          #expect(
            worst <= tolerance * Double(k + 1),
            "\(label) transA=\(transA) transB=\(transB): error \(worst)")
        }
      }
    }
  }

  @Test(arguments: kernels) func threadCountDoesNotChangeResults(_ kernel: NablaGemmKernel) {
    guard nabla_gemm_use_kernel(kernel) == 1 else { return }
    defer {
      nabla_gemm_use_kernel(NABLA_GEMM_AUTO)
      Parallelism.threadCount = 0
    }
    for (m, n, k) in [(131, 97, 70), (61, 300, 90)] {
      var results: [[Double]] = []
      for threads in [1, 2, 3] {
        Parallelism.threadCount = threads
        results.append(run(false, false, true, m, n, k, alpha: 0.5, beta: 1.5, padding: 1).actual)
        results.append(run(true, true, false, m, n, k, alpha: 0.5, beta: 1.5, padding: 1).actual)
      }
      #expect(results[0] == results[2] && results[2] == results[4], "m=\(m) n=\(n) k=\(k)")
      #expect(results[1] == results[3] && results[3] == results[5], "m=\(m) n=\(n) k=\(k)")
    }
  }

  /// Where the GEMM says rows are independent, a block of rows computed alone gives the bits
  /// those rows get in the whole product, for every kernel, transpose and element type.
  @Test(arguments: kernels) func rowsSaidIndependentComeOutTheSameAlone(_ kernel: NablaGemmKernel) {
    guard nabla_gemm_use_kernel(kernel) == 1 else { return }
    defer { nabla_gemm_use_kernel(NABLA_GEMM_AUTO) }
    #expect(nabla_sgemm_rows_independent(1, 1, 1) == 0)
    #expect(nabla_sgemm_rows_independent(4, 8, 300) == 0)  // a small C with a long k
    var checked = 0
    for (rows, n, k) in [(3, 200, 64), (13, 40, 90), (26, 160, 40), (16, 16, 16), (40, 7, 300)] {
      let independent = nabla_sgemm_rows_independent(rows, n, k) != 0
      #expect(independent == (nabla_dgemm_rows_independent(rows, n, k) != 0))
      guard independent else { continue }
      checked += 1
      let (m, first) = (3 * rows + 5, rows + 2)
      for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
        let lda = transA ? m : k
        let ldb = transB ? k : n
        let a = values(m * k, seed: 4).map { Float($0) }
        let b = values(n * k, seed: 5).map { Float($0) }
        let (ta, tb): (Int32, Int32) = (transA ? 1 : 0, transB ? 1 : 0)
        var whole = [Float](repeating: 0, count: m * n)
        nabla_sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, &whole, n)
        var block = [Float](repeating: 0, count: rows * n)
        a.withUnsafeBufferPointer { a in
          // Row `first` of op(A): a row of A, or a column of a transposed A.
          let start = a.baseAddress! + (transA ? first : first * lda)
          nabla_sgemm(ta, tb, rows, n, k, 1, start, lda, b, ldb, 0, &block, n)
        }
        #expect(
          Array(whole[(first * n)..<((first + rows) * n)]) == block,
          "kernel \(kernel.rawValue) rows \(rows) n \(n) k \(k) transA \(transA) transB \(transB)")
      }
    }
    #expect(checked >= 3)
  }

  /// A B packed once gives exactly the plain GEMM's result, for every kernel, transpose and size
  /// (past the K block, odd widths), and still does after another kernel has been chosen.
  @Test(arguments: kernels) func packedBMatchesThePlainProduct(_ kernel: NablaGemmKernel) {
    guard nabla_gemm_use_kernel(kernel) == 1 else { return }
    defer { nabla_gemm_use_kernel(NABLA_GEMM_AUTO) }
    for (m, n, k) in [(32, 512, 128), (65, 40, 300), (200, 131, 20), (5, 70, 600), (7, 17, 33)] {
      for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
        let (lda, ldb, ldc) = ((transA ? m : k) + 2, (transB ? k : n) + 1, n + 3)
        let a = values((transA ? k : m) * lda, seed: 4).map { Float($0) }
        let b = values((transB ? n : k) * ldb, seed: 5).map { Float($0) }
        let c = values(m * ldc, seed: 6).map { Float($0) }
        let (ta, tb): (Int32, Int32) = (transA ? 1 : 0, transB ? 1 : 0)
        var plain = c
        nabla_sgemm(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 1.5, &plain, ldc)
        b.withUnsafeBufferPointer { bBuffer in
          let packed = nabla_sgemm_pack_b(tb, k, n, bBuffer.baseAddress, ldb)
          defer { nabla_packed_matrix_free(packed) }
          var result = c
          nabla_sgemm_packed(ta, m, 0.5, a, lda, packed, 1.5, &result, ldc)
          #expect(result == plain, "kernel \(kernel.rawValue) m=\(m) n=\(n) k=\(k) \(ta)\(tb)")
          // Packed for this kernel, used after the portable one is chosen: B itself is used.
          nabla_gemm_use_kernel(NABLA_GEMM_GENERIC)
          defer { nabla_gemm_use_kernel(kernel) }
          var generic = c
          nabla_sgemm(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 1.5, &generic, ldc)
          result = c
          nabla_sgemm_packed(ta, m, 0.5, a, lda, packed, 1.5, &result, ldc)
          #expect(result == generic, "after switching: m=\(m) n=\(n) k=\(k) \(ta)\(tb)")
        }
      }
    }
  }

  /// A bias added by the GEMM gives exactly what adding it to C first, then the product, gives,
  /// on every path (unpacked, dot products, packed and split over threads), with beta 0 and not.
  @Test(arguments: kernels) func biasIsAddedAsIfWrittenIntoCFirst(_ kernel: NablaGemmKernel) {
    guard nabla_gemm_use_kernel(kernel) == 1 else { return }
    defer { nabla_gemm_use_kernel(NABLA_GEMM_AUTO) }
    for (m, n, k) in Self.sizes + [(300, 200, 64)] {
      for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
        for beta in [0, 0.5] as [Float] {
          let (lda, ldb, ldc) = ((transA ? m : k) + 1, (transB ? k : n) + 2, n + 1)
          let a = values((transA ? k : m) * lda, seed: 7).map { Float($0) }
          let b = values((transB ? n : k) * ldb, seed: 8).map { Float($0) }
          let c = values(m * ldc, seed: 9).map { Float($0) }
          let bias = values(n, seed: 10).map { Float($0) }
          let (ta, tb): (Int32, Int32) = (transA ? 1 : 0, transB ? 1 : 0)
          var expected = c
          for i in 0..<m {
            for j in 0..<n {
              let old = expected[i * ldc + j]
              expected[i * ldc + j] = beta == 0 ? bias[j] : bias[j].addingProduct(beta, old)
            }
          }
          nabla_sgemm(ta, tb, m, n, k, 0.75, a, lda, b, ldb, 1, &expected, ldc)
          var result = c
          nabla_sgemm_bias(ta, tb, m, n, k, 0.75, a, lda, b, ldb, beta, bias, &result, ldc)
          let mismatches = zip(result, expected).filter { $0 != $1 }.count
          #expect(
            mismatches == 0,
            "kernel \(kernel.rawValue) m=\(m) n=\(n) k=\(k) \(ta)\(tb) beta \(beta)")
        }
      }
    }
  }

  /// On x86 the matrix multiply counts subnormal numbers as zero (they are a hundred times
  /// slower there), and leaves the calling thread's floating-point mode as it found it.
  @Test func subnormalsCountAsZeroInsideTheProductOnly() {
    let tiny = Float.leastNormalMagnitude / 4  // subnormal
    for size in [1, 70] {  // the unpacked and the packed path
      let a = [Float](repeating: tiny, count: size * size)
      let b = [Float](repeating: 1, count: size * size)
      var c = [Float](repeating: 5, count: size * size)
      nabla_sgemm(0, 0, size, size, size, 1, a, size, b, size, 0, &c, size)
      #if arch(x86_64)
        #expect(c.allSatisfy { $0 == 0 }, "size \(size)")
      #else
        #expect(c.allSatisfy { $0 > 0 }, "size \(size)")
      #endif
    }
    let stillSubnormal = tiny * Float.random(in: 1.5...1.5)  // computed at run time
    #expect(stillSubnormal > 0 && stillSubnormal.isSubnormal)
  }

  @Test func betaZeroIgnoresNaNInC() {
    for kernel in Self.kernels where nabla_gemm_use_kernel(kernel) == 1 {
      var c = [Float](repeating: .nan, count: 70 * 70)
      let a = [Float](repeating: 1, count: 70 * 70)
      nabla_sgemm(0, 0, 70, 70, 70, 1, a, 70, a, 70, 0, &c, 70)
      #expect(c.allSatisfy { $0 == 70 }, "kernel \(kernel.rawValue)")
    }
    nabla_gemm_use_kernel(NABLA_GEMM_AUTO)
  }
}
