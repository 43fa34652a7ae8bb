// The GEMM for one element type (see prelude.h), BLIS-style: op(B) is packed into panels NR
// columns wide and op(A) into panels MR rows tall, blocked so that a B micro-panel (KC x NR)
// stays in L1 while the A block (MC x KC) stays in L2; a register-blocked micro-kernel computes
// each MR x NR tile of C. Packing reads through the transposes, so no transpose is ever copied.
// Small products skip packing. Large ones split their columns (or rows) over the thread pool;
// every element of C sees the same sequence of operations whatever the split, so results do not
// depend on the thread count.

#include "micro_kernel.h"

/// Element (i, p) of op(A).
#define OP_A(i, p) (transA ? a[(p)*lda + (i)] : a[(i)*lda + (p)])

typedef T NAME(Vector4) __attribute__((ext_vector_type(4)));

/// dst[p * ldd + i] = src[i * lds + p] for i < rows, p < columns: a transposing copy, by 4 x 4
/// blocks transposed in registers where the block is whole.
static void NAME(transpose_copy)(const T *src, ptrdiff_t lds, ptrdiff_t rows, ptrdiff_t columns,
                                 T *dst, ptrdiff_t ldd) {
  ptrdiff_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const T *s = src + i * lds;
    ptrdiff_t p = 0;
    for (; p + 4 <= columns; p += 4) {
      NAME(Vector4) r0, r1, r2, r3;
      memcpy(&r0, s + p, sizeof r0);
      memcpy(&r1, s + lds + p, sizeof r1);
      memcpy(&r2, s + 2 * lds + p, sizeof r2);
      memcpy(&r3, s + 3 * lds + p, sizeof r3);
      NAME(Vector4) t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
      NAME(Vector4) t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
      NAME(Vector4) t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
      NAME(Vector4) t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
      NAME(Vector4) c0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
      NAME(Vector4) c1 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
      NAME(Vector4) c2 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
      NAME(Vector4) c3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
      memcpy(dst + p * ldd + i, &c0, sizeof c0);
      memcpy(dst + (p + 1) * ldd + i, &c1, sizeof c1);
      memcpy(dst + (p + 2) * ldd + i, &c2, sizeof c2);
      memcpy(dst + (p + 3) * ldd + i, &c3, sizeof c3);
    }
    for (; p < columns; p++)
      for (ptrdiff_t r = 0; r < 4; r++) dst[p * ldd + i + r] = s[r * lds + p];
  }
  for (; i < rows; i++)
    for (ptrdiff_t p = 0; p < columns; p++) dst[p * ldd + i] = src[i * lds + p];
}

/// Packs op(A)[i0 ..< i0+mc, p0 ..< p0+kc] into MR-row panels, zero-padding the last one.
static void NAME(pack_a)(int transA, const T *a, ptrdiff_t lda, ptrdiff_t i0, ptrdiff_t p0,
                         ptrdiff_t mc, ptrdiff_t kc, int mr, T *packed) {
  for (ptrdiff_t ir = 0; ir < mc; ir += mr) {
    ptrdiff_t rows = mc - ir < mr ? mc - ir : mr;
    // A partial panel is cleared whole first: one call, not a short clearing loop per step.
    if (rows < mr) memset(packed, 0, sizeof(T) * (size_t)(mr * kc));
    if (transA) {  // op(A) rows are A's columns: each step p reads a contiguous run
      for (ptrdiff_t p = 0; p < kc; p++) {
        const T *source = a + (p0 + p) * lda + i0 + ir;
        for (ptrdiff_t i = 0; i < rows; i++) packed[p * mr + i] = source[i];
      }
    } else {  // rows of A run along p: transpose them into the panel
      NAME(transpose_copy)(a + (i0 + ir) * lda + p0, lda, rows, kc, packed, mr);
    }
    packed += mr * kc;
  }
}

