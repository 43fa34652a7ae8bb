// Kernels that move elements without doing arithmetic on them: strided copies, dtype conversion
// and copies by index. They work on any element type by its size.
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "CNablaKernels.h"
#include "templates/prelude.h"

#define COPY_ROWS(U)                                                                               \
  {                                                                                                \
    const U *s = (const U *)src;                                                                   \
    U *d = (U *)dst;                                                                               \
    NablaRows rows = nabla_rows_start(rank, shape);                                                \
    for (ptrdiff_t row = 0; row < rows.count;                                                      \
         row++, nabla_rows_next(&rows, rank, shape, srcStrides, dstStrides, srcStrides)) {         \
      const U *sr = s + rows.offset[0];                                                            \
      U *dr = d + rows.offset[1];                                                                  \
      if (ss == 1 && ds == 1) {                                                                    \
        memcpy(dr, sr, (size_t)last * sizeof(U));                                                  \
      } else {                                                                                     \
        for (ptrdiff_t i = 0; i < last; i++) dr[i * ds] = sr[i * ss];                              \
      }                                                                                            \
    }                                                                                              \
  }

void nabla_copy_strided(ptrdiff_t elementSize, ptrdiff_t rank, const ptrdiff_t *shape,
                        const void *src, const ptrdiff_t *srcStrides, void *dst,
                        const ptrdiff_t *dstStrides) {
  if (rank == 0) {
    memcpy(dst, src, (size_t)elementSize);
    return;
  }
  for (ptrdiff_t d = 0; d < rank; d++)
    if (shape[d] == 0) return;
  ptrdiff_t last = shape[rank - 1];
  ptrdiff_t ss = srcStrides[rank - 1], ds = dstStrides[rank - 1];
  switch (elementSize) {
    case 1: COPY_ROWS(uint8_t) break;
    case 2: COPY_ROWS(uint16_t) break;
    case 4: COPY_ROWS(uint32_t) break;
    default: COPY_ROWS(uint64_t) break;
  }
}

// MARK: - Conversions
//
// Conversion codes: 0 float32, 1 float64, 2 int64, 3 float16, 4 bfloat16, 5 int32, 6 uint8,
// 7 int8, 8 bool. Values go through double (from the floating-point types, all exactly) or
// int64 (from the integer types), in chunks, then to the target. The half-precision types round
// to nearest even from float32, as PyTorch's c10::Half and c10::BFloat16 do (a float64 is rounded
// to float32 first, as there), and NaN stays NaN (PyTorch's canonical NaN patterns).

static uint32_t bits_of(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  return bits;
}

