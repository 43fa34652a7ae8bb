// Convolutions over a batch in slabs of a few images, for one element type (see prelude.h). A
// slab's im2col matrices sit side by side in a buffer of the thread's own, small enough to stay in
// cache, with enough columns (at least one image) to make a GEMM worth packing; slabs are split
// over the pool. Group g's weight matrix W_g is the `rows` x fields block at row g·rows of the
// weight (fields = channels·kh·kw of the geometry, which describes one group of one image). GEMM
// is this type's nabla_?gemm.

typedef struct {
  NablaConvGeometry geometry;
  ptrdiff_t batch, groups, rows, fields, positions, plane, slab;
  ptrdiff_t inputStride, outputStride;  // between images of the input side and the output side
  ptrdiff_t slices, partialSize;        // of the weight gradient
  const T *input, *weight, *bias, *output;
  T *inputOut, *outputOut, *partials;
  T *columns;  // every slab's im2col matrices, kept from the forward for the weight gradient
} NAME(ConvImagesJob);

/// Where the im2col matrix of group `group` of the slab from image `first` (of `count` images)
/// sits in the kept columns: slab after slab, each group's matrix after the other.
static T *NAME(kept_columns)(const NAME(ConvImagesJob) * job, ptrdiff_t first, ptrdiff_t count,
                             ptrdiff_t group) {
  return job->columns + (first * job->groups + group * count) * job->fields * job->positions;
}

/// Scratch for one slab: its im2col matrix (fields x slab·positions) and, unless the slab is one
/// image, an output block (rows x slab·positions).
typedef struct {
  T *col, *block;
  size_t bytes;
} NAME(SlabScratch);

static NAME(SlabScratch) NAME(slab_scratch)(const NAME(ConvImagesJob) * job) {
  const ptrdiff_t columns = job->slab * job->positions;
  const ptrdiff_t blockSize = job->slab > 1 ? job->rows * columns : 0;
  NAME(SlabScratch) scratch;
  scratch.bytes = (size_t)(job->fields * columns + blockSize) * sizeof(T);
  scratch.col = (T *)nabla_buffer_allocate(scratch.bytes);
  scratch.block = scratch.col + job->fields * columns;
  return scratch;
}

/// Whether im2col is the identity: a 1 x 1 kernel, stride 1, no padding.
static int NAME(unfold_is_identity)(const NablaConvGeometry *g) {
  return g->kernelHeight == 1 && g->kernelWidth == 1 && g->strideHeight == 1 &&
         g->strideWidth == 1 && g->padTop == 0 && g->padLeft == 0 && g->outHeight == g->height &&
         g->outWidth == g->width;
}

/// The im2col matrix of group `group` of images first ..< first+count, side by side in `col`; a
/// single image whose unfolding would only copy it is returned as it is.
static const T *NAME(slab_unfold)(const NAME(ConvImagesJob) * job, ptrdiff_t first, ptrdiff_t count,
                                  ptrdiff_t group, T *col) {
  const T *x = job->input + first * job->inputStride + group * job->geometry.channels * job->plane;
  if (count == 1 && NAME(unfold_is_identity)(&job->geometry)) return x;
  NablaConvGeometry geometry = job->geometry;
  geometry.colStride = count * job->positions;
  NAME(im2col)(&geometry, count, job->inputStride, x, col);
  return col;
}

/// The output-side rows of group `group` for images first ..< first+count as one matrix with
/// count·positions columns: the tensor itself for one image, else copied into `block`.
static const T *NAME(slab_gather)(const NAME(ConvImagesJob) * job, ptrdiff_t first, ptrdiff_t count,
                                  ptrdiff_t group, T *block) {
  const T *g = job->output + first * job->outputStride + group * job->rows * job->positions;
  if (count == 1) return g;
  const ptrdiff_t positions = job->positions, columns = count * positions;
  for (ptrdiff_t i = 0; i < count; i++) NAME(copy_rows)
  (job->rows, positions, g + i * job->outputStride, positions, block + i * positions, columns,
   NULL);
  return block;
}

