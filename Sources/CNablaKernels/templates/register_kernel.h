// A register-blocked GEMM micro-kernel, instantiated with T (the element type), LANES (the
// elements of one vector register), MR (rows of the tile) and NV (vectors across it), and named
// KERNEL; all five are undefined at the end. It is written with clang's vector types and is
// compiled for the instruction set its includer sets (gemm.c), which decides the registers.
//
// MR * NV accumulators, one broadcast of A and NV loads of B per step; the loops over the tile
// are unrolled so that the accumulators live in registers. Two forms: KERNEL reads MR contiguous
// values of A per step, astep apart (a[p * astep + i]): a packed panel (astep = MR), or the
// columns of a transposed A where they are (astep = lda); KERNEL_rows reads MR rows of A where
// they are (a[i * lda + p]), for an A stored row by row. Neither in-place form needs packing.

#define KERNEL_PART(part) NABLA_CAT(KERNEL, part)
typedef T KERNEL_PART(vector) __attribute__((ext_vector_type(LANES)));

static inline KERNEL_PART(vector) KERNEL_PART(load)(const T *p) {
  KERNEL_PART(vector) v;
  memcpy(&v, p, sizeof v);
  return v;
}

/// The tile, with element (i, p) of A at a[i * rowStep + p * step].
static inline __attribute__((always_inline)) void KERNEL_PART(tile)(ptrdiff_t kc, const T *a,
                                                                    ptrdiff_t rowStep,
                                                                    ptrdiff_t step, const T *b,
                                                                    T *c, ptrdiff_t ldc, T alpha,
                                                                    T beta) {
  typedef KERNEL_PART(vector) Vector;
  Vector acc[MR][NV];
  UNROLLED for (int i = 0; i < MR; i++) UNROLLED for (int v = 0; v < NV; v++) acc[i][v] = 0;
  for (ptrdiff_t p = 0; p < kc; p++) {
    Vector bv[NV];
    UNROLLED for (int v = 0; v < NV; v++) bv[v] = KERNEL_PART(load)(b + v * LANES);
    UNROLLED for (int i = 0; i < MR; i++) {
      const Vector av = a[i * rowStep];
      UNROLLED for (int v = 0; v < NV; v++) acc[i][v] = NABLA_VECTOR_FMA(av, bv[v], acc[i][v]);
    }
    a += step;
    b += NV * LANES;
  }
  const Vector va = alpha, vb = beta;
  UNROLLED for (int i = 0; i < MR; i++) UNROLLED for (int v = 0; v < NV; v++) {
    T *target = c + i * ldc + v * LANES;
    const Vector scaled = va * acc[i][v];
    const Vector result =
        beta == 0 ? scaled : NABLA_VECTOR_FMA(vb, KERNEL_PART(load)(target), scaled);
    memcpy(target, &result, sizeof result);
  }
}

static void KERNEL(ptrdiff_t kc, const T *a, ptrdiff_t astep, const T *b, T *c, ptrdiff_t ldc,
                   T alpha, T beta) {
  KERNEL_PART(tile)(kc, a, 1, astep, b, c, ldc, alpha, beta);
}

__attribute__((unused)) static void KERNEL_PART(rows)(ptrdiff_t kc, const T *a, ptrdiff_t lda,
                                                      const T *b, T *c, ptrdiff_t ldc, T alpha,
                                                      T beta) {
  KERNEL_PART(tile)(kc, a, lda, 1, b, c, ldc, alpha, beta);
}

#undef KERNEL_PART
#undef T
#undef LANES
#undef MR
#undef NV
#undef KERNEL
