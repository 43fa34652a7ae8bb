// Convolution and pooling loops for one element type (see prelude.h). A 1-D signal is a 2-D one of
// height 1, so every kernel here is written once, for [channels, height, width] planes.

void NAME(nabla_im2col)(const NablaConvGeometry *g, const T *x, T *col) {
  const ptrdiff_t kh = g->kernelHeight, kw = g->kernelWidth;
  const ptrdiff_t oh = g->outHeight, ow = g->outWidth;
  const ptrdiff_t plane = g->height * g->width;
  for (ptrdiff_t c = 0; c < g->channels; c++) {
    const T *xc = x + c * plane;
    for (ptrdiff_t i = 0; i < kh; i++) {
      for (ptrdiff_t j = 0; j < kw; j++) {
        T *row = col + ((c * kh + i) * kw + j) * g->colStride;
        for (ptrdiff_t y = 0; y < oh; y++) {
          const ptrdiff_t h = y * g->strideHeight - g->padTop + i * g->dilationHeight;
          T *out = row + y * ow;
          if (h < 0 || h >= g->height) {
            for (ptrdiff_t x0 = 0; x0 < ow; x0++) out[x0] = 0;
            continue;
          }
          const T *xrow = xc + h * g->width;
          const ptrdiff_t offset = j * g->dilationWidth - g->padLeft;
          if (g->strideWidth == 1 && offset >= 0 && offset + ow <= g->width) {
            for (ptrdiff_t x0 = 0; x0 < ow; x0++) out[x0] = xrow[offset + x0];
            continue;
          }
          for (ptrdiff_t x0 = 0; x0 < ow; x0++) {
            const ptrdiff_t w = x0 * g->strideWidth + offset;
            out[x0] = (w >= 0 && w < g->width) ? xrow[w] : 0;
          }
        }
      }
    }
  }
}

void NAME(nabla_col2im)(const NablaConvGeometry *g, const T *col, T *x) {
  const ptrdiff_t kh = g->kernelHeight, kw = g->kernelWidth;
  const ptrdiff_t oh = g->outHeight, ow = g->outWidth;
  const ptrdiff_t plane = g->height * g->width;
  for (ptrdiff_t c = 0; c < g->channels; c++) {
    T *xc = x + c * plane;
    for (ptrdiff_t i = 0; i < kh; i++) {
      for (ptrdiff_t j = 0; j < kw; j++) {
        const T *row = col + ((c * kh + i) * kw + j) * g->colStride;
        for (ptrdiff_t y = 0; y < oh; y++) {
          const ptrdiff_t h = y * g->strideHeight - g->padTop + i * g->dilationHeight;
          if (h < 0 || h >= g->height) continue;
          T *xrow = xc + h * g->width;
          const T *in = row + y * ow;
          const ptrdiff_t offset = j * g->dilationWidth - g->padLeft;
          for (ptrdiff_t x0 = 0; x0 < ow; x0++) {
            const ptrdiff_t w = x0 * g->strideWidth + offset;
            if (w >= 0 && w < g->width) xrow[w] += in[x0];
          }
        }
      }
    }
  }
}

void NAME(nabla_max_pool)(ptrdiff_t planes, const NablaPoolWindows *p, const T *x, T *y,
                          int64_t *argmax) {
  const ptrdiff_t plane = p->height * p->width, outPlane = p->outHeight * p->outWidth;
  for (ptrdiff_t c = 0; c < planes; c++) {
    const T *xc = x + c * plane;
    for (ptrdiff_t oy = 0; oy < p->outHeight; oy++) {
      for (ptrdiff_t ox = 0; ox < p->outWidth; ox++) {
        T best = -INFINITY;
        int64_t where = -1;
        for (int64_t i = 0; i < p->rowCount[oy]; i++) {
          const ptrdiff_t h = p->rowStart[oy] + i * p->rowStep;
          for (int64_t j = 0; j < p->columnCount[ox]; j++) {
            const ptrdiff_t w = p->columnStart[ox] + j * p->columnStep;
            const T v = xc[h * p->width + w];
            if (where < 0 || v > best || (v != v && best == best)) {
              best = v;
              where = h * p->width + w;
            }
          }
        }
        y[c * outPlane + oy * p->outWidth + ox] = best;
        argmax[c * outPlane + oy * p->outWidth + ox] = where;
      }
    }
  }
}

void NAME(nabla_avg_pool)(ptrdiff_t planes, const NablaPoolWindows *p, const int64_t *rowDivisor,
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

void NAME(nabla_avg_pool_backward)(ptrdiff_t planes, const NablaPoolWindows *p,
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