// output_n_g = W_g · im2col(input_n_g) (+ bias), slabs begin ..< end.
static void NAME(conv_images_forward_slabs)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(ConvImagesJob) *job = (const NAME(ConvImagesJob) *)context;
  const ptrdiff_t rows = job->rows, fields = job->fields, positions = job->positions;
  NAME(SlabScratch) scratch = NAME(slab_scratch)(job);
  for (ptrdiff_t slab = begin; slab < end; slab++) {
    const ptrdiff_t first = slab * job->slab;
    const ptrdiff_t count = job->batch - first < job->slab ? job->batch - first : job->slab;
    const ptrdiff_t columns = count * positions;
    for (ptrdiff_t group = 0; group < job->groups; group++) {
      T *unfolded = job->columns ? NAME(kept_columns)(job, first, count, group) : scratch.col;
      const T *col = NAME(slab_unfold)(job, first, count, group, unfolded);
      T *y = job->outputOut + first * job->outputStride + group * rows * positions;
      T *target = count == 1 ? y : scratch.block;
      GEMM(0, 0, rows, columns, fields, 1, job->weight + group * rows * fields, fields, col,
           columns, 0, target, columns);
      if (count == 1 && !job->bias) continue;
      const T *bias = job->bias ? job->bias + group * rows : NULL;
      for (ptrdiff_t i = 0; i < count; i++)  // target is y itself for one image
        NAME(copy_rows)
      (rows, positions, target + i * positions, columns, y + i * job->outputStride, positions,
       bias);
    }
  }
  nabla_buffer_free(scratch.col, scratch.bytes);
}

/// input_n_g = col2im(W_gᵀ · output_n_g) for group `group` of the slab of images first ..<
/// first+count, from g, the slab's output-side rows as one matrix (see slab_gather); `col` is
/// scratch for the slab's im2col-shaped gradient.
static void NAME(fold_slab)(const NAME(ConvImagesJob) * job, ptrdiff_t first, ptrdiff_t count,
                            ptrdiff_t group, const T *g, T *col) {
  const ptrdiff_t rows = job->rows, fields = job->fields, columns = count * job->positions;
  const ptrdiff_t channels = job->geometry.channels;
  NablaConvGeometry geometry = job->geometry;
  geometry.colStride = columns;
  T *x = job->inputOut + first * job->inputStride + group * channels * job->plane;
  const T *w = job->weight + group * rows * fields;
  if (count == 1 && NAME(unfold_is_identity)(&geometry)) {
    GEMM(1, 0, fields, columns, rows, 1, w, fields, g, columns, 0, x, columns);
    return;
  }
  GEMM(1, 0, fields, columns, rows, 1, w, fields, g, columns, 0, col, columns);
  for (ptrdiff_t i = 0; i < count; i++)
    memset(x + i * job->inputStride, 0, (size_t)(channels * job->plane) * sizeof(T));
  NAME(col2im)(&geometry, count, job->inputStride, col, x);
}

// input_n_g = col2im(W_gᵀ · output_n_g), slabs begin ..< end (the input side is overwritten).
static void NAME(conv_images_fold_slabs)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(ConvImagesJob) *job = (const NAME(ConvImagesJob) *)context;
  NAME(SlabScratch) scratch = NAME(slab_scratch)(job);
  for (ptrdiff_t slab = begin; slab < end; slab++) {
    const ptrdiff_t first = slab * job->slab;
    const ptrdiff_t count = job->batch - first < job->slab ? job->batch - first : job->slab;
    for (ptrdiff_t group = 0; group < job->groups; group++) {
      const T *g = NAME(slab_gather)(job, first, count, group, scratch.block);
      NAME(fold_slab)(job, first, count, group, g, scratch.col);
    }
  }
  nabla_buffer_free(scratch.col, scratch.bytes);
}

