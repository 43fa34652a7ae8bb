// Convolution and pooling loops for one element type (see prelude.h). A 1-D signal is a 2-D one of
// height 1, so every kernel here is written once, for [channels, height, width] planes.

/// The output positions x0 in [0, ow) whose input column x0*stride + offset lies in [0, width):
/// they form one run [*first, *last).
static inline void NAME(inside_run)(ptrdiff_t ow, ptrdiff_t stride, ptrdiff_t offset,
                                    ptrdiff_t width, ptrdiff_t *first, ptrdiff_t *last) {
  ptrdiff_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  ptrdiff_t hi = width - offset <= 0 ? 0 : (width - offset + stride - 1) / stride;
  *first = lo < ow ? lo : ow;
  *last = hi < *first ? *first : (hi < ow ? hi : ow);
}

// im2col of a 1-D signal (one row, a kernel one row high): one short row per tap and image,
// with nothing else in the loops.
static void NAME(im2col_1d)(const NablaConvGeometry *g, ptrdiff_t count, ptrdiff_t imageStride,
                            const T *x, T *col) {
  const ptrdiff_t kw = g->kernelWidth, ow = g->outWidth, width = g->width, sw = g->strideWidth;
  const ptrdiff_t colStride = g->colStride;
  for (ptrdiff_t c = 0; c < g->channels; c++) {
    for (ptrdiff_t j = 0; j < kw; j++) {
      T *restrict row = col + (c * kw + j) * colStride;
      const ptrdiff_t offset = j * g->dilationWidth - g->padLeft;
      ptrdiff_t first, last;
      NAME(inside_run)(ow, sw, offset, width, &first, &last);
      const T *restrict source = x + c * width + offset;
      if (sw == 2) {  // the common stride, as a constant: its loads pair up into shuffles
        for (ptrdiff_t n = 0; n < count; n++, row += ow, source += imageStride) {
          for (ptrdiff_t x0 = 0; x0 < first; x0++) row[x0] = 0;
          for (ptrdiff_t x0 = first; x0 < last; x0++) row[x0] = source[2 * x0];
          for (ptrdiff_t x0 = last; x0 < ow; x0++) row[x0] = 0;
        }
        continue;
      }
      for (ptrdiff_t n = 0; n < count; n++, row += ow, source += imageStride) {
        for (ptrdiff_t x0 = 0; x0 < first; x0++) row[x0] = 0;
        for (ptrdiff_t x0 = first; x0 < last; x0++) row[x0] = source[x0 * sw];
        for (ptrdiff_t x0 = last; x0 < ow; x0++) row[x0] = 0;
      }
    }
  }
}

// The adjoint of im2col_1d.
static void NAME(col2im_1d)(const NablaConvGeometry *g, ptrdiff_t count, ptrdiff_t imageStride,
                            const T *col, T *x) {
  const ptrdiff_t kw = g->kernelWidth, ow = g->outWidth, width = g->width, sw = g->strideWidth;
  const ptrdiff_t colStride = g->colStride;
  for (ptrdiff_t c = 0; c < g->channels; c++) {
    for (ptrdiff_t j = 0; j < kw; j++) {
      const T *restrict row = col + (c * kw + j) * colStride;
      const ptrdiff_t offset = j * g->dilationWidth - g->padLeft;
      ptrdiff_t first, last;
      NAME(inside_run)(ow, sw, offset, width, &first, &last);
      T *restrict target = x + c * width + offset;
      if (sw == 2)  // as in im2col_1d
        for (ptrdiff_t n = 0; n < count; n++, row += ow, target += imageStride)
          for (ptrdiff_t x0 = first; x0 < last; x0++) target[2 * x0] += row[x0];
      else
        for (ptrdiff_t n = 0; n < count; n++, row += ow, target += imageStride)
          for (ptrdiff_t x0 = first; x0 < last; x0++) target[x0 * sw] += row[x0];
    }
  }
}

/// Whether a geometry is a 1-D one with a stride (where the stride-1 run paths do not apply).
static int NAME(is_strided_1d)(const NablaConvGeometry *g) {
  return g->height == 1 && g->outHeight == 1 && g->kernelHeight == 1 && g->padTop == 0 &&
         g->strideWidth > 1;
}

