// The machine's limit for the benchmark: the float32 multiply-add rate of one core, from 24
// independent 512-bit FMA chains (enough to hide the latency on two FMA units), or 256-bit ones
// where AVX-512 is missing. Nothing in the library depends on it.
#include "internal.h"
#include "templates/prelude.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f,fma"))) static float chains_avx512(ptrdiff_t iterations) {
  __m512 acc[24], x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(-1e-7f);
  UNROLLED for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_ps((float)i);
  for (ptrdiff_t n = 0; n < iterations; n++) {
    UNROLLED for (int i = 0; i < 24; i++) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < 24; i++) sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"))) static float chains_avx2(ptrdiff_t iterations) {
  __m256 acc[12], x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(-1e-7f);
  UNROLLED for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
  for (ptrdiff_t n = 0; n < iterations; n++) {
    UNROLLED for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  float lanes[8], total = 0;
  for (int i = 0; i < 12; i++) {
    _mm256_storeu_ps(lanes, acc[i]);
    for (int j = 0; j < 8; j++) total += lanes[j];
  }
  return total;
}
#endif

double nabla_fma_flops_per_iteration(ptrdiff_t iterations, float *sink) {
#if defined(__x86_64__)
  if (nabla_cpu_isa() >= NABLA_ISA_X86_64_V4) {
    *sink = chains_avx512(iterations);
    return 24.0 * 16 * 2;
  }
  if (nabla_cpu_isa() >= NABLA_ISA_X86_64_V3) {
    *sink = chains_avx2(iterations);
    return 12.0 * 8 * 2;
  }
#endif
  *sink = (float)iterations;
  return 0;
}
