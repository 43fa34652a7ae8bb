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

// The register-blocked micro-kernels (templates/register_kernel.h), each compiled for the
// instruction set whose registers it fills. Named by the features they use rather than as
// x86-64-v4 and v3: with those levels' tuning, clang unrolls the four-row kernels' loop twice,
// and mlp_step ran 5% slower.

/// a·b + c in one rounding, lane by lane.
#if __has_builtin(__builtin_elementwise_fma)
#define NABLA_VECTOR_FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#else
#define NABLA_VECTOR_FMA(a, b, c) ((a) * (b) + (c))  // one FMA: clang contracts within expressions
#endif

#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,fma"))), apply_to = function)
#define T float
#define LANES 16
#define MR 12
#define NV 2
#define KERNEL kernel_avx512_f32
#include "templates/register_kernel.h"
#define T double
#define LANES 8
#define MR 12
#define NV 2
#define KERNEL kernel_avx512_f64
#include "templates/register_kernel.h"
// Four-row forms for the rows below the last whole panel (8 accumulators: still enough to
// keep both FMA units busy).
#define T float
#define LANES 16
#define MR 4
#define NV 2
#define KERNEL kernel_avx512_f32_tail
#include "templates/register_kernel.h"
#define T double
#define LANES 8
#define MR 4
#define NV 2
#define KERNEL kernel_avx512_f64_tail
#include "templates/register_kernel.h"
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define T float
#define LANES 8
#define MR 6
#define NV 2
#define KERNEL kernel_avx2_f32
#include "templates/register_kernel.h"
#define T double
#define LANES 4
#define MR 6
#define NV 2
#define KERNEL kernel_avx2_f64
#include "templates/register_kernel.h"
#pragma clang attribute pop
#endif

#if defined(__aarch64__)  // NEON is part of every arm64 CPU: no target is needed
#define T float
#define LANES 4
#define MR 8
#define NV 3
#define KERNEL kernel_neon_f32
#include "templates/register_kernel.h"
#define T double
#define LANES 2
#define MR 8
#define NV 3
#define KERNEL kernel_neon_f64
#include "templates/register_kernel.h"
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