static void NAME(im2col)(const NablaConvGeometry *g, ptrdiff_t count, ptrdiff_t imageStride,
                         const T *x, T *col) {
  if (NAME(im2col_short)(g, count, imageStride, x, col)) return;
  if (NAME(is_strided_1d)(g)) {
    NAME(im2col_1d)(g, count, imageStride, x, col);
    return;
  }
  // The geometry in locals: writes through col cannot make the compiler reload it.
  const NablaConvGeometry geometry = *g;
  const ptrdiff_t kh = geometry.kernelHeight, kw = geometry.kernelWidth;
  const ptrdiff_t oh = geometry.outHeight, ow = geometry.outWidth, positions = oh * ow;
  const ptrdiff_t height = geometry.height, width = geometry.width, plane = height * width;
  const ptrdiff_t sh = geometry.strideHeight, sw = geometry.strideWidth;
  for (ptrdiff_t c = 0; c < geometry.channels; c++) {
    for (ptrdiff_t i = 0; i < kh; i++) {
      // Output rows top ..< bottom read inside the input; the others read padding only.
      const ptrdiff_t rowOffset = i * geometry.dilationHeight - geometry.padTop;
      ptrdiff_t top, bottom;
      NAME(inside_run)(oh, sh, rowOffset, height, &top, &bottom);
      for (ptrdiff_t j = 0; j < kw; j++) {
        T *restrict row = col + ((c * kh + i) * kw + j) * geometry.colStride;
        const ptrdiff_t offset = j * geometry.dilationWidth - geometry.padLeft;
        ptrdiff_t first, last;
        NAME(inside_run)(ow, sw, offset, width, &first, &last);
        for (ptrdiff_t n = 0; n < count; n++) {
          const T *restrict xc = x + n * imageStride + c * plane;
          T *restrict image = row + n * positions;
          for (ptrdiff_t p = 0; p < top * ow; p++) image[p] = 0;
          if (sh == 1 && sw == 1 && ow == width && top < bottom) {
            // Output rows as wide as input rows: the inside rows are one shifted run of the
            // input. Copy it whole, then clear what wrapped in at the ends of each row.
            const ptrdiff_t shift = rowOffset * width + offset;
            for (ptrdiff_t p = top * ow + first; p < (bottom - 1) * ow + last; p++)
              image[p] = xc[p + shift];
            for (ptrdiff_t y = top; y < bottom; y++) {
              for (ptrdiff_t x0 = 0; x0 < first; x0++) image[y * ow + x0] = 0;
              for (ptrdiff_t x0 = last; x0 < ow; x0++) image[y * ow + x0] = 0;
            }
            for (ptrdiff_t p = bottom * ow; p < positions; p++) image[p] = 0;
            continue;
          }
          for (ptrdiff_t y = top; y < bottom; y++) {
            const T *restrict xrow = xc + (y * sh + rowOffset) * width;
            T *restrict out = image + y * ow;
            for (ptrdiff_t x0 = 0; x0 < first; x0++) out[x0] = 0;
            if (sw == 1) {
              for (ptrdiff_t x0 = first; x0 < last; x0++) out[x0] = xrow[x0 + offset];
            } else {
              for (ptrdiff_t x0 = first; x0 < last; x0++) out[x0] = xrow[x0 * sw + offset];
            }
            for (ptrdiff_t x0 = last; x0 < ow; x0++) out[x0] = 0;
          }
          for (ptrdiff_t p = bottom * ow; p < positions; p++) image[p] = 0;
        }
      }
    }
  }
}