/// Packs op(B)[p0 ..< p0+kc, j0 ..< j0+nc] into NR-column panels, zero-padding the last one.
static void NAME(pack_b)(int transB, const T *b, ptrdiff_t ldb, ptrdiff_t p0, ptrdiff_t j0,
                         ptrdiff_t kc, ptrdiff_t nc, int nr, T *packed) {
  for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
    ptrdiff_t columns = nc - jr < nr ? nc - jr : nr;
    if (columns < nr) memset(packed, 0, sizeof(T) * (size_t)(nr * kc));  // as in pack_a
    if (transB) {  // op(B) columns are B's rows, running along p: transpose them into the panel
      NAME(transpose_copy)(b + (j0 + jr) * ldb + p0, ldb, columns, kc, packed, nr);
    } else {
      for (ptrdiff_t p = 0; p < kc; p++) {
        const T *source = b + (p0 + p) * ldb + j0 + jr;
        for (ptrdiff_t j = 0; j < columns; j++) packed[p * nr + j] = source[j];
      }
    }
    packed += nr * kc;
  }
}

/// One GEMM problem, and the part of C a task computes.
typedef struct {
  int transA, transB;
  ptrdiff_t m, n, k, lda, ldb, ldc;
  T alpha, beta;
  const T *a, *b;
  T *c;
  NAME(KernelChoice) kernel;
  int splitRows;
  ptrdiff_t chunk;   // rows or columns per task, a multiple of the tile size
  const T *packedB;  // op(B) packed whole beforehand (see pack_b_whole), or NULL
  const T *bias;     // n values added to every row of C, or NULL
} NAME(GemmJob);

/// C[rows, columns] = beta·C + bias (bias along each row), or bias alone when beta == 0: the
/// bias goes into C before the product is added to it, as a kernel with beta = 1 then does.
static void NAME(add_bias)(T *c, ptrdiff_t ldc, ptrdiff_t rows, ptrdiff_t columns, T beta,
                           const T *bias) {
  for (ptrdiff_t i = 0; i < rows; i++) {
    T *restrict row = c + i * ldc;
    if (beta == 0)
      for (ptrdiff_t j = 0; j < columns; j++) row[j] = bias[j];
    else
      for (ptrdiff_t j = 0; j < columns; j++) row[j] = fma(beta, row[j], bias[j]);
  }
}

/// The size of op(B) (k x n) packed whole for `kernel`: for each block of kc rows, panels of nr
/// columns for all n columns (the last zero-padded), so that the panel of any column c0 (a
/// multiple of nr) in the block from row pc sits at pc·paddedN + c0·kc.
static size_t NAME(packed_b_count)(NAME(KernelChoice) kernel, ptrdiff_t k, ptrdiff_t n) {
  return (size_t)k * (size_t)((n + kernel.nr - 1) / kernel.nr * kernel.nr);
}

/// Packs op(B) whole (see packed_b_count) into `panels`.
static void NAME(pack_b_whole)(NAME(KernelChoice) kernel, int transB, ptrdiff_t k, ptrdiff_t n,
                               const T *b, ptrdiff_t ldb, T *panels) {
  const ptrdiff_t paddedN = (n + kernel.nr - 1) / kernel.nr * kernel.nr;
  for (ptrdiff_t pc = 0; pc < k; pc += kernel.kc) {
    ptrdiff_t kc = k - pc < kernel.kc ? k - pc : kernel.kc;
    NAME(pack_b)(transB, b, ldb, pc, 0, kc, n, kernel.nr, panels + pc * paddedN);
  }
}

