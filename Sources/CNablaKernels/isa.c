// The choice of the instruction set whose kernels run, made once, and the C entry points that
// call the kernels of its table (the GEMM, im2col and col2im, for C callers and the tests).
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

NablaISA nabla_cpu_isa(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) return NABLA_ISA_X86_64_V4;
  if (__builtin_cpu_supports("x86-64-v3")) return NABLA_ISA_X86_64_V3;
#endif
  return NABLA_ISA_BASELINE;
}

/// The instruction set NABLA_ISA names, or -1 when it is unset or names none.
static int requested_isa(void) {
  const char *name = getenv("NABLA_ISA");
  if (!name) return -1;
  if (strcmp(name, "baseline") == 0) return NABLA_ISA_BASELINE;
  if (strcmp(name, "x86-64-v3") == 0) return NABLA_ISA_X86_64_V3;
  if (strcmp(name, "x86-64-v4") == 0) return NABLA_ISA_X86_64_V4;
  return -1;
}

NablaISA nabla_isa(void) {
  static atomic_int chosen = -1;
  int isa = atomic_load_explicit(&chosen, memory_order_relaxed);
  if (isa >= 0) return (NablaISA)isa;
  isa = (int)nabla_cpu_isa();
  const int requested = requested_isa();
  if (requested >= 0 && requested < isa) isa = requested;
  atomic_store_explicit(&chosen, isa, memory_order_relaxed);
  return (NablaISA)isa;
}

const NablaKernels_f32 *nabla_kernels_f32(void) {
#if defined(__x86_64__)
  switch (nabla_isa()) {
    case NABLA_ISA_X86_64_V4: return &nabla_kernels_f32_x86_64_v4;
    case NABLA_ISA_X86_64_V3: return &nabla_kernels_f32_x86_64_v3;
    default: break;
  }
#endif
  return &nabla_kernels_f32_baseline;
}

const NablaKernels_f64 *nabla_kernels_f64(void) {
#if defined(__x86_64__)
  switch (nabla_isa()) {
    case NABLA_ISA_X86_64_V4: return &nabla_kernels_f64_x86_64_v4;
    case NABLA_ISA_X86_64_V3: return &nabla_kernels_f64_x86_64_v3;
    default: break;
  }
#endif
  return &nabla_kernels_f64_baseline;
}

static atomic_int short_rows_off = 0;

int nabla_short_rows_enabled(void) {
  return nabla_isa() == NABLA_ISA_X86_64_V4 &&
         !atomic_load_explicit(&short_rows_off, memory_order_relaxed);
}

int nabla_use_short_rows(int enabled) {
  atomic_store(&short_rows_off, !enabled);
  return nabla_short_rows_enabled();
}

void nabla_sgemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                 const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c,
                 ptrdiff_t ldc) {
  nabla_kernels_f32()->gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void nabla_dgemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                 const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
                 double *c, ptrdiff_t ldc) {
  nabla_kernels_f64()->gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void nabla_sgemm_bias(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                      const float *bias, float *c, ptrdiff_t ldc) {
  nabla_kernels_f32()->gemmWithBias(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, bias, c,
                                    ldc);
}

void nabla_dgemm_bias(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                      const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
                      const double *bias, double *c, ptrdiff_t ldc) {
  nabla_kernels_f64()->gemmWithBias(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, bias, c,
                                    ldc);
}

int nabla_sgemm_rows_independent(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
  return nabla_kernels_f32()->rowsIndependent(m, n, k);
}

int nabla_dgemm_rows_independent(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
  return nabla_kernels_f64()->rowsIndependent(m, n, k);
}

NablaPackedMatrix *nabla_sgemm_pack_b(int transB, ptrdiff_t k, ptrdiff_t n, const float *b,
                                      ptrdiff_t ldb) {
  return nabla_kernels_f32()->packB(transB, k, n, b, ldb);
}

NablaPackedMatrix *nabla_dgemm_pack_b(int transB, ptrdiff_t k, ptrdiff_t n, const double *b,
                                      ptrdiff_t ldb) {
  return nabla_kernels_f64()->packB(transB, k, n, b, ldb);
}

void nabla_sgemm_packed(int transA, ptrdiff_t m, float alpha, const float *a, ptrdiff_t lda,
                        const NablaPackedMatrix *b, float beta, float *c, ptrdiff_t ldc) {
  nabla_kernels_f32()->packedGemm(transA, m, alpha, a, lda, b, beta, c, ldc);
}

void nabla_dgemm_packed(int transA, ptrdiff_t m, double alpha, const double *a, ptrdiff_t lda,
                        const NablaPackedMatrix *b, double beta, double *c, ptrdiff_t ldc) {
  nabla_kernels_f64()->packedGemm(transA, m, alpha, a, lda, b, beta, c, ldc);
}

void nabla_im2col_f32(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                      const float *x, float *col) {
  nabla_kernels_f32()->im2col(geometry, count, imageStride, x, col);
}

void nabla_im2col_f64(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                      const double *x, double *col) {
  nabla_kernels_f64()->im2col(geometry, count, imageStride, x, col);
}

void nabla_col2im_f32(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                      float *col, float *x) {
  nabla_kernels_f32()->col2im(geometry, count, imageStride, col, x);
}

void nabla_col2im_f64(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                      double *col, double *x) {
  nabla_kernels_f64()->col2im(geometry, count, imageStride, col, x);
}
