// The GEMM's entry points in the kernel table for one element type (see nabla_sgemm and its
// neighbours in CNablaKernels.h): the driver of gemm.h with the micro-kernel in use on this
// thread.

static void NAME(gemm_bias_entry)(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                                  T alpha, const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb,
                                  T beta, const T *bias, T *c, ptrdiff_t ldc) {
  NAME(gemm)
  (NAME(nabla_gemm_choice)(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, bias, c, ldc,
   NULL);
}

static void NAME(gemm_entry)(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha,
                             const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c,
                             ptrdiff_t ldc) {
  NAME(gemm_bias_entry)(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, NULL, c, ldc);
}

static void NAME(gemm_batched_entry)(ptrdiff_t count, int transA, int transB, ptrdiff_t m,
                                     ptrdiff_t n, ptrdiff_t k, T alpha, const T *a,
                                     ptrdiff_t strideA, ptrdiff_t lda, const T *b,
                                     ptrdiff_t strideB, ptrdiff_t ldb, T beta, T *c,
                                     ptrdiff_t strideC, ptrdiff_t ldc) {
  NAME(BatchedGemmJob)
  job = {NAME(nabla_gemm_choice)(),
         transA,
         transB,
         m,
         n,
         k,
         lda,
         ldb,
         ldc,
         strideA,
         strideB,
         strideC,
         alpha,
         beta,
         a,
         b,
         c};
  NAME(gemm_batched)(job, count);
}

static NablaPackedMatrix *NAME(gemm_pack_b)(int transB, ptrdiff_t k, ptrdiff_t n, const T *b,
                                            ptrdiff_t ldb) {
  const NAME(KernelChoice) kernel = NAME(nabla_gemm_choice)();
  NablaPackedMatrix *packed =
      nabla_packed_matrix_new(transB, k, n, b, ldb, sizeof(T) * NAME(packed_b_count)(kernel, k, n));
  NAME(pack_b_whole)(kernel, transB, k, n, b, ldb, (T *)packed->panels);
  return packed;
}

static void NAME(gemm_packed)(int transA, ptrdiff_t m, T alpha, const T *a, ptrdiff_t lda,
                              const NablaPackedMatrix *b, T beta, T *c, ptrdiff_t ldc) {
  const T *panels = b->kernel == nabla_gemm_kernel() ? (const T *)b->panels : NULL;
  NAME(gemm)
  (NAME(nabla_gemm_choice)(), transA, b->transB, m, b->n, b->k, alpha, a, lda, (const T *)b->b,
   b->ldb, beta, NULL, c, ldc, panels);
}
