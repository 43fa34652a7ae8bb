// A plain cache-blocked GEMM for one element type (see prelude.h). A block of op(B) is packed
// row-major so the innermost loop runs over contiguous memory whatever the transposes are.

enum { NAME(KC) = 256, NAME(NC) = 512 };

void NAME(nabla_gemm)(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha,
                      const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c,
                      ptrdiff_t ldc) {
  for (ptrdiff_t i = 0; i < m; i++) {
    T *row = c + i * ldc;
    if (beta == 0) {
      for (ptrdiff_t j = 0; j < n; j++) row[j] = 0;
    } else if (beta != 1) {
      for (ptrdiff_t j = 0; j < n; j++) row[j] *= beta;
    }
  }
  if (k == 0 || alpha == 0 || m == 0 || n == 0) return;
  T *pack = (T *)malloc(sizeof(T) * NAME(KC) * NAME(NC));
  for (ptrdiff_t jc = 0; jc < n; jc += NAME(NC)) {
    ptrdiff_t nb = n - jc < NAME(NC) ? n - jc : NAME(NC);
    for (ptrdiff_t pc = 0; pc < k; pc += NAME(KC)) {
      ptrdiff_t kb = k - pc < NAME(KC) ? k - pc : NAME(KC);
      for (ptrdiff_t p = 0; p < kb; p++)
        for (ptrdiff_t j = 0; j < nb; j++)
          pack[p * nb + j] = transB ? b[(jc + j) * ldb + pc + p] : b[(pc + p) * ldb + jc + j];
      for (ptrdiff_t i = 0; i < m; i++) {
        T *crow = c + i * ldc + jc;
        for (ptrdiff_t p = 0; p < kb; p++) {
          T aip = alpha * (transA ? a[(pc + p) * lda + i] : a[i * lda + pc + p]);
          const T *brow = pack + p * nb;
          for (ptrdiff_t j = 0; j < nb; j++) crow[j] += aip * brow[j];
        }
      }
    }
  }
  free(pack);
}
