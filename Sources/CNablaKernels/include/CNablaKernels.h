// CNablaKernels: the hot loops of Nabla.
//
// Every function here works on raw pointers, sizes and strides (in elements, not bytes). Nothing
// allocates Swift objects and nothing decides policy: shapes are checked by the Swift caller.
// Tensors are row-major. "Strided" operands describe a view: element (i0, ..., ir-1) lives at
// ptr[i0 * strides[0] + ... + ir-1 * strides[r-1]]; a stride of 0 broadcasts.
//
// The kernels typed by element type are compiled once per instruction set and reached through
// the table of the set in use (NablaKernels_f32 and NablaKernels_f64, in CNablaKernelTables.h);
// the GEMM, im2col and col2im also have entry points of their own, which call the table.

#ifndef CNABLA_KERNELS_H
#define CNABLA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The largest rank the strided kernels accept.
#define NABLA_MAX_RANK 16

// MARK: - Autograd recording

/// Whether the current thread is inside a scope that records no operations (nonzero if so).
int nabla_recording_paused(void);
/// Enters a scope without recording on the current thread; scopes nest.
void nabla_pause_recording(void);
/// Leaves the innermost scope entered with nabla_pause_recording.
void nabla_resume_recording(void);
/// Turns recording back on for this thread, returning how many scopes had paused it (for
/// nabla_restore_recording_pauses): a checkpoint recomputes its body with a graph during backward.
int nabla_lift_recording_pauses(void);
/// Restores the pauses that nabla_lift_recording_pauses lifted.
void nabla_restore_recording_pauses(int depth);
/// The checkpoint scope whose nodes this thread is recording now (0 outside any).
long nabla_recording_scope(void);
/// Sets the checkpoint scope of the nodes this thread records; returns the previous one.
long nabla_set_recording_scope(long scope);
/// A checkpoint scope number not handed out before (from 1 up, on any thread).
long nabla_new_recording_scope(void);
/// How many scopes that check every op for NaN and infinity the current thread is inside.
int nabla_anomaly_depth(void);
/// Sets that count for the current thread (to enter, leave or suspend such scopes).
void nabla_set_anomaly_depth(int depth);

// MARK: - Buffers

/// Allocates `bytes` (64-byte aligned), reusing a buffer freed earlier when one of the right size
/// class is cached. Returns NULL when memory runs out.
void *nabla_buffer_allocate(size_t bytes);

/// Frees a buffer from nabla_buffer_allocate, given the size it was asked for; large buffers
/// are kept for reuse up to a bounded total.
void nabla_buffer_free(void *buffer, size_t bytes);

/// Returns every cached buffer to the system.
void nabla_buffer_release_cache(void);

/// The bytes of tensor buffers allocated and not yet freed, on all threads.
size_t nabla_buffer_live_bytes(void);
/// The most nabla_buffer_live_bytes has been since the start or the last nabla_buffer_reset_peak.
size_t nabla_buffer_peak_bytes(void);
/// Starts measuring the peak again from the bytes live now.
void nabla_buffer_reset_peak(void);

// MARK: - Threads

/// A task of a parallel loop: `index` runs from 0 to the loop's count - 1.
typedef void (*nabla_task_fn)(void *context, ptrdiff_t index);

/// Runs fn(context, i) for i in 0..<count on the worker pool and the calling thread, and returns
/// when all are done. Tasks must be independent; a parallel loop started inside a task runs on
/// that task's thread. Jobs from several threads run one at a time.
void nabla_parallel_for(ptrdiff_t count, nabla_task_fn fn, void *context);

/// A piece of a parallel range: the elements begin ..< end.
typedef void (*nabla_range_fn)(void *context, ptrdiff_t begin, ptrdiff_t end);

/// Splits 0 ..< count into pieces of at least `grain` elements run on the pool (or runs it whole
/// on the caller when it is small); pieces must be independent.
void nabla_parallel_range(ptrdiff_t count, ptrdiff_t grain, nabla_range_fn fn, void *context);

/// The number of threads kernels use (by default one per core).
int nabla_thread_count(void);

/// Sets the number of threads kernels use; 0 restores one per core, 1 runs on the caller alone.
void nabla_set_thread_count(int count);

// MARK: - Matrix multiply

/// C = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or its transpose.
/// op(A) is m x k, op(B) is k x n, C is m x n; lda, ldb, ldc are the row strides of A, B, C as
/// stored. With beta == 0, C is not read (NaNs in it do not propagate).
void nabla_sgemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                 const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta, float *c,
                 ptrdiff_t ldc);
/// Double-precision form of nabla_sgemm.
void nabla_dgemm(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                 const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
                 double *c, ptrdiff_t ldc);

/// nabla_sgemm with a bias: C = alpha * op(A) * op(B) + beta * C + bias, the n values of bias
/// added to every row (a linear layer's bias, without a separate pass over C).
void nabla_sgemm_bias(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, float alpha,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                      const float *bias, float *c, ptrdiff_t ldc);
/// Double-precision form of nabla_sgemm_bias.
void nabla_dgemm_bias(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, double alpha,
                      const double *a, ptrdiff_t lda, const double *b, ptrdiff_t ldb, double beta,
                      const double *bias, double *c, ptrdiff_t ldc);