static void NAME(col2im)(const NablaConvGeometry *g, ptrdiff_t count, ptrdiff_t imageStride, T *col,
                         T *x) {
  if (NAME(col2im_short)(g, count, imageStride, col, x)) return;
  if (NAME(is_strided_1d)(g)) {
    NAME(col2im_1d)(g, count, imageStride, col, x);
    return;
  }
  const NablaConvGeometry geometry = *g;  // in locals, as in im2col
  const ptrdiff_t kh = geometry.kernelHeight, kw = geometry.kernelWidth;
  const ptrdiff_t oh = geometry.outHeight, ow = geometry.outWidth, positions = oh * ow;
  const ptrdiff_t height = geometry.height, width = geometry.width, plane = height * width;
  const ptrdiff_t sh = geometry.strideHeight, sw = geometry.strideWidth;
  for (ptrdiff_t c = 0; c < geometry.channels; c++) {
    for (ptrdiff_t i = 0; i < kh; i++) {
      const ptrdiff_t rowOffset = i * geometry.dilationHeight - geometry.padTop;
      ptrdiff_t top, bottom;
      NAME(inside_run)(oh, sh, rowOffset, height, &top, &bottom);
      for (ptrdiff_t j = 0; j < kw; j++) {
        T *restrict row = col + ((c * kh + i) * kw + j) * geometry.colStride;
        const ptrdiff_t offset = j * geometry.dilationWidth - geometry.padLeft;
        ptrdiff_t first, last;
        NAME(inside_run)(ow, sw, offset, width, &first, &last);
        for (ptrdiff_t n = 0; n < count; n++) {
          T *restrict xc = x + n * imageStride + c * plane;
          T *restrict image = row + n * positions;
          if (sh == 1 && sw == 1 && ow == width && top < bottom) {
            // As in im2col: the inside rows are one shifted run of the input. Clear the entries
            // that read padding (at the ends of each row), then add the run whole.
            for (ptrdiff_t y = top; y < bottom; y++) {
              for (ptrdiff_t x0 = 0; x0 < first; x0++) image[y * ow + x0] = 0;
              for (ptrdiff_t x0 = last; x0 < ow; x0++) image[y * ow + x0] = 0;
            }
            const ptrdiff_t shift = rowOffset * width + offset;
            for (ptrdiff_t p = top * ow + first; p < (bottom - 1) * ow + last; p++)
              xc[p + shift] += image[p];
            continue;
          }
          for (ptrdiff_t y = top; y < bottom; y++) {
            T *restrict xrow = xc + (y * sh + rowOffset) * width;
            const T *restrict in = image + y * ow;
            for (ptrdiff_t x0 = first; x0 < last; x0++) xrow[x0 * sw + offset] += in[x0];
          }
        }
      }
    }
  }
}

typedef struct {
  NablaPoolWindows windows;
  const T *x;
  T *y;
  int64_t *argmax;
} NAME(MaxPoolJob);

/// The output columns lo ..< hi (ending *hi) whose windows are whole and evenly spaced, their
/// starts *step apart: the run the row passes of max_pool_planes take.
static void NAME(even_columns)(const NablaPoolWindows *p, ptrdiff_t *lo, ptrdiff_t *hi,
                               ptrdiff_t *step) {
  ptrdiff_t full = 0, first = 0;
  for (ptrdiff_t ox = 0; ox < p->outWidth; ox++)
    full = p->columnCount[ox] > full ? p->columnCount[ox] : full;
  while (first < p->outWidth && p->columnCount[first] != full) first++;
  *lo = first;
  *step = first + 1 < p->outWidth ? p->columnStart[first + 1] - p->columnStart[first] : 1;
  ptrdiff_t last = first;
  while (last < p->outWidth && p->columnCount[last] == full &&
         p->columnStart[last] == p->columnStart[first] + (last - first) * *step)
    last++;
  *hi = last;
}

/// One output of a max pool, the window's taps in row order: the first maximum, or the first NaN.
static inline void NAME(max_window)(const T *restrict xc, ptrdiff_t first, ptrdiff_t rows,
                                    ptrdiff_t columns, ptrdiff_t rowStep, ptrdiff_t columnStep,
                                    T *y, int64_t *argmax) {
  T best = -INFINITY;
  int64_t where = -1;
  for (ptrdiff_t i = 0; i < rows; i++) {
    for (ptrdiff_t j = 0; j < columns; j++) {
      const ptrdiff_t at = first + i * rowStep + j * columnStep;
      const T v = xc[at];
      if (where < 0 || v > best || (v != v && best == best)) {
        best = v;
        where = at;
      }
    }
  }
  *y = best;
  *argmax = where;
}

/// One tap of a row of evenly spaced windows: output k compares x[k·step] (at flat position
/// offset + k·step) with its best so far. Inlined so that the common steps 1 and 2 are constants
/// and the loop vectorizes with plain or shuffled loads.
static inline __attribute__((always_inline)) void NAME(max_tap)(const T *restrict x,
                                                                ptrdiff_t offset, ptrdiff_t step,
                                                                ptrdiff_t count, T *restrict y,
                                                                int64_t *restrict argmax) {
  _Pragma("clang loop vectorize(enable)") for (ptrdiff_t k = 0; k < count; k++) {
    const T v = x[k * step], best = y[k];
    const int wins = v > best || (v != v && best == best);
    y[k] = wins ? v : best;
    argmax[k] = wins ? offset + k * step : argmax[k];
  }
}