// Slices begin ..< end of the weight gradient: slice s sums output_n_g · im2col(input_n_g)ᵀ (and
// the rows of output_n_g, for the bias) over its images into partials + s·partialSize; with an
// input side to write, it folds each slab too, while the slab's output rows are at hand. Each
// group's sum is kept transposed, im2col(input_n_g) · output_n_gᵀ (fields x rows): so the product
// reads the im2col matrix where it is and packs the output rows, which are fewer, instead.
static void NAME(conv_images_weight_gradient_slabs)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(ConvImagesJob) *job = (const NAME(ConvImagesJob) *)context;
  const ptrdiff_t rows = job->rows, fields = job->fields, positions = job->positions;
  const ptrdiff_t weightSize = job->groups * rows * fields;
  NAME(SlabScratch) scratch = NAME(slab_scratch)(job);
  for (ptrdiff_t slice = begin; slice < end; slice++) {
    T *partial = job->partials + slice * job->partialSize;
    memset(partial, 0, (size_t)job->partialSize * sizeof(T));
    // A slice is a run of whole slabs, the slabs of the forward (whose columns may be kept).
    const ptrdiff_t slabs = (job->batch + job->slab - 1) / job->slab;
    const ptrdiff_t sliceEnd = (slice + 1) * slabs / job->slices * job->slab;
    const ptrdiff_t last = sliceEnd < job->batch ? sliceEnd : job->batch;
    for (ptrdiff_t first = slice * slabs / job->slices * job->slab; first < last;
         first += job->slab) {
      const ptrdiff_t count = last - first < job->slab ? last - first : job->slab;
      const ptrdiff_t columns = count * positions;
      for (ptrdiff_t group = 0; group < job->groups; group++) {
        const T *col = job->columns && !(count == 1 && NAME(unfold_is_identity)(&job->geometry))
                           ? NAME(kept_columns)(job, first, count, group)
                           : NAME(slab_unfold)(job, first, count, group, scratch.col);
        const T *g = NAME(slab_gather)(job, first, count, group, scratch.block);
        GEMM(0, 1, fields, rows, columns, 1, col, columns, g, columns, 1,
             partial + group * rows * fields, rows);
        // The weight's product has read col; the fold may now use its scratch.
        if (job->inputOut) NAME(fold_slab)(job, first, count, group, g, scratch.col);
        if (job->partialSize == weightSize) continue;
        T *biasPartial = partial + weightSize + group * rows;
        for (ptrdiff_t r = 0; r < rows; r++)
          biasPartial[r] += NAME(row_sum)(g + r * columns, columns);
      }
    }
  }
  nabla_buffer_free(scratch.col, scratch.bytes);
}

/// Runs `count` independent pieces: split over the pool when there are enough of them to keep
/// every thread busy, otherwise one after another so that each GEMM spreads over the pool.
static void NAME(conv_images_run)(ptrdiff_t count, nabla_range_fn fn, NAME(ConvImagesJob) * job) {
  if (count >= nabla_thread_count())
    nabla_parallel_range(count, 1, fn, job);
  else if (count > 0)
    fn(job, 0, count);
}

static NAME(ConvImagesJob) NAME(conv_images_job)(const NablaConvGeometry *geometry, ptrdiff_t batch,
                                                 ptrdiff_t groups, ptrdiff_t rows) {
  NAME(ConvImagesJob) job;
  memset(&job, 0, sizeof job);
  job.geometry = *geometry;
  job.batch = batch;
  job.groups = groups;
  job.rows = rows;
  job.fields = geometry->channels * geometry->kernelHeight * geometry->kernelWidth;
  job.positions = geometry->outHeight * geometry->outWidth;
  job.plane = geometry->height * geometry->width;
  job.inputStride = groups * geometry->channels * job.plane;
  job.outputStride = groups * rows * job.positions;
  // Images per slab: enough for a few hundred GEMM columns, while the slab's im2col matrix stays
  // within about 256 KiB; at least one image.
  const ptrdiff_t wanted = (256 + job.positions - 1) / (job.positions > 0 ? job.positions : 1);
  const ptrdiff_t fits =
      ((ptrdiff_t)256 << 10) / (ptrdiff_t)sizeof(T) / (job.fields * job.positions + 1);
  job.slab = wanted < fits ? wanted : fits;
  if (job.slab > batch) job.slab = batch;
  if (job.slab < 1) job.slab = 1;
  return job;
}