/// C[rows i0 ..< i1, columns j0 ..< j1] of the job, blocked and packed.
static void NAME(gemm_block)(const NAME(GemmJob) * job, ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0,
                             ptrdiff_t j1) {
  const NAME(KernelChoice) *kernel = &job->kernel;
  int mr = kernel->mr, nr = kernel->nr;
  // NC a multiple of NR keeps every column block on panel boundaries (of a whole packed B too).
  ptrdiff_t kcMax = kernel->kc, mcMax = kernel->mc, ncMax = kernel->nc / nr * nr;
  const ptrdiff_t paddedN = (job->n + nr - 1) / nr * nr;
  // A row-major A is read in place when this block has few columns: packing A pays for itself
  // over many column panels, and in place its rows scatter over the caches (measured: faster up
  // to 512 columns, slower at 1024 of a 2048 x 2048 product).
  const int rowsA = !job->transA && kernel->runRows != NULL && j1 - j0 <= 512;
  // A transposed A holds each step's MR values of a panel side by side, as a packed panel does
  // but lda apart: read in place too while those steps stay close (measured: faster with rows
  // up to 1.5 KiB apart, slower from 2 KiB on, where a panel's steps spread over many pages), and
  // always when the block is one column panel wide, where each panel of A is used only once.
  const int columnsA =
      job->transA && (j1 - j0 <= nr || (j1 - j0 <= 512 && job->lda * (ptrdiff_t)sizeof(T) <= 1536));
  // Packing buffers as large as this block needs (not the maximum block), from the buffer cache.
  ptrdiff_t kcUsed = job->k < kcMax ? job->k : kcMax;
  ptrdiff_t mcUsed = i1 - i0 < mcMax ? i1 - i0 : mcMax, ncUsed = j1 - j0 < ncMax ? j1 - j0 : ncMax;
  size_t bytesA = sizeof(T) * (size_t)((mcUsed + mr - 1) / mr * mr) * (size_t)kcUsed;
  size_t bytesB = sizeof(T) * (size_t)((ncUsed + nr - 1) / nr * nr) * (size_t)kcUsed;
  T *packedA = (T *)nabla_buffer_allocate(bytesA);
  T *packedB = job->packedB ? NULL : (T *)nabla_buffer_allocate(bytesB);
  T tile[16 * 64];  // the largest MR x NR of any kernel
  for (ptrdiff_t jc = j0; jc < j1; jc += ncMax) {
    ptrdiff_t nc = j1 - jc < ncMax ? j1 - jc : ncMax;
    for (ptrdiff_t pc = 0; pc < job->k; pc += kcMax) {
      ptrdiff_t kc = job->k - pc < kcMax ? job->k - pc : kcMax;
      // Later K blocks add to what the first wrote; so does the first, onto a bias.
      T beta = pc == 0 && !job->bias ? job->beta : 1;
      const T *panels = job->packedB ? job->packedB + pc * paddedN + jc * kc : packedB;
      if (!job->packedB) NAME(pack_b)(job->transB, job->b, job->ldb, pc, jc, kc, nc, nr, packedB);
      for (ptrdiff_t ic = i0; ic < i1; ic += mcMax) {
        ptrdiff_t mc = i1 - ic < mcMax ? i1 - ic : mcMax;
        if (pc == 0 && job->bias)  // while this block of C is about to be used anyway
          NAME(add_bias)(job->c + ic * job->ldc + jc, job->ldc, mc, nc, job->beta, job->bias + jc);
        // An A read where it is is read a whole panel of MR rows at a time; only the rows left
        // below the whole panels are packed (zero-padded). When they are few, they go in panels
        // of the tail kernel's height, so that no full-height panel is computed mostly on zeros.
        const ptrdiff_t panelRows = mc / mr * mr, whole = rowsA || columnsA ? panelRows : 0;
        const int shortTail = kernel->runTail && mc - panelRows <= 2 * kernel->tailMR;
        const int tailMR = shortTail ? kernel->tailMR : mr;
        if (whole < panelRows) NAME(pack_a)
        (job->transA, job->a, job->lda, ic + whole, pc, panelRows - whole, kc, mr,
         packedA + whole * kc);
        if (panelRows < mc) NAME(pack_a)
        (job->transA, job->a, job->lda, ic + panelRows, pc, mc - panelRows, kc, tailMR,
         packedA + panelRows * kc);
        for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
          ptrdiff_t columns = nc - jr < nr ? nc - jr : nr;
          for (ptrdiff_t ir = 0; ir < mc; ir += ir < panelRows ? mr : tailMR) {
            const int height = ir < panelRows ? mr : tailMR;  // of this panel
            ptrdiff_t rows = mc - ir < height ? mc - ir : height;
            T *c = job->c + (ic + ir) * job->ldc + jc + jr;
            const T *pa = packedA + ir * kc, *pb = panels + jr * kc;
            const int inPlace = ir < whole;
            T *target = rows == height && columns == nr ? c : tile;
            const ptrdiff_t ldt = target == c ? job->ldc : nr;
            const T tileBeta = target == c ? beta : 0;
            if (inPlace && rowsA)
              kernel->runRows(kc, job->a + (ic + ir) * job->lda + pc, job->lda, pb, target, ldt,
                              job->alpha, tileBeta);
            else if (inPlace)
              kernel->run(kc, job->a + pc * job->lda + ic + ir, job->lda, pb, target, ldt,
                          job->alpha, tileBeta);
            else if (height != mr)
              kernel->runTail(kc, pa, height, pb, target, ldt, job->alpha, tileBeta);
            else
              kernel->run(kc, pa, mr, pb, target, ldt, job->alpha, tileBeta);
            if (target == tile) {  // an edge tile, computed whole: keep the part inside C
              // Round exactly as the kernels do (alpha·acc, then one fused beta·c + that), so a
              // tile's values do not depend on whether it falls on an edge.
              for (ptrdiff_t i = 0; i < rows; i++)
                for (ptrdiff_t j = 0; j < columns; j++) {
                  T *out = c + i * job->ldc + j;
                  *out = beta == 0 ? tile[i * nr + j] : fma(beta, *out, tile[i * nr + j]);
                }
            }
          }
        }
      }
    }
  }
  nabla_buffer_free(packedA, bytesA);
  if (packedB) nabla_buffer_free(packedB, bytesB);
}

