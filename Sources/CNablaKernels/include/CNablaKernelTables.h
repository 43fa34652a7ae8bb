// CNablaKernelTables: the kernels typed by element type, compiled once per instruction set and
// reached through the table of the set in use (see CNablaKernels.h for the conventions and the
// types they take; this header is included by it).

#ifndef CNABLA_KERNEL_TABLES_H
#define CNABLA_KERNEL_TABLES_H

/// The kernels of float32 tensors compiled for one instruction set (nabla_kernels_f32 gives the
/// table of the one in use). Operands are as described at the top of this header.
typedef struct NablaKernels_f32 {
  // Matrix multiply
  /// See nabla_sgemm.
  void (*gemm)(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
               const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c,
               ptrdiff_t ldc);
  /// See nabla_sgemm_bias.
  void (*gemmWithBias)(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                       const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                       const float *bias, float *c, ptrdiff_t ldc);
  /// `count` GEMMs of one shape (see nabla_sgemm): matrix i of A, B and C starts strideA·i,
  /// strideB·i and strideC·i elements in (a stride of 0 repeats one matrix). Small products are
  /// spread over the thread pool a whole product per task; results do not depend on the threads.
  void (*gemmBatched)(ptrdiff_t count, int transA, int transB, ptrdiff_t m, ptrdiff_t n,
                      ptrdiff_t k, float alpha, const float *a, ptrdiff_t strideA, ptrdiff_t lda,
                      const float *b, ptrdiff_t strideB, ptrdiff_t ldb, float beta, float *c,
                      ptrdiff_t strideC, ptrdiff_t ldc);
  /// See nabla_sgemm_pack_b.
  NablaPackedMatrix *(*packB)(int transB, ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t ldb);
  /// See nabla_sgemm_packed.
  void (*packedGemm)(int transA, ptrdiff_t m, float alpha, const float *a, ptrdiff_t lda,
                     const NablaPackedMatrix *b, float beta, float *c, ptrdiff_t ldc);
  /// See nabla_sgemm_rows_independent.
  int (*rowsIndependent)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k);

  // Elementwise
  /// out (contiguous) = a op b over a broadcast shape; a and b are strided views of that shape.
  void (*binary)(NablaBinaryOp op, ptrdiff_t rank, const ptrdiff_t *shape, const float *a,
                 const ptrdiff_t *aStrides, const float *b, const ptrdiff_t *bStrides, float *out);
  /// out (contiguous) = mask != 0 ? a : b over a broadcast shape of strided views.
  void (*select)(ptrdiff_t rank, const ptrdiff_t *shape, const float *mask,
                 const ptrdiff_t *maskStrides, const float *a, const ptrdiff_t *aStrides,
                 const float *b, const ptrdiff_t *bStrides, float *out);
  /// y = op(x) for n contiguous elements.
  void (*unary)(NablaUnaryOp op, ptrdiff_t n, const float *x, float *y, double p1, double p2);
  /// gx = gy * op'(x), given the input x and the forward output y of the same op.
  void (*unaryBackward)(NablaUnaryOp op, ptrdiff_t n, const float *x, const float *y,
                        const float *gy, float *gx, double p1, double p2);

  // Reductions over the middle axis of [outer, n, inner]
  /// y[o, i] = reduce over j of x[o, j, i]; y is [outer, inner]. Max and min propagate NaN.
  void (*reduce)(NablaReduceOp op, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const float *x,
                 float *y);
  /// index[o, i] = the first j of the max (isMin = 0) or min (isMin = 1) of x[o, j, i].
  void (*argReduce)(int isMin, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const float *x,
                    int64_t *index);
  /// Softmax (isLog = 0) or log-softmax (isLog = 1) along the middle axis, stable for large logits.
  void (*softmax)(int isLog, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const float *x,
                  float *y);
  /// Input gradient of softmax or log-softmax from its output y and output gradient gy.
  void (*softmaxBackward)(int isLog, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const float *y,
                          const float *gy, float *gx);
  /// The class-index negative log-likelihood of log-probabilities logp [rows, classes]: the sum of
  /// -logp[r, targets[r]] over the rows whose target is not ignoreIndex (in row order), whose
  /// number goes to *kept. Every other target must lie in 0 ..< classes.
  float (*nllSum)(ptrdiff_t rows, ptrdiff_t classes, const float *logp, const int64_t *targets,
                  int64_t ignoreIndex, ptrdiff_t *kept);
  /// The gradient of scale·Σ nll with respect to the logits behind log-probabilities logp
  /// [rows, classes]: gx[r, c] = scale·(e^logp[r, c] - [c = targets[r]]), and 0 on the rows whose
  /// target is ignoreIndex.
  void (*crossEntropyBackward)(ptrdiff_t rows, ptrdiff_t classes, const float *logp,
                               const int64_t *targets, int64_t ignoreIndex, float scale, float *gx);

  // Indexing along the middle axis of [outer, n, inner]
  /// gx[o, index[o, j, i], i] += g[o, j, i]: the adjoint of nabla_gather.
  void (*scatterAdd)(ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner, const float *g,
                     const int64_t *index, float *gx);
  /// gx[o, index[j], :] += g[o, j, :]: the adjoint of nabla_index_select.
  void (*indexAdd)(ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner, const float *g,
                   const int64_t *index, float *gx);

  // Optimizer updates
  /// One Adam or AdamW step for n elements, as PyTorch's single-tensor Adam: the moments are
  /// updated in place, maxSecondMoment (AMSGrad, or NULL) keeps the running maximum, and result
  /// receives p − lr/bc1 · m / (√v / √bc2 + eps).
  void (*adamUpdate)(ptrdiff_t n, const float *parameter, const float *gradient, float *firstMoment,
                     float *secondMoment, float *maxSecondMoment, float *result,
                     const NablaAdamStep *step);
  /// One SGD step for n elements, as PyTorch's: d = g + weightDecay·p; with a momentum buffer
  /// (NULL for none) buf = d on the first step, else momentum·buf + (1 − dampening)·d, and d = buf
  /// (or d + momentum·buf with Nesterov); result receives p − lr·d.
  void (*sgdUpdate)(ptrdiff_t n, const float *parameter, const float *gradient,
                    float *momentumBuffer, float *result, const NablaSGDStep *step);

  // Recurrent steps (LSTM, GRU, Elman RNN)
  /// Elman step: hNext = tanh or relu (relu != 0) of xg + hg + bias; all [n, h].
  void (*rnnStep)(const NablaRecurrentStep *step, int relu, const float *xg, const float *hg,
                  const float *bias, const float *hPrev, float *hNext, float *out);
  /// Backward of rnnStep from its output hNext: dPre [n, h] is the pre-activation
  /// gradient.
  void (*rnnStepBackward)(const NablaRecurrentStep *step, int relu, const float *hNext,
                          const float *dOut, const float *dh, float *dPre, float *dhCarry);
  /// LSTM step: xg, hg, act are [n, 4h], bias [4h]; act receives the gate activations
  /// (σ(i), σ(f), tanh(g), σ(o)) and tanhC receives tanh(cNext), both kept for backward.
  void (*lstmStep)(const NablaRecurrentStep *step, const float *xg, const float *hg,
                   const float *bias, const float *hPrev, const float *cPrev, float *act,
                   float *tanhC, float *hNext, float *cNext, float *out);
  /// Backward of lstmStep: dc holds the gradient of cNext on entry and that of cPrev on
  /// return; dGates [n, 4h] is the gradient of the gate pre-activations (of xg and of hg alike).
  void (*lstmStepBackward)(const NablaRecurrentStep *step, const float *act, const float *tanhC,
                           const float *cPrev, const float *dOut, const float *dh, float *dc,
                           float *dGates, float *dhCarry);
  /// GRU step: xg, hg are [n, 3h], bias [3h]; act receives (r, z, n, hg_n + b_hn) for backward,
  /// four blocks [n, h] that start `stride` elements apart (n·h; for n rows of a larger batch, the
  /// batch's rows times h, each block being those rows of the batch's block);
  /// n = tanh(xg_n + r * (hg_n + b_hn)), hNext = (1 - z) * n + z * hPrev.
  void (*gruStep)(const NablaRecurrentStep *step, const float *xg, const float *hg,
                  const float *bias, const float *hPrev, float *act, ptrdiff_t stride, float *hNext,
                  float *out);
  /// Backward of gruStep: dXg and dHg [n, 3h] are the gradients of xg and of hg + bias.
  void (*gruStepBackward)(const NablaRecurrentStep *step, const float *act, ptrdiff_t stride,
                          const float *hPrev, const float *dOut, const float *dh, float *dXg,
                          float *dHg, float *dhCarry);

  // Layer normalization
  /// Layer normalization of `rows` rows of d elements: y = (x − mean)·rstd·weight + bias with the
  /// biased variance and rstd = 1/√(var + epsilon); weight and bias (d elements) may be NULL. The
  /// mean and rstd of each row are written for the backward.
  void (*layerNorm)(ptrdiff_t rows, ptrdiff_t d, const float *x, const float *weight,
                    const float *bias, double epsilon, float *y, float *mean, float *rstd);
  /// The backward of layerNorm for the output gradient gy: the input gradient (gx, may
  /// be NULL) and the weight and bias gradients (sums over the rows, in an order that does not
  /// depend on the thread count; either may be NULL); all overwritten.
  void (*layerNormBackward)(ptrdiff_t rows, ptrdiff_t d, const float *x, const float *weight,
                            const float *mean, const float *rstd, const float *gy, float *gx,
                            float *weightGradient, float *biasGradient);

  // Attention
  /// Multi-head self-attention without masks from packed projections qkv [batch, length, 3·width]
  /// (query, key and value side by side; head h uses columns h·d ..< (h+1)·d of each, d =
  /// width/heads): weights [batch, heads, length, length] = softmax(scale·Q·Kᵀ) per head, and
  /// output [batch, length, width] with head h's weights·V in its columns h·d ..< (h+1)·d.
  void (*attentionHeads)(ptrdiff_t batch, ptrdiff_t heads, ptrdiff_t length, ptrdiff_t width,
                         double scale, const float *qkv, float *weights, float *output);
  /// The backward of attentionHeads: the gradient of qkv (overwritten) for the output
  /// gradient `gradient`, given the saved weights.
  void (*attentionHeadsBackward)(ptrdiff_t batch, ptrdiff_t heads, ptrdiff_t length,
                                 ptrdiff_t width, double scale, const float *qkv,
                                 const float *weights, const float *gradient, float *qkvGradient);

  // Convolution and pooling over planes [channels, height, width] (1-D: height 1)
  /// See nabla_im2col_f32.
  void (*im2col)(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                 const float *x, float *col);
  /// See nabla_col2im_f32.
  void (*col2im)(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                 float *col, float *x);
  /// The max pool's backward: gx (planes x plane, overwritten) gets each output's gradient g added
  /// at the flat position of its maximum within its plane (from maxPool), 0 elsewhere.
  void (*maxPoolBackward)(ptrdiff_t planes, ptrdiff_t plane, ptrdiff_t outPlane, const float *g,
                          const int64_t *positions, float *gx);
  /// Convolution image by image (each image's im2col matrix stays in cache): for every image n and
  /// group g, output_n_g = W_g · im2col(input_n_g) + bias_g. The geometry describes one group of
  /// one image (its colStride is ignored); W_g is the `rows` x fields block at row g·rows of
  /// `weight` (fields = channels·kh·kw); images are [groups·channels, height, width] on the input
  /// side and [groups·rows, outHeight, outWidth] on the output side. `bias` (groups·rows) may be
  /// NULL. `columns`, unless NULL, receives every image's im2col matrices
  /// (batch·groups·fields·positions elements) for convolutionWeightGradient, which then need not
  /// unfold again.
  void (*convolutionForward)(const NablaConvGeometry *geometry, ptrdiff_t batch, ptrdiff_t groups,
                             ptrdiff_t rows, const float *input, const float *weight,
                             const float *bias, float *output, float *columns);
  /// The adjoint of the convolution's input: input_n_g = col2im(W_gᵀ · output_n_g), in the layout
  /// of convolutionForward. `input` is overwritten.
  void (*convolutionFold)(const NablaConvGeometry *geometry, ptrdiff_t batch, ptrdiff_t groups,
                          ptrdiff_t rows, const float *weight, const float *output, float *input);
  /// The adjoint of the convolution's weight: weightGradient_g = Σ_n output_n_g ·
  /// im2col(input_n_g)ᵀ and, unless NULL, biasGradient = the sums of the output rows; both are
  /// overwritten. The sums run in an order that does not depend on the thread count. `columns` are
  /// the forward's kept im2col matrices of `input`, or NULL to unfold the input again. Unless
  /// `inputGradient` is NULL, it also receives the fold of `output` with `weight` (see
  /// convolutionFold), computed in the same pass while each block of `output` is in cache.
  void (*convolutionWeightGradient)(const NablaConvGeometry *geometry, ptrdiff_t batch,
                                    ptrdiff_t groups, ptrdiff_t rows, const float *input,
                                    const float *columns, const float *output,
                                    float *weightGradient, float *biasGradient, const float *weight,
                                    float *inputGradient);
  /// y = the largest element of each window of each of `planes` planes (NaN wins); argmax gets its
  /// flat position within the plane (the first of ties).
  void (*maxPool)(ptrdiff_t planes, const NablaPoolWindows *windows, const float *x, float *y,
                  int64_t *argmax);
  /// y = the sum of each window divided by rowDivisor[oy] * columnDivisor[ox].
  void (*averagePool)(ptrdiff_t planes, const NablaPoolWindows *windows, const int64_t *rowDivisor,
                      const int64_t *columnDivisor, const float *x, float *y);
  /// The adjoint of averagePool: adds each output gradient, divided, into its window of gx.
  void (*averagePoolBackward)(ptrdiff_t planes, const NablaPoolWindows *windows,
                              const int64_t *rowDivisor, const int64_t *columnDivisor,
                              const float *gy, float *gx);
} NablaKernels_f32;

