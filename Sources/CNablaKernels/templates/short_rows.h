// Loops over short rows for one element type (see prelude.h), in AVX-512 registers in the
// x86-64-v4 instance of the kernels (NABLA_AVX512, see instances.h): the im2col and col2im of small
// 1-D signals, and copies of short rows between the layouts of a convolution. Rows of 5 to 20
// numbers leave vectorized loops in their scalar remainders; here a row is one masked load or
// store, and an im2col row is one permute of the input row held in two registers. VECTOR (__m512 or
// __m512d), VECTOR_SUFFIX (ps or pd) and VECTOR_INDEX (the integer of a permute index, as wide as
// T) name the intrinsics' forms for T.

#if defined(NABLA_AVX512)
#define LANES ((ptrdiff_t)(64 / sizeof(T)))
#define VECTOR_OP(op) NABLA_CAT(_mm512_##op, VECTOR_SUFFIX)

/// The mask of lanes [lo, hi) of one vector (lanes outside [0, LANES) dropped).
static inline uint32_t NAME(lanes)(ptrdiff_t lo, ptrdiff_t hi) {
  lo = lo < 0 ? 0 : lo;
  hi = hi > LANES ? LANES : hi;
  return hi <= lo ? 0 : (uint32_t)(((uint64_t)1 << hi) - ((uint64_t)1 << lo));
}

/// The most taps the register paths take (their permute indices sit in tables on the stack).
#define REGISTER_TAPS 32

/// Whether the register paths take a convolution: 1-D (one row per plane, no padding above), the
/// input row within two vectors, the output row within one.
static int NAME(fits_registers)(const NablaConvGeometry *g) {
  return nabla_short_rows_enabled() && g->height == 1 && g->kernelHeight == 1 &&
         g->outHeight == 1 && g->padTop == 0 && g->width <= 2 * LANES && g->outWidth <= LANES &&
         g->kernelWidth <= REGISTER_TAPS;
}

// im2col with each input row loaded once into two registers: tap j's row of output positions is
// one two-register permute of it, zeroing the positions that read padding.
static void NAME(im2col_registers)(const NablaConvGeometry *g, ptrdiff_t count,
                                   ptrdiff_t imageStride, const T *x, T *col) {
  const ptrdiff_t kw = g->kernelWidth, ow = g->outWidth, width = g->width;
  VECTOR_INDEX index[REGISTER_TAPS][LANES];
  uint32_t keep[REGISTER_TAPS];
  for (ptrdiff_t j = 0; j < kw; j++) {
    keep[j] = 0;
    for (ptrdiff_t x0 = 0; x0 < LANES; x0++) {
      const ptrdiff_t p = x0 * g->strideWidth + j * g->dilationWidth - g->padLeft;
      const int inside = x0 < ow && p >= 0 && p < width;
      index[j][x0] = inside ? (VECTOR_INDEX)p : 0;
      keep[j] |= (uint32_t)inside << x0;
    }
  }
  const uint32_t low = NAME(lanes)(0, width), high = NAME(lanes)(0, width - LANES);
  const uint32_t stored = NAME(lanes)(0, ow);
  for (ptrdiff_t c = 0; c < g->channels; c++) {
    T *rows = col + c * kw * g->colStride;
    for (ptrdiff_t n = 0; n < count; n++, rows += ow) {
      const T *in = x + n * imageStride + c * width;
      const VECTOR a = VECTOR_OP(maskz_loadu)(low, in);
      const VECTOR b = VECTOR_OP(maskz_loadu)(high, in + LANES);
      for (ptrdiff_t j = 0; j < kw; j++) {
        const __m512i taps = _mm512_loadu_si512(index[j]);
        VECTOR_OP(mask_storeu)
        (rows + j * g->colStride, stored, VECTOR_OP(maskz_permutex2var)(keep[j], a, taps, b));
      }
    }
  }
}