static void NAME(gemm_task)(void *context, ptrdiff_t index) {
  const NAME(GemmJob) *job = (const NAME(GemmJob) *)context;
  ptrdiff_t start = index * job->chunk;
  const unsigned saved = nabla_flush_subnormals();
  if (job->splitRows) {
    ptrdiff_t end = start + job->chunk < job->m ? start + job->chunk : job->m;
    NAME(gemm_block)(job, start, end, 0, job->n);
  } else {
    ptrdiff_t end = start + job->chunk < job->n ? start + job->chunk : job->n;
    NAME(gemm_block)(job, 0, job->m, start, end);
  }
  nabla_restore_subnormals(saved);
}

/// The unpacked path for small products and thin ones (k at most THIN): C scaled by beta, then
/// rank-1 updates row by row, vectorized along the rows of C. A transposed B is first copied
/// upright (it is small: k x n with k thin) so that those rows are contiguous.
static void NAME(gemm_small)(int transA, int transB, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha,
                             const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c,
                             ptrdiff_t ldc) {
  T *upright = NULL;
  size_t uprightBytes = sizeof(T) * (size_t)(k * n);
  if (transB && k > 1 && n > 1) {
    upright = (T *)nabla_buffer_allocate(uprightBytes);
    NAME(transpose_copy)(b, ldb, n, k, upright, n);
    b = upright;
    ldb = n;
    transB = 0;
  }
  // Whole blocks of BLOCK columns are summed in registers over all of k and stored once; the
  // rest of a row is updated in place. Both add the same terms in the same order.
  enum { BLOCK = 64 };
  for (ptrdiff_t i = 0; i < m; i++) {
    T *restrict row = c + i * ldc;
    ptrdiff_t j0 = 0;
    if (!transB)
      for (; j0 + BLOCK <= n; j0 += BLOCK) {
        T acc[BLOCK];
        UNROLLED for (int j = 0; j < BLOCK; j++) acc[j] = beta == 0 ? 0 : beta * row[j0 + j];
        for (ptrdiff_t p = 0; p < k; p++) {
          const T aip = alpha * OP_A(i, p);
          const T *restrict brow = b + p * ldb + j0;
          UNROLLED for (int j = 0; j < BLOCK; j++) acc[j] += aip * brow[j];
        }
        UNROLLED for (int j = 0; j < BLOCK; j++) row[j0 + j] = acc[j];
      }
    for (ptrdiff_t j = j0; j < n; j++) row[j] = beta == 0 ? 0 : beta * row[j];
    for (ptrdiff_t p = 0; p < k; p++) {
      T aip = alpha * OP_A(i, p);
      if (transB) {
        for (ptrdiff_t j = j0; j < n; j++) row[j] += aip * b[j * ldb + p];
      } else {
        const T *restrict brow = b + p * ldb;
        for (ptrdiff_t j = j0; j < n; j++) row[j] += aip * brow[j];
      }
    }
  }
  if (upright) nabla_buffer_free(upright, uprightBytes);
}
#undef OP_A