/// Whether each row of C of an m x n x k nabla_sgemm (any transposes, packed or not) is
/// computed on its own: the same bits whatever the other rows of A are and however many rows
/// there are. Code that splits a product's rows over threads and must give the bits of the
/// unsplit product asks this for its smallest share of rows. True for any m at least as large.
int nabla_sgemm_rows_independent(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k);
/// Double-precision form of nabla_sgemm_rows_independent.
int nabla_dgemm_rows_independent(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k);

/// op(B) packed once for many products with it (a recurrent layer's weight at every step).
typedef struct NablaPackedMatrix NablaPackedMatrix;

/// Packs op(B), k x n, for nabla_sgemm_packed. B must stay alive and unchanged while the packed
/// matrix is used; free it with nabla_packed_matrix_free.
NablaPackedMatrix *nabla_sgemm_pack_b(int transB, ptrdiff_t k, ptrdiff_t n, const float *b,
                                      ptrdiff_t ldb);
/// Double-precision form of nabla_sgemm_pack_b.
NablaPackedMatrix *nabla_dgemm_pack_b(int transB, ptrdiff_t k, ptrdiff_t n, const double *b,
                                      ptrdiff_t ldb);
/// nabla_sgemm with op(B) packed beforehand: C (m x n) = alpha * op(A) * op(B) + beta * C, with
/// k and n those of the packed matrix. Gives exactly what nabla_sgemm gives.
void nabla_sgemm_packed(int transA, ptrdiff_t m, float alpha, const float *a, ptrdiff_t lda,
                        const NablaPackedMatrix *b, float beta, float *c, ptrdiff_t ldc);
/// Double-precision form of nabla_sgemm_packed.
void nabla_dgemm_packed(int transA, ptrdiff_t m, double alpha, const double *a, ptrdiff_t lda,
                        const NablaPackedMatrix *b, double beta, double *c, ptrdiff_t ldc);
/// Frees a packed matrix (NULL is allowed).
void nabla_packed_matrix_free(NablaPackedMatrix *packed);

/// Runs `iterations` rounds of independent FMA chains on the calling core (the benchmark's
/// measure of the machine's limit) and returns the floating-point operations per round, or 0
/// where no x86 FMA path exists; the result goes to *sink so the work is not optimized away.
double nabla_fma_flops_per_iteration(ptrdiff_t iterations, float *sink);

// The switches that choose a GEMM micro-kernel or turn the short-row loops off, for Nabla's
// tests and benchmark only, are in CNablaKernelsTesting.h (included at the end).

// MARK: - Copies

/// Copies a strided view of elements of elementSize bytes (1, 2, 4 or 8) into another strided view.
void nabla_copy_strided(ptrdiff_t elementSize, ptrdiff_t rank, const ptrdiff_t *shape,
                        const void *src, const ptrdiff_t *srcStrides, void *dst,
                        const ptrdiff_t *dstStrides);

/// Converts n elements between element types, by code: 0 float32, 1 float64, 2 int64, 3 float16,
/// 4 bfloat16, 5 int32, 6 uint8, 7 int8, 8 bool. Half-precision results round to nearest even,
/// integer results truncate toward zero and keep their low bits, and bool results are 1 for
/// nonzero values (NaN among them).
void nabla_convert(ptrdiff_t n, int fromType, const void *src, int toType, void *dst);

/// The bytes one element of the type with conversion code `type` occupies.
ptrdiff_t nabla_element_size(int type);

// MARK: - Elementwise

/// Binary elementwise operations. Comparisons write 1 for true and 0 for false.
typedef enum {
  NABLA_ADD,
  NABLA_SUB,
  NABLA_MUL,
  NABLA_DIV,
  NABLA_MAXIMUM,
  NABLA_MINIMUM,
  NABLA_POW,
  NABLA_EQ,
  NABLA_NE,
  NABLA_LT,
  NABLA_LE,
  NABLA_GT,
  NABLA_GE
} NablaBinaryOp;

/// Unary elementwise operations; p1 and p2 are the parameters noted beside each.
typedef enum {
  NABLA_NEG,
  NABLA_EXP,
  NABLA_LOG,
  NABLA_SQRT,
  NABLA_RSQRT,
  NABLA_ABS,
  NABLA_SIGN,
  NABLA_RELU,
  NABLA_LEAKY_RELU /* p1 = negative slope */,
  NABLA_ELU /* p1 = alpha */,
  NABLA_GELU,
  NABLA_GELU_TANH,
  NABLA_SIGMOID,
  NABLA_TANH,
  NABLA_SOFTPLUS /* p1 = beta, p2 = threshold */,
  NABLA_POW_SCALAR /* p1 = exponent */,
  NABLA_CLAMP /* p1 = low, p2 = high */
} NablaUnaryOp;

// MARK: - Reductions over the middle axis of [outer, n, inner]

typedef enum { NABLA_REDUCE_SUM, NABLA_REDUCE_MAX, NABLA_REDUCE_MIN } NablaReduceOp;

