// Matrix multiply: the blocked driver of templates/gemm.h instantiated for float and double,
// register-blocked micro-kernels for AVX-512, AVX2+FMA and NEON, and the choice between them,
// made once at run time from what the CPU supports (never by compiler flags).
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>
#include "CNablaKernels.h"
#include "templates/prelude.h"

#define T float
#define SUFFIX f32
#include "templates/gemm.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "templates/gemm.h"
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

/// Which micro-kernel the GEMMs this thread calls run: NABLA_GEMM_AUTO picks the best the CPU
/// supports. Per thread, so that a test forcing a kernel cannot change what other threads compute
/// (a GEMM's tasks on the pool use the kernel chosen by the thread that called it).
static _Thread_local int forced_kernel = NABLA_GEMM_AUTO;

static int cpu_supports(NablaGemmKernel kind) {
  switch (kind) {
    case NABLA_GEMM_AUTO:
    case NABLA_GEMM_GENERIC: return 1;
#if defined(__x86_64__)
    case NABLA_GEMM_AVX2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case NABLA_GEMM_AVX512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
#if defined(__aarch64__)
    case NABLA_GEMM_NEON: return 1;
#endif
    default: return 0;
  }
}

int nabla_gemm_use_kernel(NablaGemmKernel kind) {
  if (!cpu_supports(kind)) return 0;
  forced_kernel = kind;
  return 1;
}

/// The best kernel this CPU runs, found once.
static atomic_int best_kernel = NABLA_GEMM_AUTO;

NablaGemmKernel nabla_gemm_kernel(void) {
  NablaGemmKernel kind = (NablaGemmKernel)forced_kernel;
  if (kind != NABLA_GEMM_AUTO) return kind;
  kind = (NablaGemmKernel)atomic_load_explicit(&best_kernel, memory_order_relaxed);
  if (kind != NABLA_GEMM_AUTO) return kind;
  static const NablaGemmKernel preference[] = {NABLA_GEMM_AVX512, NABLA_GEMM_NEON, NABLA_GEMM_AVX2};
  kind = NABLA_GEMM_GENERIC;
  for (size_t i = 0; i < sizeof preference / sizeof preference[0]; i++)
    if (cpu_supports(preference[i])) {
      kind = preference[i];
      break;
    }
  atomic_store(&best_kernel, kind);
  return kind;
}

static atomic_int short_rows_off = 0;

int nabla_short_rows_enabled(void) {
  static atomic_int available = -1;  // whether the CPU has AVX-512, asked once
  int has = atomic_load_explicit(&available, memory_order_relaxed);
  if (has < 0) {
    has = cpu_supports(NABLA_GEMM_AVX512);
    atomic_store_explicit(&available, has, memory_order_relaxed);
  }
  return has && !atomic_load_explicit(&short_rows_off, memory_order_relaxed);
}

int nabla_use_short_rows(int enabled) {
  atomic_store(&short_rows_off, !enabled);
  return nabla_short_rows_enabled();
}

