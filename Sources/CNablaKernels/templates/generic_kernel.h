// The portable GEMM micro-kernel for one element type (see prelude.h and micro_kernel.h).

// The portable micro-kernel: plain loops the compiler can vectorize for any target.
enum { NAME(GENERIC_MR) = 4, NAME(GENERIC_NR) = 16 };

static void NAME(generic_kernel)(ptrdiff_t kc, const T *a, ptrdiff_t astep, const T *b, T *c,
                                 ptrdiff_t ldc, T alpha, T beta) {
  T acc[NAME(GENERIC_MR)][NAME(GENERIC_NR)] = {{0}};
  for (ptrdiff_t p = 0; p < kc; p++)
    for (int i = 0; i < NAME(GENERIC_MR); i++)
      for (int j = 0; j < NAME(GENERIC_NR); j++)
        acc[i][j] += a[p * astep + i] * b[p * NAME(GENERIC_NR) + j];
  for (int i = 0; i < NAME(GENERIC_MR); i++)
    for (int j = 0; j < NAME(GENERIC_NR); j++) {
      T scaled = alpha * acc[i][j];
      c[i * ldc + j] = beta == 0 ? scaled : fma(beta, c[i * ldc + j], scaled);
    }
}