// MARK: - Indexing along the middle axis of [outer, n, inner]

/// out[o, j, i] = x[o, index[o, j, i], i] where x is [outer, n, inner] and index/out are
/// [outer, m, inner]. Indices are checked by the caller.
void nabla_gather(ptrdiff_t elementSize, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner,
                  const void *x, const int64_t *index, void *out);

/// out[o, j, :] = x[o, index[j], :] with x [outer, n, inner] and out [outer, m, inner].
void nabla_index_select(ptrdiff_t elementSize, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m,
                        ptrdiff_t inner, const void *x, const int64_t *index, void *out);

// MARK: - Optimizer updates

/// The settings of one Adam or AdamW step.
typedef struct NablaAdamStep {
  double learningRate, beta1, beta2, epsilon;
  /// Adam's L2 penalty, added to the gradient.
  double weightDecay;
  /// AdamW's decay, which shrinks the parameter by 1 − learningRate · decoupledDecay.
  double decoupledDecay;
  /// 1 − beta1^t and 1 − beta2^t at step t.
  double biasCorrection1, biasCorrection2;
} NablaAdamStep;

/// The settings of one SGD step.
typedef struct NablaSGDStep {
  double learningRate, momentum, dampening, weightDecay;
  /// Whether the momentum buffer starts on this step (then it is set to the direction).
  int firstStep;
  /// Whether to step along d + momentum · buffer rather than the buffer.
  int nesterov;
} NablaSGDStep;

// MARK: - Recurrent steps (LSTM, GRU, Elman RNN)
//
// The pointwise part of one time step (`step`: a batch of n rows, hidden size h, time t and the
// rows' lengths, below written n, h, t and lengths for short): the caller computes
// xg = x·W_ihᵀ + b_ih (all steps at once) and hg = h_prev·W_hhᵀ (per step) with GEMM; bias is
// b_hh (NULL for none). Gate blocks follow PyTorch: LSTM (i, f, g, o), GRU (r, z, n). Row b is
// active when lengths is NULL or t < lengths[b]; an inactive row keeps its state (hNext = hPrev),
// writes 0 to out and, backward, passes dh through to dhCarry with zero gate gradients. out and
// dOut may be NULL. Backward kernels take dh (gradient of the state after the step) and write the
// gate gradients and dhCarry (the part of dh_prev that does not go through W_hh).

/// Where a recurrent step is: `batch` sequences of `hidden` features at step `time`; row b
/// takes part while time < lengths[b] (every row when `lengths` is NULL) and otherwise carries its
/// state through.
typedef struct NablaRecurrentStep {
  ptrdiff_t batch, hidden, time;
  const int64_t *lengths;
} NablaRecurrentStep;

// MARK: - Layer normalization

// MARK: - Attention

// MARK: - Convolution and pooling over planes [channels, height, width] (1-D: height 1)

/// The geometry of a convolution: input planes, kernel, stride, dilation, the zero padding before
/// each axis (padding after is implied by the output size), the output size, and colStride, the
/// distance between consecutive rows of the col matrix (outHeight * outWidth for one image; more
/// when the columns of several images sit side by side).
typedef struct {
  ptrdiff_t channels, height, width;
  ptrdiff_t kernelHeight, kernelWidth;
  ptrdiff_t strideHeight, strideWidth;
  ptrdiff_t dilationHeight, dilationWidth;
  ptrdiff_t padTop, padLeft;
  ptrdiff_t outHeight, outWidth;
  ptrdiff_t colStride;
} NablaConvGeometry;

/// The im2col matrices of `count` images side by side: image n reads x + n*imageStride and owns
/// the columns from n*outHeight*outWidth, and col[(c, i, j), (n, y, x)] =
/// x_n[c, y*sh - padTop + i*dh, x*sw - padLeft + j*dw], or 0 outside the input; col has
/// channels * kh * kw rows, colStride apart.
void nabla_im2col_f32(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                      const float *x, float *col);
/// Double-precision form of nabla_im2col_f32.
void nabla_im2col_f64(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                      const double *x, double *col);

/// The adjoint of im2col: adds every entry of col into the input position it was read from
/// (x is accumulated into, not cleared). Entries of col that im2col fills from padding are
/// ignored, and may be set to 0.
void nabla_col2im_f32(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                      float *col, float *x);
/// Double-precision form of nabla_col2im_f32.
void nabla_col2im_f64(const NablaConvGeometry *geometry, ptrdiff_t count, ptrdiff_t imageStride,
                      double *col, double *x);

/// The windows of a pooling: output row oy reads input rows rowStart[oy] + i*rowStep for
/// i < rowCount[oy] (all inside the input, at least one), and likewise for columns.
typedef struct {
  ptrdiff_t height, width, outHeight, outWidth;
  const int64_t *rowStart, *rowCount;
  ptrdiff_t rowStep;
  const int64_t *columnStart, *columnCount;
  ptrdiff_t columnStep;
} NablaPoolWindows;

// The tables of the typed kernels, one per instruction set and element type.
#include "CNablaKernelTables.h"

// Internal: test and benchmark switches, not an interface (see that header).
#include "CNablaKernelsTesting.h"

#endif
