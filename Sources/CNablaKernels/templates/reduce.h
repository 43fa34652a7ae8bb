// Reductions, softmax and indexing kernels for one element type (see prelude.h).
// Every kernel views its input as [outer, n, inner] and works along the middle axis.

/// Reduces columns i0 ..< i1 of one n x inner slab xo into yo.
static void NAME(reduce_columns)(NablaReduceOp op, ptrdiff_t n, ptrdiff_t inner, const T *xo, T *yo,
                                 ptrdiff_t i0, ptrdiff_t i1) {
  if (op == NABLA_REDUCE_SUM && inner == 1) {
    // Wide accumulators keep long float sums accurate; eight of them, summed in a fixed order,
    // let the additions overlap instead of waiting on one another.
    double acc[8] = {0};
    ptrdiff_t j = 0;
    for (; j + 8 <= n; j += 8) UNROLLED for (int l = 0; l < 8; l++) acc[l] += xo[j + l];
    for (; j < n; j++) acc[0] += xo[j];
    yo[0] = (T)(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
    return;
  }
  if (n == 0) {
    for (ptrdiff_t i = i0; i < i1; i++) yo[i] = 0;
    return;
  }
  for (ptrdiff_t i = i0; i < i1; i++) yo[i] = xo[i];
  for (ptrdiff_t j = 1; j < n; j++) {
    const T *row = xo + j * inner;
    switch (op) {
      case NABLA_REDUCE_SUM:
        for (ptrdiff_t i = i0; i < i1; i++) yo[i] += row[i];
        break;
      case NABLA_REDUCE_MAX:
        for (ptrdiff_t i = i0; i < i1; i++)
          if (row[i] > yo[i] || row[i] != row[i]) yo[i] = row[i];  // NaN sticks
        break;
      case NABLA_REDUCE_MIN:
        for (ptrdiff_t i = i0; i < i1; i++)
          if (row[i] < yo[i] || row[i] != row[i]) yo[i] = row[i];
        break;
    }
  }
}

/// A reduction split into units: one slab (outer index) times one block of its columns.
typedef struct {
  NablaReduceOp op;
  ptrdiff_t n, inner, blocks;
  const T *x;
  T *y;
} NAME(ReduceJob);

enum { NAME(REDUCE_BLOCK) = 64 };  // columns per unit: whole cache lines, vectors of any width

static void NAME(reduce_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(ReduceJob) *job = (const NAME(ReduceJob) *)context;
  for (ptrdiff_t unit = begin; unit < end; unit++) {
    const ptrdiff_t o = unit / job->blocks, i0 = unit % job->blocks * NAME(REDUCE_BLOCK);
    const ptrdiff_t i1 =
        i0 + NAME(REDUCE_BLOCK) < job->inner ? i0 + NAME(REDUCE_BLOCK) : job->inner;
    NAME(reduce_columns)
    (job->op, job->n, job->inner, job->x + o * job->n * job->inner, job->y + o * job->inner, i0,
     i1);
  }
}

static void NAME(reduce)(NablaReduceOp op, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner,
                         const T *x, T *y) {
  // Each output element is reduced by one thread in a fixed order, so the split over the pool
  // never changes a result.
  const ptrdiff_t blocks = (inner + NAME(REDUCE_BLOCK) - 1) / NAME(REDUCE_BLOCK);
  NAME(ReduceJob) job = {op, n, inner, blocks, x, y};
  const ptrdiff_t unitSize = n * (inner < NAME(REDUCE_BLOCK) ? inner : NAME(REDUCE_BLOCK));
  nabla_parallel_range(outer * blocks, NAME(ELEMENTWISE_GRAIN) / (unitSize + 1) + 1,
                       NAME(reduce_range), &job);
}

static void NAME(argreduce)(int isMin, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const T *x,
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

/// e^d for the softmax: the activations' exp (vectorizable for float), exactly 0 below its range
/// (so −∞ gives 0), and NaN kept.
static inline T NAME(softmax_exp)(T d) {
  return d != d ? d : (d < (T)-87.3 ? (T)0 : ACTIVATION_EXP(d));
}

enum { NAME(SOFTMAX_LANES) = 16 };

/// The largest of n contiguous values (NaN aside), in lanes so that it vectorizes.
static inline T NAME(row_max)(const T *x, ptrdiff_t n) {
  T lanes[NAME(SOFTMAX_LANES)];
  UNROLLED for (int l = 0; l < NAME(SOFTMAX_LANES); l++) lanes[l] = -INFINITY;
  ptrdiff_t j = 0;
  for (; j + NAME(SOFTMAX_LANES) <= n; j += NAME(SOFTMAX_LANES))
    UNROLLED for (int l = 0; l < NAME(SOFTMAX_LANES); l++) lanes[l] =
        x[j + l] > lanes[l] ? x[j + l] : lanes[l];
  for (; j < n; j++) lanes[0] = x[j] > lanes[0] ? x[j] : lanes[0];
  T m = -INFINITY;
  for (int l = 0; l < NAME(SOFTMAX_LANES); l++) m = lanes[l] > m ? lanes[l] : m;
  return m;
}

/// The sum of n contiguous values in a fixed order of lanes (vectorizes; same result each run).
static inline T NAME(row_sum)(const T *x, ptrdiff_t n) {
  T lanes[NAME(SOFTMAX_LANES)] = {0};
  ptrdiff_t j = 0;
  for (; j + NAME(SOFTMAX_LANES) <= n; j += NAME(SOFTMAX_LANES))
    UNROLLED for (int l = 0; l < NAME(SOFTMAX_LANES); l++) lanes[l] += x[j + l];
  for (; j < n; j++) lanes[0] += x[j];
  T sum = 0;
  for (int l = 0; l < NAME(SOFTMAX_LANES); l++) sum += lanes[l];
  return sum;
}

typedef struct {
  int isLog;
  ptrdiff_t n, inner;
  const T *x, *y, *gy;
  T *out;
} NAME(SoftmaxJob);

/// How many numbers the short-row softmax loops take at once: rows shorter than a vector of
/// lanes are gathered into blocks this long, whose exponentials are one loop that vectorizes.
enum { NAME(SHORT_ROWS_BLOCK) = 1024 };

// Softmax (or log-softmax) of contiguous rows begin ..< end shorter than the lanes: per block of
// rows, the shifted values x − max, then all their exponentials in one loop, then each row's sum
// (in order, as the lanes of the long rows add a short row) and its results.
static void NAME(softmax_short_rows)(const NAME(SoftmaxJob) * job, ptrdiff_t begin, ptrdiff_t end) {
  const ptrdiff_t n = job->n, rowsPerBlock = NAME(SHORT_ROWS_BLOCK) / n;
  T shifted[NAME(SHORT_ROWS_BLOCK)], e[NAME(SHORT_ROWS_BLOCK)];
  for (ptrdiff_t first = begin; first < end; first += rowsPerBlock) {
    const ptrdiff_t rows = end - first < rowsPerBlock ? end - first : rowsPerBlock;
    const T *x = job->x + first * n;  // (may be y itself: attention works in place)
    T *y = job->out + first * n;
    for (ptrdiff_t r = 0; r < rows; r++) {
      T m = NAME(row_max)(x + r * n, n);
      if (m == -INFINITY) m = 0;  // as in softmax_range
      for (ptrdiff_t k = 0; k < n; k++) shifted[r * n + k] = x[r * n + k] - m;
    }
    for (ptrdiff_t i = 0; i < rows * n; i++) e[i] = NAME(softmax_exp)(shifted[i]);
    for (ptrdiff_t r = 0; r < rows; r++) {
      T sum = 0;
      for (ptrdiff_t k = 0; k < n; k++) sum += e[r * n + k];
      if (job->isLog) {
        const T logSum = log(sum);
        for (ptrdiff_t k = 0; k < n; k++) y[r * n + k] = shifted[r * n + k] - logSum;
      } else {
        const T scale = (T)1 / sum;
        for (ptrdiff_t k = 0; k < n; k++) y[r * n + k] = e[r * n + k] * scale;
      }
    }
  }
}

// The backward of softmax_short_rows: for log-softmax, e^y of a whole block in one loop.
static void NAME(softmax_backward_short_rows)(const NAME(SoftmaxJob) * job, ptrdiff_t begin,
                                              ptrdiff_t end) {
  const ptrdiff_t n = job->n, rowsPerBlock = NAME(SHORT_ROWS_BLOCK) / n;
  T e[NAME(SHORT_ROWS_BLOCK)];
  for (ptrdiff_t first = begin; first < end; first += rowsPerBlock) {
    const ptrdiff_t rows = end - first < rowsPerBlock ? end - first : rowsPerBlock;
    const T *y = job->y + first * n, *gy = job->gy + first * n;
    T *gx = job->out + first * n;  // (may be gy itself)
    if (job->isLog)
      for (ptrdiff_t i = 0; i < rows * n; i++) e[i] = NAME(softmax_exp)(y[i]);
    for (ptrdiff_t r = 0; r < rows; r++) {
      T dot = 0;
      for (ptrdiff_t k = 0; k < n; k++)
        dot += job->isLog ? gy[r * n + k] : gy[r * n + k] * y[r * n + k];
      for (ptrdiff_t k = 0; k < n; k++)
        gx[r * n + k] =
            job->isLog ? gy[r * n + k] - e[r * n + k] * dot : y[r * n + k] * (gy[r * n + k] - dot);
    }
  }
}

// Softmax (or log-softmax) of the slices o in begin ..< end of [outer, n, inner] along n.
static void NAME(softmax_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(SoftmaxJob) *job = (const NAME(SoftmaxJob) *)context;
  const ptrdiff_t n = job->n, inner = job->inner;
  if (inner == 1 && n < NAME(SOFTMAX_LANES)) {
    NAME(softmax_short_rows)(job, begin, end);
    return;
  }
  for (ptrdiff_t o = begin; o < end; o++) {
    if (inner == 1) {                // a contiguous row: max, exponentials and sum in vector lanes
      const T *xr = job->x + o * n;  // (may be yr itself: attention works in place)
      T *yr = job->out + o * n;
      T m = NAME(row_max)(xr, n);
      if (m == -INFINITY) m = 0;  // an all −∞ row: zeros (or −∞ logs), not NaN from −∞ − −∞
      if (job->isLog) {
        T lanes[NAME(SOFTMAX_LANES)] = {0};
        ptrdiff_t j = 0;
        for (; j + NAME(SOFTMAX_LANES) <= n; j += NAME(SOFTMAX_LANES))
          UNROLLED for (int l = 0; l < NAME(SOFTMAX_LANES); l++) lanes[l] +=
              NAME(softmax_exp)(xr[j + l] - m);
        for (; j < n; j++) lanes[0] += NAME(softmax_exp)(xr[j] - m);
        const T logSum = log(NAME(row_sum)(lanes, NAME(SOFTMAX_LANES)));
        // (x − m) − log(sum) loses less than x − (m + log(sum)).
        for (ptrdiff_t k = 0; k < n; k++) yr[k] = (xr[k] - m) - logSum;
      } else {
        // In place on y alone (a loop reading x and writing y could not vectorize when they are
        // the same row).
        if (yr != xr) memcpy(yr, xr, sizeof(T) * (size_t)n);
        for (ptrdiff_t j = 0; j < n; j++) yr[j] = NAME(softmax_exp)(yr[j] - m);
        const T scale = (T)1 / NAME(row_sum)(yr, n);
        for (ptrdiff_t j = 0; j < n; j++) yr[j] *= scale;
      }
      continue;
    }
    for (ptrdiff_t i = 0; i < inner; i++) {
      const T *xc = job->x + o * n * inner + i;
      T *yc = job->out + o * n * inner + i;
      T m = -INFINITY;
      for (ptrdiff_t j = 0; j < n; j++)
        if (xc[j * inner] > m) m = xc[j * inner];
      if (m == -INFINITY) m = 0;
      T sum = 0;
      for (ptrdiff_t j = 0; j < n; j++) {
        T e = NAME(softmax_exp)(xc[j * inner] - m);
        sum += e;
        if (!job->isLog) yc[j * inner] = e;
      }
      if (job->isLog) {
        T logSum = log(sum);
        for (ptrdiff_t j = 0; j < n; j++) yc[j * inner] = (xc[j * inner] - m) - logSum;
      } else {
        T scale = (T)1 / sum;
        for (ptrdiff_t j = 0; j < n; j++) yc[j * inner] *= scale;
      }
    }
  }
}

// The softmax's (or log-softmax's) backward for the slices o in begin ..< end.
static void NAME(softmax_backward_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(SoftmaxJob) *job = (const NAME(SoftmaxJob) *)context;
  const ptrdiff_t n = job->n, inner = job->inner;
  const int isLog = job->isLog;
  if (inner == 1 && n < NAME(SOFTMAX_LANES)) {
    NAME(softmax_backward_short_rows)(job, begin, end);
    return;
  }
  for (ptrdiff_t o = begin; o < end; o++) {
    if (inner == 1) {
      const T *restrict y = job->y + o * n;
      const T *gy = job->gy + o * n;
      T *gx = job->out + o * n;  // (may be gy itself)
      T lanes[NAME(SOFTMAX_LANES)] = {0};
      ptrdiff_t j = 0;
      for (; j + NAME(SOFTMAX_LANES) <= n; j += NAME(SOFTMAX_LANES))
        UNROLLED for (int l = 0; l < NAME(SOFTMAX_LANES); l++) lanes[l] +=
            isLog ? gy[j + l] : gy[j + l] * y[j + l];
      for (; j < n; j++) lanes[0] += isLog ? gy[j] : gy[j] * y[j];
      T dot = 0;
      for (int l = 0; l < NAME(SOFTMAX_LANES); l++) dot += lanes[l];
      if (isLog) {
        // e^y through the softmax's own exp, which vectorizes (y, a log-probability, is ≤ 0).
        for (ptrdiff_t k = 0; k < n; k++) gx[k] = gy[k] - NAME(softmax_exp)(y[k]) * dot;
      } else {
        for (ptrdiff_t k = 0; k < n; k++) gx[k] = y[k] * (gy[k] - dot);
      }
      continue;
    }
    for (ptrdiff_t i = 0; i < inner; i++) {
      ptrdiff_t base = o * n * inner + i;
      T dot = 0;
      for (ptrdiff_t j = 0; j < n; j++) {
        ptrdiff_t k = base + j * inner;
        dot += isLog ? job->gy[k] : job->gy[k] * job->y[k];
      }
      for (ptrdiff_t j = 0; j < n; j++) {
        ptrdiff_t k = base + j * inner;
        job->out[k] = isLog ? job->gy[k] - NAME(softmax_exp)(job->y[k]) * dot
                            : job->y[k] * (job->gy[k] - dot);
      }
    }
  }
}

static void NAME(softmax)(int isLog, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const T *x,
                          T *y) {
  NAME(SoftmaxJob) job = {isLog, n, inner, x, NULL, NULL, y};
  nabla_parallel_range(outer, NAME(ELEMENTWISE_GRAIN) / (n * inner + 1) + 1, NAME(softmax_range),
                       &job);
}

static void NAME(softmax_backward)(int isLog, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner,
                                   const T *y, const T *gy, T *gx) {
  NAME(SoftmaxJob) job = {isLog, n, inner, NULL, y, gy, gx};
  nabla_parallel_range(outer, NAME(ELEMENTWISE_GRAIN) / (n * inner + 1) + 1,
                       NAME(softmax_backward_range), &job);
}

static T NAME(nll_sum)(ptrdiff_t rows, ptrdiff_t classes, const T *logp, const int64_t *targets,
                       int64_t ignoreIndex, ptrdiff_t *kept) {
  T sum = 0;
  ptrdiff_t count = 0;
  for (ptrdiff_t r = 0; r < rows; r++) {
    if (targets[r] == ignoreIndex) continue;
    sum -= logp[r * classes + targets[r]];
    count++;
  }
  *kept = count;
  return sum;
}

static void NAME(cross_entropy_backward)(ptrdiff_t rows, ptrdiff_t classes, const T *logp,
                                         const int64_t *targets, int64_t ignoreIndex, T scale,
                                         T *gx) {
  for (ptrdiff_t i = 0; i < rows * classes; i++) gx[i] = scale * NAME(softmax_exp)(logp[i]);
  for (ptrdiff_t r = 0; r < rows; r++) {
    if (targets[r] == ignoreIndex)
      memset(gx + r * classes, 0, (size_t)classes * sizeof(T));
    else
      gx[r * classes + targets[r]] -= scale;
  }
}

static void NAME(scatter_add)(ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner,
                              const T *g, const int64_t *index, T *gx) {
  for (ptrdiff_t o = 0; o < outer; o++)
    for (ptrdiff_t j = 0; j < m; j++)
      for (ptrdiff_t i = 0; i < inner; i++) {
        ptrdiff_t k = (o * m + j) * inner + i;
        gx[(o * n + index[k]) * inner + i] += g[k];
      }
}

static void NAME(index_add)(ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner, const T *g,
                            const int64_t *index, T *gx) {
  for (ptrdiff_t o = 0; o < outer; o++)
    for (ptrdiff_t j = 0; j < m; j++) {
      const T *src = g + (o * m + j) * inner;
      T *dst = gx + (o * n + index[j]) * inner;
      for (ptrdiff_t i = 0; i < inner; i++) dst[i] += src[i];
    }
}