/// The kernels of float64 tensors: those of NablaKernels_f32 with double for float.
typedef struct NablaKernels_f64 {
  void (*gemm)(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
               const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
               double *c, ptrdiff_t ldc);
  void (*gemmWithBias)(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                       const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
                       const double *bias, double *c, ptrdiff_t ldc);
  void (*gemmBatched)(ptrdiff_t count, int transA, int transB, ptrdiff_t m, ptrdiff_t n,
                      ptrdiff_t k, double alpha, const double *a, ptrdiff_t strideA, ptrdiff_t lda,
                      const double *b, ptrdiff_t strideB, ptrdiff_t ldb, double beta, double *c,
                      ptrdiff_t strideC, ptrdiff_t ldc);
  NablaPackedMatrix *(*packB)(int transB, ptrdiff_t k, ptrdiff_t n, const double *b, ptrdiff_t ldb);
  void (*packedGemm)(int transA, ptrdiff_t m, double alpha, const double *a, ptrdiff_t lda,
                     const NablaPackedMatrix *b, double beta, double *c, ptrdiff_t ldc);
  int (*rowsIndependent)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k);
  void (*binary)(NablaBinaryOp op, ptrdiff_t rank, const ptrdiff_t *shape, const double *a,
                 const ptrdiff_t *aStrides, const double *b, const ptrdiff_t *bStrides,
                 double *out);
  void (*select)(ptrdiff_t rank, const ptrdiff_t *shape, const double *mask,
                 const ptrdiff_t *maskStrides, const double *a, const ptrdiff_t *aStrides,
                 const double *b, const ptrdiff_t *bStrides, double *out);
  void (*unary)(NablaUnaryOp op, ptrdiff_t n, const double *x, double *y, double p1, double p2);
  void (*unaryBackward)(NablaUnaryOp op, ptrdiff_t n, const double *x, const double *y,
                        const double *gy, double *gx, double p1, double p2);
  void (*reduce)(NablaReduceOp op, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const double *x,
                 double *y);
  void (*argReduce)(int isMin, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const double *x,
                    int64_t *index);
  void (*softmax)(int isLog, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const double *x,
                  double *y);
  void (*softmaxBackward)(int isLog, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t inner, const double *y,
                          const double *gy, double *gx);
  double (*nllSum)(ptrdiff_t rows, ptrdiff_t classes, const double *logp, const int64_t *targets,
                   int64_t ignoreIndex, ptrdiff_t *kept);
  void (*crossEntropyBackward)(ptrdiff_t rows, ptrdiff_t classes, const double *logp,
                               const int64_t *targets, int64_t ignoreIndex, double scale,
                               double *gx);
  void (*scatterAdd)(ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner, const double *g,
                     const int64_t *index, double *gx);
  void (*indexAdd)(ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner, const double *g,
                   const int64_t *index, double *gx);
  void (*adamUpdate)(ptrdiff_t n, const double *parameter, const double *gradient,
                     double *firstMoment, double *secondMoment, double *maxSecondMoment,
                     double *result, const NablaAdamStep *step);
  void (*sgdUpdate)(ptrdiff_t n, const double *parameter, const double *gradient,
                    double *momentumBuffer, double *result, const NablaSGDStep *step);
  void (*rnnStep)(const NablaRecurrentStep *step, int relu, const double *xg, const double *hg,
                  const double *bias, const double *hPrev, double *hNext, double *out);
  void (*rnnStepBackward)(const NablaRecurrentStep *step, int relu, const double *hNext,
                          const double *dOut, const double *dh, double *dPre, double *dhCarry);
  void (*lstmStep)(const NablaRecurrentStep *step, const double *xg, const double *hg,
                   const double *bias, const double *hPrev, const double *cPrev, double *act,
                   double *tanhC, double *hNext, double *cNext, double *out);
  void (*lstmStepBackward)(const NablaRecurrentStep *step, const double *act, const double *tanhC,
                           const double *cPrev, const double *dOut, const double *dh, double *dc,
                           double *dGates, double *dhCarry);
  void (*gruStep)(const NablaRecurrentStep *step, const double *xg, const double *hg,
                  const double *bias, const double *hPrev, double *act, ptrdiff_t stride,
                  double *hNext, double *out);
  void (*gruStepBackward)(const NablaRecurrentStep *step, const double *act, ptrdiff_t stride,
                          const double *hPrev, const double *dOut, const double *dh, double *dXg,
                          double *dHg, double *dhCarry);
  void (*layerNorm)(ptrdiff_t rows, ptrdiff_t d, const double *x, const double *weight,
                    const double *bias, double epsilon, double *y, double *mean, double *rstd);
  void (*layerNormBackward)(ptrdiff_t rows, ptrdiff_t d, const double *x, const double *weight,
                            const double *mean, const double *rstd, const double *gy, double *gx,
                            double *weightGradient, double *biasGradient);
  void (*attentionHeads)(ptrdiff_t batch, ptrdiff_t heads, ptrdiff_t length, ptrdiff_t width,
                         double scale, const double *qkv, double *weights, double *output);
  void (*attentionHeadsBackward)(ptrdiff_t batch, ptrdiff_t heads, ptrdiff_t length,
                                 ptrdiff_t width, double scale, const double *qkv,
                                 const double *weights, const double *gradient,
                                 double *qkvGradient);
  void (*im2col)(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                 const double *x, double *col);
  void (*col2im)(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                 double *col, double *x);
  void (*maxPoolBackward)(ptrdiff_t planes, ptrdiff_t plane, ptrdiff_t outPlane, const double *g,
                          const int64_t *positions, double *gx);
  void (*convolutionForward)(const NablaConvGeometry *geometry, ptrdiff_t batch, ptrdiff_t groups,
                             ptrdiff_t rows, const double *input, const double *weight,
                             const double *bias, double *output, double *columns);
  void (*convolutionFold)(const NablaConvGeometry *geometry, ptrdiff_t batch, ptrdiff_t groups,
                          ptrdiff_t rows, const double *weight, const double *output,
                          double *input);
  void (*convolutionWeightGradient)(const NablaConvGeometry *geometry, ptrdiff_t batch,
                                    ptrdiff_t groups, ptrdiff_t rows, const double *input,
                                    const double *columns, const double *output,
                                    double *weightGradient, double *biasGradient,
                                    const double *weight, double *inputGradient);
  void (*maxPool)(ptrdiff_t planes, const NablaPoolWindows *windows, const double *x, double *y,
                  int64_t *argmax);
  void (*averagePool)(ptrdiff_t planes, const NablaPoolWindows *windows, const int64_t *rowDivisor,
                      const int64_t *columnDivisor, const double *x, double *y);
  void (*averagePoolBackward)(ptrdiff_t planes, const NablaPoolWindows *windows,
                              const int64_t *rowDivisor, const int64_t *columnDivisor,
                              const double *gy, double *gx);
} NablaKernels_f64;

/// The instruction sets the kernels are compiled for: the baseline of the target (x86-64 without
/// AVX; on arm64, NEON), and on x86-64 also x86-64-v3 (AVX2, FMA, BMI2) and x86-64-v4 (AVX-512).
typedef enum { NABLA_ISA_BASELINE, NABLA_ISA_X86_64_V3, NABLA_ISA_X86_64_V4 } NablaISA;

/// The instruction set whose kernels run, chosen once: the best this CPU runs, or the one the
/// environment variable NABLA_ISA names (baseline, x86-64-v3, x86-64-v4) if the CPU runs it.
NablaISA nabla_isa(void);
/// The float32 kernels for nabla_isa().
const NablaKernels_f32 *nabla_kernels_f32(void);
/// The float64 kernels for nabla_isa().
const NablaKernels_f64 *nabla_kernels_f64(void);

#endif