// Planes begin ..< end of a max pool. The window description is copied into locals, so the
// stores to y and argmax cannot make the compiler reload it for every output. Where the windows
// of a row are whole and evenly spaced, the row is computed tap by tap, each tap one pass over
// the row's outputs that vectorizes (the same comparisons in the same order as one window at a
// time, so the same results).
static void NAME(max_pool_planes)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(MaxPoolJob) *job = (const NAME(MaxPoolJob) *)context;
  const NablaPoolWindows p = job->windows;
  const ptrdiff_t width = p.width, plane = p.height * width, outPlane = p.outHeight * p.outWidth;
  const ptrdiff_t rowStep = p.rowStep * width, columnStep = p.columnStep;
  ptrdiff_t lo, hi, step;
  NAME(even_columns)(&p, &lo, &hi, &step);
  const ptrdiff_t columns = hi > lo ? p.columnCount[lo] : 0,
                  start = hi > lo ? p.columnStart[lo] : 0;
  for (ptrdiff_t c = begin; c < end; c++) {
    const T *restrict xc = job->x + c * plane;
    for (ptrdiff_t oy = 0; oy < p.outHeight; oy++) {
      T *restrict y = job->y + c * outPlane + oy * p.outWidth;
      int64_t *restrict argmax = job->argmax + c * outPlane + oy * p.outWidth;
      const ptrdiff_t rows = p.rowCount[oy], top = p.rowStart[oy] * width;
      for (ptrdiff_t ox = 0; ox < p.outWidth; ox++) {
        if (ox == lo) ox = hi;  // the even run, below
        if (ox >= p.outWidth) break;
        NAME(max_window)
        (xc, top + p.columnStart[ox], rows, p.columnCount[ox], rowStep, columnStep, y + ox,
         argmax + ox);
      }
      for (ptrdiff_t ox = lo; ox < hi; ox++) {
        const ptrdiff_t at = top + start + (ox - lo) * step;
        y[ox] = xc[at];
        argmax[ox] = at;
      }
      for (ptrdiff_t i = 0; i < rows; i++) {
        for (ptrdiff_t j = i == 0 ? 1 : 0; j < columns; j++) {
          const ptrdiff_t offset = top + start + i * rowStep + j * columnStep;
          if (step == 1)
            NAME(max_tap)(xc + offset, offset, 1, hi - lo, y + lo, argmax + lo);
          else if (step == 2)
            NAME(max_tap)(xc + offset, offset, 2, hi - lo, y + lo, argmax + lo);
          else
            NAME(max_tap)(xc + offset, offset, step, hi - lo, y + lo, argmax + lo);
        }
      }
    }
  }
}

// The most common pooling, 2 x 2 windows two apart with no padding or dilation, without the
// general window bookkeeping: each output compares four inputs, keeping the first of ties and
// letting NaN win.
static void NAME(max_pool_2x2_planes)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(MaxPoolJob) *job = (const NAME(MaxPoolJob) *)context;
  const ptrdiff_t width = job->windows.width, plane = job->windows.height * width;
  const ptrdiff_t outHeight = job->windows.outHeight, outWidth = job->windows.outWidth;
  for (ptrdiff_t c = begin; c < end; c++) {
    for (ptrdiff_t oy = 0; oy < outHeight; oy++) {
      const T *restrict top = job->x + c * plane + 2 * oy * width;
      const T *restrict bottom = top + width;
      T *restrict y = job->y + (c * outHeight + oy) * outWidth;
      int64_t *restrict argmax = job->argmax + (c * outHeight + oy) * outWidth;
      // Selects, not branches: on real data which of the four wins is unpredictable. Short rows
      // (14 or 7 outputs are common) run as one masked vector step rather than a scalar tail.
      _Pragma("clang loop vectorize(enable) vectorize_predicate(enable)") for (ptrdiff_t ox = 0;
                                                                               ox < outWidth;
                                                                               ox++) {
        T best = top[2 * ox];
        int32_t where = 0;
        T v = top[2 * ox + 1];
        int wins = v > best || v != v;
        best = wins ? v : best;
        where = wins ? 1 : where;
        v = bottom[2 * ox];
        wins = v > best || v != v;
        best = wins ? v : best;
        where = wins ? 2 : where;
        v = bottom[2 * ox + 1];
        wins = v > best || v != v;
        best = wins ? v : best;
        where = wins ? 3 : where;
        y[ox] = best;
        argmax[ox] = 2 * oy * width + 2 * ox + (where >> 1) * width + (where & 1);
      }
    }
  }
}