/// C = alpha·A·Bᵀ + beta·C read straight from A and B, whose rows both run along k: each entry is
/// a dot product, computed for 4 rows of A against 2 rows of B at a time with 16 partial sums
/// along k each (vectors, once built for wide vectors). For products whose C is small next to k,
/// where packing would cost more than the arithmetic.
static void NAME(gemm_dots)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, const T *a,
                            ptrdiff_t lda, const T *b, ptrdiff_t ldb, T beta, T *c, ptrdiff_t ldc) {
  enum { LANES = 16, ROWS = 4, COLUMNS = 2 };
  for (ptrdiff_t i0 = 0; i0 < m; i0 += ROWS) {
    const ptrdiff_t rows = m - i0 < ROWS ? m - i0 : ROWS;
    for (ptrdiff_t j0 = 0; j0 < n; j0 += COLUMNS) {
      const ptrdiff_t columns = n - j0 < COLUMNS ? n - j0 : COLUMNS;
      // Missing rows or columns at the edges read row 0 again; their sums are not stored.
      const T *ar[ROWS], *br[COLUMNS];
      UNROLLED for (int i = 0; i < ROWS; i++) ar[i] = a + (i0 + (i < rows ? i : 0)) * lda;
      UNROLLED for (int j = 0; j < COLUMNS; j++) br[j] = b + (j0 + (j < columns ? j : 0)) * ldb;
      T acc[ROWS][COLUMNS][LANES] = {{{0}}};
      ptrdiff_t p = 0;
      for (; p + LANES <= k; p += LANES)
        UNROLLED for (int i = 0; i < ROWS; i++) UNROLLED for (int j = 0; j < COLUMNS; j++)
            UNROLLED for (int l = 0; l < LANES; l++) acc[i][j][l] += ar[i][p + l] * br[j][p + l];
      for (; p < k; p++)
        UNROLLED for (int i = 0; i < ROWS; i++) UNROLLED for (int j = 0; j < COLUMNS; j++)
            acc[i][j][0] += ar[i][p] * br[j][p];
      for (ptrdiff_t i = 0; i < rows; i++)
        for (ptrdiff_t j = 0; j < columns; j++) {
          T sum = 0;
          UNROLLED for (int l = 0; l < LANES; l++) sum += acc[i][j][l];
          T *target = c + (i0 + i) * ldc + j0 + j;
          *target = beta == 0 ? alpha * sum : fma(beta, *target, alpha * sum);
        }
    }
  }
}

/// Products below SMALL_WORK multiply-adds, or with k at most THIN below THIN_WORK, take the
/// unpacked path (a packed micro-panel only k deep costs more to pack than it saves); below
/// PARALLEL_WORK they run on the calling thread alone.
enum {
  NAME(SMALL_WORK) = 16 * 16 * 16,
  NAME(THIN) = 8,
  NAME(THIN_WORK) = 1 << 20,
  NAME(PARALLEL_WORK) = 64 * 64 * 64,
  NAME(DOTS_AREA) = 32 * 32,
  NAME(DOTS_DEPTH) = 128
};

/// Whether an m x n x k product takes the unpacked path for small and thin products.
static inline int NAME(is_small)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
  const double work = (double)m * n * k;
  return k <= 0 || work < NAME(SMALL_WORK) || (k <= NAME(THIN) && work < NAME(THIN_WORK));
}

/// Whether an m x n x k product with B transposed takes the dot-product path: C small, k deep.
static inline int NAME(is_dot_shaped)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
  return (double)m * n <= NAME(DOTS_AREA) && k >= NAME(DOTS_DEPTH);
}

/// Whether every row of an m x n x k product's C comes out the same, bit for bit, whatever the
/// other rows of A are and however many there are: true on the blocked path, whose kernels
/// compute each element alone in a fixed order along k (edge tiles and tail panels round as
/// full ones do). The unpacked paths take other orders for some shapes, so a product that would
/// take one of them, for either transpose of B, is not counted. The paths only move from
/// unpacked to blocked as m grows, so the answer for m rows holds for any larger m.
static int NAME(rows_independent)(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k) {
  return m > 0 && n > 0 && !NAME(is_small)(m, n, k) && !NAME(is_dot_shaped)(m, n, k);
}