static float float_of(uint32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

static float half_to_float(uint16_t half) {
  uint32_t sign = (uint32_t)(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1F, fraction = half & 0x3FF;
  if (exponent == 0) {  // zero or subnormal: fraction × 2⁻²⁴, exact in float
    float magnitude = (float)fraction * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  // Infinities and NaNs keep the all-ones exponent and the payload; normals rebias 15 → 127.
  return float_of(sign | (exponent == 0x1F ? 0x7F800000u : (exponent + 112) << 23) |
                  fraction << 13);
}

static uint16_t float_to_half(float value) {
  uint32_t bits = bits_of(value);
  uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
  uint32_t magnitude = bits & 0x7FFFFFFF;
  if (magnitude > 0x7F800000) return sign | 0x7E00;   // NaN
  if (magnitude >= 0x477FF000) return sign | 0x7C00;  // 65520 and above round to infinity
  if (magnitude < 0x38800000) {
    // Below 2⁻¹⁴, the smallest normal: a count of 2⁻²⁴ units, rounded to nearest even (1024
    // units is the smallest normal, whose encoding the count then is).
    return sign | (uint16_t)nearbyintf(fabsf(value) * 0x1p24f);
  }
  // Round the 13 dropped fraction bits to nearest even; a carry moves into the exponent.
  uint32_t rounded = magnitude + 0xFFF + ((magnitude >> 13) & 1);
  return sign | (uint16_t)((rounded >> 13) - (112u << 10));
}

static float bfloat_to_float(uint16_t bfloat) { return float_of((uint32_t)bfloat << 16); }

static uint16_t float_to_bfloat(float value) {
  uint32_t bits = bits_of(value);
  if ((bits & 0x7FFFFFFF) > 0x7F800000) return 0x7FC0;  // NaN
  return (uint16_t)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

/// A double's integer part, or INT64_MIN for NaN and values outside int64 (what x86's truncating
/// conversion gives, so that out-of-range values convert as in PyTorch on x86).
static int64_t double_to_int64(double value) {
  if (!(value >= -0x1p63 && value < 0x1p63)) return INT64_MIN;
  return (int64_t)value;
}

static int is_integer_code(int type) { return type == 2 || type >= 5; }

enum { CONVERT_CHUNK = 256 };

static void load_doubles(int type, const void *src, ptrdiff_t n, double *out) {
  for (ptrdiff_t i = 0; i < n; i++) {
    switch (type) {
      case 0: out[i] = ((const float *)src)[i]; break;
      case 1: out[i] = ((const double *)src)[i]; break;
      case 3: out[i] = half_to_float(((const uint16_t *)src)[i]); break;
      default: out[i] = bfloat_to_float(((const uint16_t *)src)[i]); break;
    }
  }
}

static void load_integers(int type, const void *src, ptrdiff_t n, int64_t *out) {
  for (ptrdiff_t i = 0; i < n; i++) {
    switch (type) {
      case 2: out[i] = ((const int64_t *)src)[i]; break;
      case 5: out[i] = ((const int32_t *)src)[i]; break;
      case 6: out[i] = ((const uint8_t *)src)[i]; break;
      case 7: out[i] = ((const int8_t *)src)[i]; break;
      default: out[i] = ((const uint8_t *)src)[i] != 0; break;
    }
  }
}

/// Stores n integers as `type`; narrower integer types keep the low bits, as C's casts do.
static void store_integers(int type, const int64_t *in, ptrdiff_t n, void *dst) {
  for (ptrdiff_t i = 0; i < n; i++) {
    switch (type) {
      case 0: ((float *)dst)[i] = (float)in[i]; break;
      case 1: ((double *)dst)[i] = (double)in[i]; break;
      case 2: ((int64_t *)dst)[i] = in[i]; break;
      case 3: ((uint16_t *)dst)[i] = float_to_half((float)in[i]); break;
      case 4: ((uint16_t *)dst)[i] = float_to_bfloat((float)in[i]); break;
      case 5: ((uint32_t *)dst)[i] = (uint32_t)in[i]; break;
      case 6: ((uint8_t *)dst)[i] = (uint8_t)in[i]; break;
      case 7: ((uint8_t *)dst)[i] = (uint8_t)in[i]; break;
      default: ((uint8_t *)dst)[i] = in[i] != 0; break;
    }
  }
}

static void store_doubles(int type, const double *in, ptrdiff_t n, void *dst) {
  for (ptrdiff_t i = 0; i < n; i++) {
    switch (type) {
      case 0: ((float *)dst)[i] = (float)in[i]; break;
      case 1: ((double *)dst)[i] = in[i]; break;
      case 3: ((uint16_t *)dst)[i] = float_to_half((float)in[i]); break;
      case 4: ((uint16_t *)dst)[i] = float_to_bfloat((float)in[i]); break;
      case 8: ((uint8_t *)dst)[i] = in[i] != 0; break;
      default: {
        int64_t whole = double_to_int64(in[i]);
        store_integers(type, &whole, 1, (char *)dst + i * nabla_element_size(type));
      }
    }
  }
}

ptrdiff_t nabla_element_size(int type) {
  static const ptrdiff_t sizes[] = {4, 8, 8, 2, 2, 4, 1, 1, 1};
  return sizes[type];
}

void nabla_convert(ptrdiff_t n, int fromType, const void *src, int toType, void *dst) {
  if (fromType == 0 && toType == 1) {
    for (ptrdiff_t i = 0; i < n; i++) ((double *)dst)[i] = ((const float *)src)[i];
    return;
  }
  if (fromType == 1 && toType == 0) {
    for (ptrdiff_t i = 0; i < n; i++) ((float *)dst)[i] = (float)((const double *)src)[i];
    return;
  }
  ptrdiff_t fromSize = nabla_element_size(fromType), toSize = nabla_element_size(toType);
  for (ptrdiff_t start = 0; start < n; start += CONVERT_CHUNK) {
    ptrdiff_t count = n - start < CONVERT_CHUNK ? n - start : CONVERT_CHUNK;
    const char *from = (const char *)src + start * fromSize;
    char *to = (char *)dst + start * toSize;
    if (is_integer_code(fromType)) {
      int64_t chunk[CONVERT_CHUNK];
      load_integers(fromType, from, count, chunk);
      store_integers(toType, chunk, count, to);
    } else {
      double chunk[CONVERT_CHUNK];
      load_doubles(fromType, from, count, chunk);
      store_doubles(toType, chunk, count, to);
    }
  }
}

void nabla_gather(ptrdiff_t elementSize, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner,
                  const void *x, const int64_t *index, void *out) {
  const char *src = (const char *)x;
  char *dst = (char *)out;
  for (ptrdiff_t o = 0; o < outer; o++)
    for (ptrdiff_t j = 0; j < m; j++)
      for (ptrdiff_t i = 0; i < inner; i++) {
        ptrdiff_t k = (o * m + j) * inner + i;
        memcpy(dst + k * elementSize, src + ((o * n + index[k]) * inner + i) * elementSize,
               (size_t)elementSize);
      }
}

void nabla_index_select(ptrdiff_t elementSize, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m,
                        ptrdiff_t inner, const void *x, const int64_t *index, void *out) {
  const char *src = (const char *)x;
  char *dst = (char *)out;
  size_t row = (size_t)(inner * elementSize);
  for (ptrdiff_t o = 0; o < outer; o++)
    for (ptrdiff_t j = 0; j < m; j++)
      memcpy(dst + (o * m + j) * (ptrdiff_t)row, src + (o * n + index[j]) * (ptrdiff_t)row, row);
}
