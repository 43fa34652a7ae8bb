// Layer normalization over rows of d contiguous elements, for one element type (see prelude.h;
// included after reduce.h, whose row sums it uses): y = (x − mean)·rstd·w + b with the biased
// variance, rstd = 1/√(var + ε), as PyTorch's layer_norm; and its backward.

typedef struct {
  ptrdiff_t rows, d, slices;
  T epsilon;
  const T *x, *weight, *bias, *gy, *mean, *rstd;
  T *y, *gx, *savedMean, *savedRstd, *partials;
} NAME(LayerNormJob);

static void NAME(layer_norm_rows)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(LayerNormJob) *job = (const NAME(LayerNormJob) *)context;
  const ptrdiff_t d = job->d;
  const T *w = job->weight, *b = job->bias;
  for (ptrdiff_t r = begin; r < end; r++) {
    const T *restrict x = job->x + r * d;
    T *restrict y = job->y + r * d;
    const T mean = NAME(row_sum)(x, d) / (T)d;
    for (ptrdiff_t j = 0; j < d; j++) y[j] = (x[j] - mean) * (x[j] - mean);  // scratch
    const T rstd = (T)1 / sqrt(NAME(row_sum)(y, d) / (T)d + job->epsilon);
    for (ptrdiff_t j = 0; j < d; j++)
      y[j] = (x[j] - mean) * rstd * (w ? w[j] : (T)1) + (b ? b[j] : (T)0);
    job->savedMean[r] = mean;
    job->savedRstd[r] = rstd;
  }
}

// Slices begin ..< end of the backward: each computes its rows' input gradients and sums
// gy·x̂ (for the weight) and gy (for the bias) over them into partials + slice·2d.
static void NAME(layer_norm_backward_slices)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(LayerNormJob) *job = (const NAME(LayerNormJob) *)context;
  const ptrdiff_t d = job->d;
  const T *w = job->weight;
  for (ptrdiff_t slice = begin; slice < end; slice++) {
    T *restrict weightSum = job->partials + slice * 2 * d, *restrict biasSum = weightSum + d;
    for (ptrdiff_t j = 0; j < 2 * d; j++) weightSum[j] = 0;
    const ptrdiff_t last = (slice + 1) * job->rows / job->slices;
    for (ptrdiff_t r = slice * job->rows / job->slices; r < last; r++) {
      const T *restrict x = job->x + r * d, *restrict gy = job->gy + r * d;
      T *restrict gx = job->gx + r * d;
      const T mean = job->mean[r], rstd = job->rstd[r];
      // With x̂ = (x − mean)·rstd and g = gy·w: gx = rstd·(g − mean(g) − x̂·mean(g·x̂)).
      T lanes[2][NAME(SOFTMAX_LANES)] = {{0}};
      ptrdiff_t j = 0;
      for (; j + NAME(SOFTMAX_LANES) <= d; j += NAME(SOFTMAX_LANES))
        UNROLLED for (int l = 0; l < NAME(SOFTMAX_LANES); l++) {
          const T g = gy[j + l] * (w ? w[j + l] : (T)1);
          lanes[0][l] += g;
          lanes[1][l] += g * (x[j + l] - mean) * rstd;
        }
      for (; j < d; j++) {
        const T g = gy[j] * (w ? w[j] : (T)1);
        lanes[0][0] += g;
        lanes[1][0] += g * (x[j] - mean) * rstd;
      }
      T meanG = 0, meanGX = 0;
      for (int l = 0; l < NAME(SOFTMAX_LANES); l++) {
        meanG += lanes[0][l];
        meanGX += lanes[1][l];
      }
      meanG /= (T)d;
      meanGX /= (T)d;
      for (ptrdiff_t k = 0; k < d; k++) {
        const T xhat = (x[k] - mean) * rstd;
        if (gx) gx[k] = rstd * (gy[k] * (w ? w[k] : (T)1) - meanG - xhat * meanGX);
        weightSum[k] += gy[k] * xhat;
        biasSum[k] += gy[k];
      }
    }
  }
}

static void NAME(layer_norm)(ptrdiff_t rows, ptrdiff_t d, const T *x, const T *weight,
                             const T *bias, double epsilon, T *y, T *mean, T *rstd) {
  NAME(LayerNormJob)
  job = {rows, d, 0, (T)epsilon, x, weight, bias, NULL, NULL, NULL, y, NULL, mean, rstd, NULL};
  nabla_parallel_range(rows, NAME(ELEMENTWISE_GRAIN) / (d + 1) + 1, NAME(layer_norm_rows), &job);
}

static void NAME(layer_norm_backward)(ptrdiff_t rows, ptrdiff_t d, const T *x, const T *weight,
                                      const T *mean, const T *rstd, const T *gy, T *gx,
                                      T *weightGradient, T *biasGradient) {
  // A fixed number of slices (never the thread count) keeps the order of the sums over rows.
  const ptrdiff_t slices = rows < 16 ? (rows > 0 ? rows : 1) : 16;
  NAME(LayerNormJob)
  job = {rows, d, slices, 0, x, weight, NULL, gy, mean, rstd, NULL, gx, NULL, NULL, NULL};
  const size_t bytes = sizeof(T) * (size_t)(slices * 2 * d);
  job.partials = (T *)nabla_buffer_allocate(bytes);
  if (rows == 0) memset(job.partials, 0, bytes);
  if (rows > 0) nabla_parallel_range(slices, 1, NAME(layer_norm_backward_slices), &job);
  for (ptrdiff_t j = 0; j < d; j++) {
    T weightSum = 0, biasSum = 0;
    for (ptrdiff_t s = 0; s < slices; s++) {
      weightSum += job.partials[s * 2 * d + j];
      biasSum += job.partials[s * 2 * d + d + j];
    }
    if (weightGradient) weightGradient[j] = weightSum;
    if (biasGradient) biasGradient[j] = biasSum;
  }
  nabla_buffer_free(job.partials, bytes);
}