// Block sizes: KC so a B micro-panel (KC x NR) fits in a 32-48 KiB L1 beside the A micro-panel,
// MC so the A block (about 200 KiB) stays well inside L2, NC so the B block fits in the shared
// cache. MC was chosen by measurement: larger A blocks ran slower on the 2 MiB L2 we measured on.
static KernelChoice_f32 choice_f32(void) {
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

static KernelChoice_f64 choice_f64(void) {
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

void nabla_sgemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                 const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c,
                 ptrdiff_t ldc) {
  nabla_sgemm_bias(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, NULL, c, ldc);
}

void nabla_sgemm_bias(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                      const float *bias, float *c, ptrdiff_t ldc) {
  gemm_f32(choice_f32(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, bias, c, ldc, NULL);
}

void nabla_dgemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                 const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
                 double *c, ptrdiff_t ldc) {
  nabla_dgemm_bias(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, NULL, c, ldc);
}

void nabla_dgemm_bias(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                      const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
                      const double *bias, double *c, ptrdiff_t ldc) {
  gemm_f64(choice_f64(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, bias, c, ldc, NULL);
}

int nabla_sgemm_rows_independent(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
  return rows_independent_f32(m, n, k);
}

int nabla_dgemm_rows_independent(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
  return rows_independent_f64(m, n, k);
}

// A B operand packed once: the panels for the kernel in use when it was packed, and where B
// itself is, for the paths that do not pack (small products, or another kernel forced since).
struct NablaPackedMatrix {
  NablaGemmKernel kernel;
  int transB;
  ptrdiff_t k, n, ldb;
  const void *b;
  void *panels;
  size_t bytes;
};

static NablaPackedMatrix *packed_matrix(NablaGemmKernel kernel, int transB, ptrdiff_t k,
                                        ptrdiff_t n, const void *b, ptrdiff_t ldb, size_t bytes) {
  NablaPackedMatrix *packed = (NablaPackedMatrix *)malloc(sizeof *packed);
  *packed = (NablaPackedMatrix){kernel, transB, k, n, ldb, b, nabla_buffer_allocate(bytes), bytes};
  return packed;
}

NablaPackedMatrix *nabla_sgemm_pack_b(int transB, ptrdiff_t k, ptrdiff_t n, const float *b,
                                      ptrdiff_t ldb) {
  KernelChoice_f32 kernel = choice_f32();
  NablaPackedMatrix *packed = packed_matrix(nabla_gemm_kernel(), transB, k, n, b, ldb,
                                            sizeof(float) * packed_b_count_f32(kernel, k, n));
  pack_b_whole_f32(kernel, transB, k, n, b, ldb, (float *)packed->panels);
  return packed;
}

NablaPackedMatrix *nabla_dgemm_pack_b(int transB, ptrdiff_t k, ptrdiff_t n, const double *b,
                                      ptrdiff_t ldb) {
  KernelChoice_f64 kernel = choice_f64();
  NablaPackedMatrix *packed = packed_matrix(nabla_gemm_kernel(), transB, k, n, b, ldb,
                                            sizeof(double) * packed_b_count_f64(kernel, k, n));
  pack_b_whole_f64(kernel, transB, k, n, b, ldb, (double *)packed->panels);
  return packed;
}

void nabla_sgemm_packed(int transA, ptrdiff_t m, float alpha, const float *a, ptrdiff_t lda,
                        const NablaPackedMatrix *b, float beta, float *c, ptrdiff_t ldc) {
  const float *panels = b->kernel == nabla_gemm_kernel() ? (const float *)b->panels : NULL;
  gemm_f32(choice_f32(), transA, b->transB, m, b->n, b->k, alpha, a, lda, (const float *)b->b,
           b->ldb, beta, NULL, c, ldc, panels);
}

void nabla_dgemm_packed(int transA, ptrdiff_t m, double alpha, const double *a, ptrdiff_t lda,
                        const NablaPackedMatrix *b, double beta, double *c, ptrdiff_t ldc) {
  const double *panels = b->kernel == nabla_gemm_kernel() ? (const double *)b->panels : NULL;
  gemm_f64(choice_f64(), transA, b->transB, m, b->n, b->k, alpha, a, lda, (const double *)b->b,
           b->ldb, beta, NULL, c, ldc, panels);
}

void nabla_packed_matrix_free(NablaPackedMatrix *packed) {
  if (!packed) return;
  nabla_buffer_free(packed->panels, packed->bytes);
  free(packed);
}

void nabla_sgemm_batched(ptrdiff_t count, int transA, int transB, ptrdiff_t m, ptrdiff_t n,
                         ptrdiff_t k, float alpha, const float *a, ptrdiff_t strideA, ptrdiff_t lda,
                         const float *b, ptrdiff_t strideB, ptrdiff_t ldb, float beta, float *c,
                         ptrdiff_t strideC, ptrdiff_t ldc) {
  BatchedGemmJob_f32 job = {choice_f32(), transA,  transB,  m,     n,    k, lda, ldb, ldc,
                            strideA,      strideB, strideC, alpha, beta, a, b,   c};
  gemm_batched_f32(job, count);
}

void nabla_dgemm_batched(ptrdiff_t count, int transA, int transB, ptrdiff_t m, ptrdiff_t n,
                         ptrdiff_t k, double alpha, const double *a, ptrdiff_t strideA,
                         ptrdiff_t lda, const double *b, ptrdiff_t strideB, ptrdiff_t ldb,
                         double beta, double *c, ptrdiff_t strideC, ptrdiff_t ldc) {
  BatchedGemmJob_f64 job = {choice_f64(), transA,  transB,  m,     n,    k, lda, ldb, ldc,
                            strideA,      strideB, strideC, alpha, beta, a, b,   c};
  gemm_batched_f64(job, count);
}