/// The GEMM, plus `bias` (n values, or NULL) added to every row of C; `packedB` is op(B) packed
/// whole for `kernel` beforehand (b still points to B, for the paths that do not pack), or NULL.
static void NAME(gemm)(NAME(KernelChoice) kernel, int transA, int transB, ptrdiff_t m, ptrdiff_t n,
                       ptrdiff_t k, T alpha, const T *a, ptrdiff_t lda, const T *b, ptrdiff_t ldb,
                       T beta, const T *bias, T *c, ptrdiff_t ldc, const T *packedB) {
  if (m <= 0 || n <= 0) return;
  const int small = alpha == 0 || NAME(is_small)(m, n, k);
  const int dots = !transA && transB && NAME(is_dot_shaped)(m, n, k);
  if (bias && (small || dots)) {  // the unpacked paths add the product to a C holding the bias
    NAME(add_bias)(c, ldc, m, n, beta, bias);
    beta = 1;
  }
  if (small) {
    const unsigned saved = nabla_flush_subnormals();
    NAME(gemm_small)(transA, transB, m, n, k <= 0 ? 0 : k, alpha, a, lda, b, ldb, beta, c, ldc);
    nabla_restore_subnormals(saved);
    return;
  }
  if (dots) {
    const unsigned saved = nabla_flush_subnormals();
    NAME(gemm_dots)(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    nabla_restore_subnormals(saved);
    return;
  }
  NAME(GemmJob)
  job = {transA, transB, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, kernel, 0, 0, packedB, bias};
  int threads = (double)m * n * k < NAME(PARALLEL_WORK) ? 1 : nabla_thread_count();
  job.splitRows = m > n;
  ptrdiff_t extent = job.splitRows ? m : n, unit = job.splitRows ? kernel.mr : kernel.nr;
  ptrdiff_t units = (extent + unit - 1) / unit;
  // One task per thread: each task packs all of A (or B) for its part, so more tasks would pack
  // it more often (measured: 4 tasks per thread ran sgemm1024 about 20% slower). A late thread's
  // task is claimed by the others.
  ptrdiff_t tasks = threads < units ? threads : units;
  job.chunk = (units + tasks - 1) / tasks * unit;
  tasks = (extent + job.chunk - 1) / job.chunk;
  nabla_parallel_for(tasks, NAME(gemm_task), &job);
}

/// A batch of GEMMs of one shape, matrix i at a + i·strideA, b + i·strideB, c + i·strideC.
typedef struct {
  NAME(KernelChoice) kernel;
  int transA, transB;
  ptrdiff_t m, n, k, lda, ldb, ldc, strideA, strideB, strideC;
  T alpha, beta;
  const T *a, *b;
  T *c;
} NAME(BatchedGemmJob);

static void NAME(gemm_batch_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(BatchedGemmJob) *job = (const NAME(BatchedGemmJob) *)context;
  for (ptrdiff_t i = begin; i < end; i++) NAME(gemm)
  (job->kernel, job->transA, job->transB, job->m, job->n, job->k, job->alpha,
   job->a + i * job->strideA, job->lda, job->b + i * job->strideB, job->ldb, job->beta, NULL,
   job->c + i * job->strideC, job->ldc, NULL);
}

/// The batch split over the pool when each product is too small to split by itself (then each
/// runs whole on one thread); otherwise one product after another, each split.
static void NAME(gemm_batched)(NAME(BatchedGemmJob) job, ptrdiff_t count) {
  const double work = (double)job.m * job.n * job.k;
  if (work >= NAME(PARALLEL_WORK) || count < 2) {
    NAME(gemm_batch_range)(&job, 0, count);
    return;
  }
  const ptrdiff_t grain = (ptrdiff_t)(NAME(PARALLEL_WORK) / (work + 1)) / 4 + 1;
  nabla_parallel_range(count, grain, NAME(gemm_batch_range), &job);
}
