// The GEMM's micro-kernels: register-blocked ones for AVX-512, AVX2+FMA and NEON and the
// portable one, and the choice between them, made at run time from the instruction set in use
// (never by compiler flags) or forced per thread by a test. The blocked driver that calls them
// is templates/gemm.h, compiled in each instance of the kernels (instances_*.c).
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>
#include "internal.h"
#include "templates/prelude.h"

#define T float
#define SUFFIX f32
#include "templates/micro_kernel.h"
#include "templates/generic_kernel.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "templates/micro_kernel.h"
#include "templates/generic_kernel.h"
#undef T
#undef SUFFIX

// A micro-kernel over MR rows and NV vectors of LANES columns: MR * NV accumulators, one
// broadcast of A and NV loads of B per step. The loops over the tile are unrolled so that the
// accumulators live in registers. Each kernel comes in two forms: NAME_ reads MR contiguous
// values of A per step, astep apart (a[p * astep + i]): a packed panel (astep = MR), or the
// columns of a transposed A where they are (astep = lda); NAME_##_rows reads MR rows of A where
// they are (a[i * lda + p]), for an A stored row by row. Neither in-place form needs packing.
#define MICRO_KERNEL_BODY(T, V, LANES, MR, NV, SET1, LOAD, FMADD, MUL, STORE, ZERO, A_AT, A_STEP)  \
  V acc[MR][NV];                                                                                   \
  UNROLLED for (int i = 0; i < MR; i++) UNROLLED for (int v = 0; v < NV; v++) acc[i][v] = ZERO();  \
  for (ptrdiff_t p = 0; p < kc; p++) {                                                             \
    V bv[NV];                                                                                      \
    UNROLLED for (int v = 0; v < NV; v++) bv[v] = LOAD(b + v * LANES);                             \
    UNROLLED for (int i = 0; i < MR; i++) {                                                        \
      V av = SET1(A_AT(i));                                                                        \
      UNROLLED for (int v = 0; v < NV; v++) acc[i][v] = FMADD(av, bv[v], acc[i][v]);               \
    }                                                                                              \
    a += A_STEP;                                                                                   \
    b += NV * LANES;                                                                               \
  }                                                                                                \
  V va = SET1(alpha), vb = SET1(beta);                                                             \
  UNROLLED for (int i = 0; i < MR; i++) UNROLLED for (int v = 0; v < NV; v++) {                    \
    T *target = c + i * ldc + v * LANES;                                                           \
    V scaled = MUL(va, acc[i][v]);                                                                 \
    STORE(target, beta == 0 ? scaled : FMADD(vb, LOAD(target), scaled));                           \
  }

#define PACKED_A(i) a[i]
#define ROWS_A(i) a[(i)*lda]
#define DEFINE_MICRO_KERNEL(NAME_, ATTRIBUTES, T, V, LANES, MR, NV, SET1, LOAD, FMADD, MUL, STORE, \
                            ZERO)                                                                  \
  ATTRIBUTES static void NAME_(ptrdiff_t kc, const T *a, ptrdiff_t astep, const T *b, T *c,        \
                               ptrdiff_t ldc, T alpha, T beta){MICRO_KERNEL_BODY(                  \
      T, V, LANES, MR, NV, SET1, LOAD, FMADD, MUL, STORE, ZERO, PACKED_A, astep)} ATTRIBUTES       \
      __attribute__((unused)) static void NAME_##_rows(ptrdiff_t kc, const T *a, ptrdiff_t lda,    \
                                                       const T *b, T *c, ptrdiff_t ldc, T alpha,   \
                                                       T beta) {                                   \
    MICRO_KERNEL_BODY(T, V, LANES, MR, NV, SET1, LOAD, FMADD, MUL, STORE, ZERO, ROWS_A, 1)         \
  }

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,fma")))
#define AVX2 __attribute__((target("avx2,fma")))
DEFINE_MICRO_KERNEL(kernel_avx512_f32, AVX512, float, __m512, 16, 12, 2, _mm512_set1_ps,
                    _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_mul_ps, _mm512_storeu_ps,
                    _mm512_setzero_ps)
DEFINE_MICRO_KERNEL(kernel_avx512_f64, AVX512, double, __m512d, 8, 12, 2, _mm512_set1_pd,
                    _mm512_loadu_pd, _mm512_fmadd_pd, _mm512_mul_pd, _mm512_storeu_pd,
                    _mm512_setzero_pd)
// Four-row forms for the rows below the last whole panel (8 accumulators: still enough to
// keep both FMA units busy).
DEFINE_MICRO_KERNEL(kernel_avx512_f32_tail, AVX512, float, __m512, 16, 4, 2, _mm512_set1_ps,
                    _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_mul_ps, _mm512_storeu_ps,
                    _mm512_setzero_ps)
DEFINE_MICRO_KERNEL(kernel_avx512_f64_tail, AVX512, double, __m512d, 8, 4, 2, _mm512_set1_pd,
                    _mm512_loadu_pd, _mm512_fmadd_pd, _mm512_mul_pd, _mm512_storeu_pd,
                    _mm512_setzero_pd)
DEFINE_MICRO_KERNEL(kernel_avx2_f32, AVX2, float, __m256, 8, 6, 2, _mm256_set1_ps, _mm256_loadu_ps,
                    _mm256_fmadd_ps, _mm256_mul_ps, _mm256_storeu_ps, _mm256_setzero_ps)
DEFINE_MICRO_KERNEL(kernel_avx2_f64, AVX2, double, __m256d, 4, 6, 2, _mm256_set1_pd,
                    _mm256_loadu_pd, _mm256_fmadd_pd, _mm256_mul_pd, _mm256_storeu_pd,
                    _mm256_setzero_pd)
