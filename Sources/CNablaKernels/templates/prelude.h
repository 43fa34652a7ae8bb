// Helpers shared by the type templates. A template file is included once per element type with
// T (the C type) and SUFFIX (f32 or f64) defined; NAME(base) pastes the suffix onto a name.
#ifndef NABLA_PRELUDE_H
#define NABLA_PRELUDE_H
#include <stdint.h>
#define NABLA_CAT2(a, b) a##_##b
#define NABLA_CAT(a, b) NABLA_CAT2(a, b)
#define NAME(base) NABLA_CAT(base, SUFFIX)

// Subnormal numbers (below 1.2e-38 in float) cost about a hundred times a normal operation on
// x86, and training drives some gradients into that range; the matrix multiply, the recurrent
// steps and Adam treat them as 0 (flush-to-zero and denormals-are-zero in MXCSR, set around their
// loops and then restored).
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
static inline unsigned nabla_flush_subnormals(void) {
  unsigned saved = _mm_getcsr();
  _mm_setcsr(saved | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
  return saved;
}
static inline void nabla_restore_subnormals(unsigned saved) { _mm_setcsr(saved); }
#else
static inline unsigned nabla_flush_subnormals(void) { return 0; }
static inline void nabla_restore_subnormals(unsigned saved) { (void)saved; }
#endif

// Asks clang to unroll a short fixed loop completely (so vector accumulators stay in registers).
#define UNROLLED _Pragma("clang loop unroll(full)")

#include <math.h>
#include <string.h>

// Float exp and tanh for the activations (tanh, sigmoid, the recurrent gates), written without
// branches or library calls so that loops over them vectorize. exp: round x/ln2 to n, reduce
// r = x - n·ln2 (ln2 in two parts), e^r by its Taylor series to r^7 (below float's precision for
// |r| <= ln2/2), scaled by 2^n built in the exponent bits. The input is limited to [-87.3, 88],
// where 2^n stays a normal float: enough for the activations, whose results saturate long before.
static inline float nabla_activation_expf(float x) {
  x = x < -87.3f ? -87.3f : (x > 88.0f ? 88.0f : x);
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  float r = (x - n * 0.693145751953125f) - n * 1.428606765330187045e-06f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;  // NaN in gives a finite number here: callers that care check for NaN
}

// tanh: the odd Taylor series to x^11 below |x| = 0.3 (where 1 - 2/(e^2x + 1) would cancel), and
// that formula above it, with the sign of x. NaN stays NaN (the clamps in exp would hide it).
static inline float nabla_activation_tanhf(float x) {
  float a = fabsf(x), x2 = x * x;
  float series = -1382.0f / 155925;
  series = series * x2 + 62.0f / 2835;
  series = series * x2 - 17.0f / 315;
  series = series * x2 + 2.0f / 15;
  series = series * x2 - 1.0f / 3;
  float small = x + x * x2 * series;
  float large = copysignf(1.0f - 2.0f / (nabla_activation_expf(2.0f * a) + 1.0f), x);
  float result = a < 0.3f ? small : large;
  return x != x ? x : result;
}

// A walk over the rows of a strided loop nest (every axis but the last) for up to three operands:
// `offset[k]` is where the current row starts in operand k, in elements.
//
//   NablaRows rows = nabla_rows_start(rank, shape);
//   for (ptrdiff_t row = 0; row < rows.count; row++, nabla_rows_next(&rows, rank, shape, s0, s1,
//   s2))
//     ... rows.offset[0], rows.offset[1], rows.offset[2] ...
typedef struct {
  ptrdiff_t index[NABLA_MAX_RANK];
  ptrdiff_t offset[3];
  ptrdiff_t count;
} NablaRows;

static inline NablaRows nabla_rows_start(ptrdiff_t rank, const ptrdiff_t *shape) {
  NablaRows rows = {{0}, {0, 0, 0}, 1};
  for (ptrdiff_t d = 0; d + 1 < rank; d++) rows.count *= shape[d];
  return rows;
}

// Moves to the next row: the last row axis steps, and each one that wraps carries into the axis
// before it.
static inline void nabla_rows_next(NablaRows *rows, ptrdiff_t rank, const ptrdiff_t *shape,
                                   const ptrdiff_t *s0, const ptrdiff_t *s1, const ptrdiff_t *s2) {
  for (ptrdiff_t d = rank - 2; d >= 0; d--) {
    rows->index[d]++;
    rows->offset[0] += s0[d];
    rows->offset[1] += s1[d];
    rows->offset[2] += s2[d];
    if (rows->index[d] < shape[d]) return;
    rows->offset[0] -= s0[d] * shape[d];
    rows->offset[1] -= s1[d] * shape[d];
    rows->offset[2] -= s2[d] * shape[d];
    rows->index[d] = 0;
  }
}
#endif