// The adjoint: each input row is loaded once, and every tap adds its row of output positions,
// spread by two one-register permutes to the input columns it was read from, in tap order (the
// order of the plain loops, so the sums round the same).
static void NAME(col2im_registers)(const NablaConvGeometry *g, ptrdiff_t count,
                                   ptrdiff_t imageStride, const T *col, T *x) {
  const ptrdiff_t kw = g->kernelWidth, ow = g->outWidth, width = g->width;
  VECTOR_INDEX index[REGISTER_TAPS][2 * LANES];
  uint32_t keepLow[REGISTER_TAPS], keepHigh[REGISTER_TAPS];
  for (ptrdiff_t j = 0; j < kw; j++) {
    uint64_t keep = 0;
    for (ptrdiff_t p = 0; p < 2 * LANES; p++) {
      const ptrdiff_t q = p - (j * g->dilationWidth - g->padLeft);
      const int inside = p < width && q >= 0 && q % g->strideWidth == 0 && q / g->strideWidth < ow;
      index[j][p] = inside ? (VECTOR_INDEX)(q / g->strideWidth) : 0;
      keep |= (uint64_t)inside << p;
    }
    keepLow[j] = (uint32_t)(keep & (((uint64_t)1 << LANES) - 1));
    keepHigh[j] = (uint32_t)(keep >> LANES);
  }
  const uint32_t low = NAME(lanes)(0, width), high = NAME(lanes)(0, width - LANES);
  const uint32_t loaded = NAME(lanes)(0, ow);
  for (ptrdiff_t c = 0; c < g->channels; c++) {
    const T *rows = col + c * kw * g->colStride;
    for (ptrdiff_t n = 0; n < count; n++, rows += ow) {
      T *out = x + n * imageStride + c * width;
      VECTOR a = VECTOR_OP(maskz_loadu)(low, out);
      VECTOR b = VECTOR_OP(maskz_loadu)(high, out + LANES);
      for (ptrdiff_t j = 0; j < kw; j++) {
        const VECTOR v = VECTOR_OP(maskz_loadu)(loaded, rows + j * g->colStride);
        a = VECTOR_OP(add)(
            a, VECTOR_OP(maskz_permutexvar)(keepLow[j], _mm512_loadu_si512(index[j]), v));
        b = VECTOR_OP(add)(
            b, VECTOR_OP(maskz_permutexvar)(keepHigh[j], _mm512_loadu_si512(index[j] + LANES), v));
      }
      VECTOR_OP(mask_storeu)(out, low, a);
      VECTOR_OP(mask_storeu)(out + LANES, high, b);
    }
  }
}

/// out[i][p] = in[i][p] (+ bias[i]) for `rows` rows of `length`, whole vectors then one masked.
static void NAME(copy_rows_registers)(ptrdiff_t rows, ptrdiff_t length, const T *in,
                                      ptrdiff_t inStride, T *out, ptrdiff_t outStride,
                                      const T *bias) {
  const uint32_t tail = NAME(lanes)(0, length % LANES);
  const ptrdiff_t whole = length - length % LANES;
  for (ptrdiff_t r = 0; r < rows; r++, in += inStride, out += outStride) {
    if (bias) {
      const VECTOR b = VECTOR_OP(set1)(bias[r]);
      for (ptrdiff_t p = 0; p < whole; p += LANES)
        VECTOR_OP(storeu)(out + p, VECTOR_OP(add)(VECTOR_OP(loadu)(in + p), b));
      VECTOR_OP(mask_storeu)
      (out + whole, tail, VECTOR_OP(add)(VECTOR_OP(maskz_loadu)(tail, in + whole), b));
    } else {
      for (ptrdiff_t p = 0; p < whole; p += LANES)
        VECTOR_OP(storeu)(out + p, VECTOR_OP(loadu)(in + p));
      VECTOR_OP(mask_storeu)(out + whole, tail, VECTOR_OP(maskz_loadu)(tail, in + whole));
    }
  }
}
#undef LANES
#undef VECTOR_OP
#undef REGISTER_TAPS
#endif

/// im2col through the register path when it takes the geometry; returns whether it did.
static int NAME(im2col_short)(const NablaConvGeometry *g, ptrdiff_t count, ptrdiff_t imageStride,
                              const T *x, T *col) {
#if defined(NABLA_AVX512)
  if (NAME(fits_registers)(g)) {
    NAME(im2col_registers)(g, count, imageStride, x, col);
    return 1;
  }
#endif
  return 0;
}

/// col2im through the register path when it takes the geometry; returns whether it did.
static int NAME(col2im_short)(const NablaConvGeometry *g, ptrdiff_t count, ptrdiff_t imageStride,
                              const T *col, T *x) {
#if defined(NABLA_AVX512)
  if (NAME(fits_registers)(g)) {
    NAME(col2im_registers)(g, count, imageStride, col, x);
    return 1;
  }
#endif
  return 0;
}

/// out[i][p] = in[i][p] + bias[i] (bias may be NULL: a plain copy) for `rows` rows of `length`
/// numbers, `inStride` and `outStride` apart.
static void NAME(copy_rows)(ptrdiff_t rows, ptrdiff_t length, const T *in, ptrdiff_t inStride,
                            T *out, ptrdiff_t outStride, const T *bias) {
#if defined(NABLA_AVX512)
  if (nabla_short_rows_enabled()) {
    NAME(copy_rows_registers)(rows, length, in, inStride, out, outStride, bias);
    return;
  }
#endif
  for (ptrdiff_t r = 0; r < rows; r++, in += inStride, out += outStride) {
    if (!bias) {
      memcpy(out, in, (size_t)length * sizeof(T));
      continue;
    }
    for (ptrdiff_t p = 0; p < length; p++) out[p] = in[p] + bias[r];
  }
}