static void NAME(conv_images_forward)(const NablaConvGeometry *geometry, ptrdiff_t batch,
                                      ptrdiff_t groups, ptrdiff_t rows, const T *input,
                                      const T *weight, const T *bias, T *output, T *columns) {
  NAME(ConvImagesJob) job = NAME(conv_images_job)(geometry, batch, groups, rows);
  job.columns = columns;
  job.input = input;
  job.weight = weight;
  job.bias = bias;
  job.outputOut = output;
  NAME(conv_images_run)((batch + job.slab - 1) / job.slab, NAME(conv_images_forward_slabs), &job);
}

static void NAME(conv_images_fold)(const NablaConvGeometry *geometry, ptrdiff_t batch,
                                   ptrdiff_t groups, ptrdiff_t rows, const T *weight,
                                   const T *output, T *input) {
  NAME(ConvImagesJob) job = NAME(conv_images_job)(geometry, batch, groups, rows);
  job.weight = weight;
  job.output = output;
  job.inputOut = input;
  NAME(conv_images_run)((batch + job.slab - 1) / job.slab, NAME(conv_images_fold_slabs), &job);
}

// The slices' sums, added in slice order into the first slice's partial (contiguous loops that
// vectorize), then the weight's moved out of its per-group transposed layout.
static void NAME(sum_slices)(const NAME(ConvImagesJob) * job, T *weightGradient, T *biasGradient) {
  const ptrdiff_t size = job->partialSize, fields = job->fields, rows = job->rows;
  const ptrdiff_t weightSize = job->groups * rows * fields;
  T *restrict total = job->partials;
  for (ptrdiff_t s = 1; s < job->slices; s++) {
    const T *restrict partial = job->partials + s * size;
    for (ptrdiff_t i = 0; i < size; i++) total[i] += partial[i];
  }
  for (ptrdiff_t group = 0; group < job->groups; group++)
    for (ptrdiff_t f = 0; f < fields; f++)
      for (ptrdiff_t r = 0; r < rows; r++)
        weightGradient[(group * rows + r) * fields + f] = total[(group * fields + f) * rows + r];
  if (biasGradient)
    for (ptrdiff_t i = 0; i < job->groups * rows; i++) biasGradient[i] = total[weightSize + i];
}

static void NAME(conv_images_weight_gradient)(const NablaConvGeometry *geometry, ptrdiff_t batch,
                                              ptrdiff_t groups, ptrdiff_t rows, const T *input,
                                              const T *columns, const T *output, T *weightGradient,
                                              T *biasGradient, const T *weight, T *inputGradient) {
  NAME(ConvImagesJob) job = NAME(conv_images_job)(geometry, batch, groups, rows);
  job.columns = (T *)columns;
  job.weight = weight;
  job.inputOut = inputGradient;
  const ptrdiff_t weightSize = groups * rows * job.fields;
  job.partialSize = weightSize + (biasGradient ? groups * rows : 0);
  // The images are cut into a number of slices that depends on the problem, never on the thread
  // count, so the sums run in the same order (and give the same result) however many threads run
  // them: up to 16 slices of whole slabs, their partial sums within 64 MiB.
  const ptrdiff_t budget =
      ((ptrdiff_t)64 << 20) / (ptrdiff_t)sizeof(T) / (job.partialSize > 0 ? job.partialSize : 1);
  ptrdiff_t slices = (batch + job.slab - 1) / job.slab;
  if (slices > 16) slices = 16;
  if (slices > budget) slices = budget;
  if (slices < 1) slices = 1;
  job.slices = slices;
  job.input = input;
  job.output = output;
  job.partials = (T *)nabla_buffer_allocate((size_t)(slices * job.partialSize) * sizeof(T));
  if (batch == 0) memset(job.partials, 0, (size_t)job.partialSize * sizeof(T));
  NAME(conv_images_run)(batch == 0 ? 0 : slices, NAME(conv_images_weight_gradient_slabs), &job);
  NAME(sum_slices)(&job, weightGradient, biasGradient);
  nabla_buffer_free(job.partials, (size_t)(slices * job.partialSize) * sizeof(T));
}