#endif

#if defined(__aarch64__)
#include <arm_neon.h>
// NEON is part of every arm64 CPU: no target attribute is needed.
static inline float32x4_t fma_f32x4(float32x4_t a, float32x4_t b, float32x4_t c) {
  return vfmaq_f32(c, a, b);
}
static inline float64x2_t fma_f64x2(float64x2_t a, float64x2_t b, float64x2_t c) {
  return vfmaq_f64(c, a, b);
}
static inline float32x4_t zero_f32x4(void) { return vdupq_n_f32(0); }
static inline float64x2_t zero_f64x2(void) { return vdupq_n_f64(0); }
DEFINE_MICRO_KERNEL(kernel_neon_f32, , float, float32x4_t, 4, 8, 3, vdupq_n_f32, vld1q_f32,
                    fma_f32x4, vmulq_f32, vst1q_f32, zero_f32x4)
DEFINE_MICRO_KERNEL(kernel_neon_f64, , double, float64x2_t, 2, 8, 3, vdupq_n_f64, vld1q_f64,
                    fma_f64x2, vmulq_f64, vst1q_f64, zero_f64x2)
#endif

/// Which micro-kernel the GEMMs this thread calls run: NABLA_GEMM_AUTO, that of the instruction
/// set in use. Per thread, so that a test forcing a kernel cannot change what other threads
/// compute (a GEMM's tasks on the pool use the kernel chosen by the thread that called it).
static _Thread_local int forced_kernel = NABLA_GEMM_AUTO;

int nabla_gemm_use_kernel(NablaGemmKernel kind) {
  int runs = kind == NABLA_GEMM_AUTO || kind == NABLA_GEMM_GENERIC;
#if defined(__x86_64__)
  runs |= kind == NABLA_GEMM_AVX2 && nabla_cpu_isa() >= NABLA_ISA_X86_64_V3;
  runs |= kind == NABLA_GEMM_AVX512 && nabla_cpu_isa() >= NABLA_ISA_X86_64_V4;
#elif defined(__aarch64__)
  runs |= kind == NABLA_GEMM_NEON;
#endif
  if (runs) forced_kernel = kind;
  return runs;
}

NablaGemmKernel nabla_gemm_kernel(void) {
  if (forced_kernel != NABLA_GEMM_AUTO) return (NablaGemmKernel)forced_kernel;
#if defined(__aarch64__)
  return NABLA_GEMM_NEON;
#else
  switch (nabla_isa()) {
    case NABLA_ISA_X86_64_V4: return NABLA_GEMM_AVX512;
    case NABLA_ISA_X86_64_V3: return NABLA_GEMM_AVX2;
    default: return NABLA_GEMM_GENERIC;
  }
#endif
}

// Block sizes: KC so a B micro-panel (KC x NR) fits in a 32-48 KiB L1 beside the A micro-panel,
// MC so the A block (about 200 KiB) stays well inside L2, NC so the B block fits in the shared
// cache. MC was chosen by measurement: larger A blocks ran slower on the 2 MiB L2 we measured on.
KernelChoice_f32 nabla_gemm_choice_f32(void) {
  switch (nabla_gemm_kernel()) {
#if defined(__x86_64__)
    case NABLA_GEMM_AVX512:
      return (KernelChoice_f32){kernel_avx512_f32,
                                kernel_avx512_f32_rows,
                                12,
                                32,
                                256,
                                192,
                                4096,
                                kernel_avx512_f32_tail,
                                4};
    case NABLA_GEMM_AVX2:
      return (KernelChoice_f32){kernel_avx2_f32, kernel_avx2_f32_rows, 6, 16, 256, 192, 4096};
#endif
#if defined(__aarch64__)
    case NABLA_GEMM_NEON:
      return (KernelChoice_f32){kernel_neon_f32, kernel_neon_f32_rows, 8, 12, 256, 192, 4096};
#endif
    default:
      return (KernelChoice_f32){
          generic_kernel_f32, NULL, GENERIC_MR_f32, GENERIC_NR_f32, 256, 256, 4096};
  }
}

KernelChoice_f64 nabla_gemm_choice_f64(void) {
  switch (nabla_gemm_kernel()) {
#if defined(__x86_64__)
    case NABLA_GEMM_AVX512:
      return (KernelChoice_f64){kernel_avx512_f64,
                                kernel_avx512_f64_rows,
                                12,
                                16,
                                256,
                                96,
                                4096,
                                kernel_avx512_f64_tail,
                                4};
    case NABLA_GEMM_AVX2:
      return (KernelChoice_f64){kernel_avx2_f64, kernel_avx2_f64_rows, 6, 8, 256, 96, 4096};
#endif
#if defined(__aarch64__)
    case NABLA_GEMM_NEON:
      return (KernelChoice_f64){kernel_neon_f64, kernel_neon_f64_rows, 8, 6, 256, 96, 4096};
#endif
    default:
      return (KernelChoice_f64){
          generic_kernel_f64, NULL, GENERIC_MR_f64, GENERIC_NR_f64, 256, 128, 4096};
  }
}

NablaPackedMatrix *nabla_packed_matrix_new(int transB, ptrdiff_t k, ptrdiff_t n, const void *b,
                                           ptrdiff_t ldb, size_t bytes) {
  NablaPackedMatrix *packed = (NablaPackedMatrix *)malloc(sizeof *packed);
  *packed = (NablaPackedMatrix){nabla_gemm_kernel(),          transB, k, n, ldb, b,
                                nabla_buffer_allocate(bytes), bytes};
  return packed;
}

void nabla_packed_matrix_free(NablaPackedMatrix *packed) {
  if (!packed) return;
  nabla_buffer_free(packed->panels, packed->bytes);
  free(packed);
}
