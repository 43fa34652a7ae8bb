// Every typed kernel, instantiated for float and double from the templates: each template is
// included once per element type with T and SUFFIX set (see templates/prelude.h).
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>
#include "CNablaKernels.h"
#include "templates/prelude.h"

#define T float
#define SUFFIX f32
#include "templates/elementwise.h"
#include "templates/reduce.h"
#include "templates/gemm.h"
#include "templates/conv.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "templates/elementwise.h"
#include "templates/reduce.h"
#include "templates/gemm.h"
#include "templates/conv.h"
#undef T
#undef SUFFIX

void nabla_sgemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                 const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c,
                 ptrdiff_t ldc) {
  nabla_gemm_f32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void nabla_dgemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                 const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
                 double *c, ptrdiff_t ldc) {
  nabla_gemm_f64(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