/// Whether every window is 2 x 2, two apart, wholly inside the input.
static int NAME(pools_2x2)(const NablaPoolWindows *p) {
  if (p->rowStep != 1 || p->columnStep != 1 || 2 * p->outHeight > p->height ||
      2 * p->outWidth > p->width)
    return 0;
  for (ptrdiff_t oy = 0; oy < p->outHeight; oy++)
    if (p->rowStart[oy] != 2 * oy || p->rowCount[oy] != 2) return 0;
  for (ptrdiff_t ox = 0; ox < p->outWidth; ox++)
    if (p->columnStart[ox] != 2 * ox || p->columnCount[ox] != 2) return 0;
  return 1;
}

static void NAME(max_pool)(ptrdiff_t planes, const NablaPoolWindows *windows, const T *x, T *y,
                           int64_t *argmax) {
  NAME(MaxPoolJob) job = {*windows, x, y, argmax};
  nabla_range_fn run = NAME(pools_2x2)(windows) ? NAME(max_pool_2x2_planes) : NAME(max_pool_planes);
  ptrdiff_t grain = (1 << 14) / (windows->height * windows->width + 1) + 1;  // planes per piece
  nabla_parallel_range(planes, grain, run, &job);
}

static void NAME(avg_pool)(ptrdiff_t planes, const NablaPoolWindows *p, const int64_t *rowDivisor,
                           const int64_t *columnDivisor, const T *x, T *y) {
  const ptrdiff_t plane = p->height * p->width, outPlane = p->outHeight * p->outWidth;
  for (ptrdiff_t c = 0; c < planes; c++) {
    const T *xc = x + c * plane;
    for (ptrdiff_t oy = 0; oy < p->outHeight; oy++) {
      for (ptrdiff_t ox = 0; ox < p->outWidth; ox++) {
        T sum = 0;
        for (int64_t i = 0; i < p->rowCount[oy]; i++) {
          const T *xrow = xc + (p->rowStart[oy] + i * p->rowStep) * p->width;
          for (int64_t j = 0; j < p->columnCount[ox]; j++)
            sum += xrow[p->columnStart[ox] + j * p->columnStep];
        }
        y[c * outPlane + oy * p->outWidth + ox] = sum / (T)(rowDivisor[oy] * columnDivisor[ox]);
      }
    }
  }
}

static void NAME(avg_pool_backward)(ptrdiff_t planes, const NablaPoolWindows *p,
                                    const int64_t *rowDivisor, const int64_t *columnDivisor,
                                    const T *gy, T *gx) {
  const ptrdiff_t plane = p->height * p->width, outPlane = p->outHeight * p->outWidth;
  for (ptrdiff_t c = 0; c < planes; c++) {
    T *gc = gx + c * plane;
    for (ptrdiff_t oy = 0; oy < p->outHeight; oy++) {
      for (ptrdiff_t ox = 0; ox < p->outWidth; ox++) {
        const T share =
            gy[c * outPlane + oy * p->outWidth + ox] / (T)(rowDivisor[oy] * columnDivisor[ox]);
        for (int64_t i = 0; i < p->rowCount[oy]; i++) {
          T *grow = gc + (p->rowStart[oy] + i * p->rowStep) * p->width;
          for (int64_t j = 0; j < p->columnCount[ox]; j++)
            grow[p->columnStart[ox] + j * p->columnStep] += share;
        }
      }
    }
  }
}

typedef struct {
  ptrdiff_t plane, outPlane;
  const T *g;
  const int64_t *positions;
  T *gx;
} NAME(MaxPoolBackwardJob);

// Planes begin ..< end of the max pool's backward: each plane cleared, then each output's
// gradient added at the position of its maximum, while the plane is in cache.
static void NAME(max_pool_backward_planes)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(MaxPoolBackwardJob) *job = (const NAME(MaxPoolBackwardJob) *)context;
  for (ptrdiff_t c = begin; c < end; c++) {
    T *gc = job->gx + c * job->plane;
    const T *g = job->g + c * job->outPlane;
    const int64_t *at = job->positions + c * job->outPlane;
    memset(gc, 0, sizeof(T) * (size_t)job->plane);
    for (ptrdiff_t o = 0; o < job->outPlane; o++) gc[at[o]] += g[o];
  }
}

static void NAME(max_pool_backward)(ptrdiff_t planes, ptrdiff_t plane, ptrdiff_t outPlane,
                                    const T *g, const int64_t *positions, T *gx) {
  NAME(MaxPoolBackwardJob) job = {plane, outPlane, g, positions, gx};
  nabla_parallel_range(planes, (1 << 14) / (plane + 1) + 1, NAME(max_pool_backward_planes), &job);
}
