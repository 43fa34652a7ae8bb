// Reductions, softmax and indexing kernels for one element type (see prelude.h).
// Every kernel views its input as [outer, n, inner] and works along the middle axis.

WIDE_VECTORS void NAME(nabla_reduce)(NablaReduceOp op, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const T *x,
                        T *y) {
  for (ptrdiff_t o = 0; o < outer; o++) {
    const T *xo = x + o * n * inner;
    T *yo = y + o * inner;
    if (op == NABLA_REDUCE_SUM && inner == 1) {
      // Wide accumulators keep long float sums accurate; eight of them, summed in a fixed order,
      // let the additions overlap instead of waiting on one another.
      double acc[8] = {0};
      ptrdiff_t j = 0;
      for (; j + 8 <= n; j += 8)
        UNROLLED for (int l = 0; l < 8; l++) acc[l] += xo[j + l];
      for (; j < n; j++) acc[0] += xo[j];
      yo[0] = (T)(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
      continue;
    }
    if (n == 0) {
      for (ptrdiff_t i = 0; i < inner; i++) yo[i] = 0;
      continue;
    }
    for (ptrdiff_t i = 0; i < inner; i++) yo[i] = xo[i];
    for (ptrdiff_t j = 1; j < n; j++) {
      const T *row = xo + j * inner;
      switch (op) {
        case NABLA_REDUCE_SUM:
          for (ptrdiff_t i = 0; i < inner; i++) yo[i] += row[i];
          break;
        case NABLA_REDUCE_MAX:
          for (ptrdiff_t i = 0; i < inner; i++)
            if (row[i] > yo[i] || row[i] != row[i]) yo[i] = row[i];  // NaN sticks
          break;
        case NABLA_REDUCE_MIN:
          for (ptrdiff_t i = 0; i < inner; i++)
            if (row[i] < yo[i] || row[i] != row[i]) yo[i] = row[i];
          break;
      }
    }
  }
}

void NAME(nabla_argreduce)(int isMin, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const T *x,
                           int64_t *index) {
  for (ptrdiff_t o = 0; o < outer; o++) {
    for (ptrdiff_t i = 0; i < inner; i++) {
      const T *col = x + o * n * inner + i;
      ptrdiff_t best = 0;
      T value = col[0];
      for (ptrdiff_t j = 1; j < n && value == value; j++) {
        T v = col[j * inner];
        if (v != v || (isMin ? v < value : v > value)) {
          value = v;
          best = j;
        }
      }
      index[o * inner + i] = best;
    }
  }
}

WIDE_VECTORS void NAME(nabla_softmax)(int isLog, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const T *x, T *y) {
  for (ptrdiff_t o = 0; o < outer; o++) {
    for (ptrdiff_t i = 0; i < inner; i++) {
      const T *xc = x + o * n * inner + i;
      T *yc = y + o * n * inner + i;
      T m = -INFINITY;
      for (ptrdiff_t j = 0; j < n; j++)
        if (xc[j * inner] > m) m = xc[j * inner];
      if (m == -INFINITY) m = 0;  // an all -inf row: exp gives zeros, not NaN from inf - inf
      T sum = 0;
      for (ptrdiff_t j = 0; j < n; j++) {
        T e = exp(xc[j * inner] - m);
        sum += e;
        if (!isLog) yc[j * inner] = e;
      }
      if (isLog) {
        T logSum = log(sum);  // (x - m) - log(sum) loses less than x - (m + log(sum))
        for (ptrdiff_t j = 0; j < n; j++) yc[j * inner] = (xc[j * inner] - m) - logSum;
      } else {
        T scale = (T)1 / sum;
        for (ptrdiff_t j = 0; j < n; j++) yc[j * inner] *= scale;
      }
    }
  }
}

WIDE_VECTORS void NAME(nabla_softmax_backward)(int isLog, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const T *y,
                                  const T *gy, T *gx) {
  for (ptrdiff_t o = 0; o < outer; o++) {
    for (ptrdiff_t i = 0; i < inner; i++) {
      ptrdiff_t base = o * n * inner + i;
      T dot = 0;
      for (ptrdiff_t j = 0; j < n; j++) {
        ptrdiff_t k = base + j * inner;
        dot += isLog ? gy[k] : gy[k] * y[k];
      }
      for (ptrdiff_t j = 0; j < n; j++) {
        ptrdiff_t k = base + j * inner;
        gx[k] = isLog ? gy[k] - exp(y[k]) * dot : y[k] * (gy[k] - dot);
      }
    }
  }
}

void NAME(nabla_scatter_add)(ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner, const T *g,
                             const int64_t *index, T *gx) {
  for (ptrdiff_t o = 0; o < outer; o++)
    for (ptrdiff_t j = 0; j < m; j++)
      for (ptrdiff_t i = 0; i < inner; i++) {
        ptrdiff_t k = (o * m + j) * inner + i;
        gx[(o * n + index[k]) * inner + i] += g[k];
      }
}

void NAME(nabla_index_add)(ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner, const T *g,
                           const int64_t *index, T *gx) {
  for (ptrdiff_t o = 0; o < outer; o++)
    for (ptrdiff_t j = 0; j < m; j++) {
      const T *src = g + (o * m + j) * inner;
      T *dst = gx + (o * n + index[j]) * inner;
      for (ptrdiff_t i = 0; i < inner; i++) dst[i] += src[i];
    }
}
