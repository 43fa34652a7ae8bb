// The GEMM's micro-kernels for one element type (see prelude.h): their signatures, the choice of
// one with the tile and block sizes that suit it, and where the choice comes from.

/// Computes an MR x NR tile: c = fma(beta, c, alpha * (a · b)) over kc steps; a is an MR x kc
/// panel column by column, each column of MR contiguous values astep after the last (MR when
/// packed), b a packed kc x NR panel (row by row); beta == 0 never reads c.
typedef void (*NAME(MicroKernel))(ptrdiff_t kc, const T *a, ptrdiff_t astep, const T *b, T *c,
                                  ptrdiff_t ldc, T alpha, T beta);

/// The same tile with A read where it is: rows i of an MR x kc block of a row-major A, lda apart.
typedef void (*NAME(RowsMicroKernel))(ptrdiff_t kc, const T *a, ptrdiff_t lda, const T *b, T *c,
                                      ptrdiff_t ldc, T alpha, T beta);

/// A micro-kernel (and its unpacked-A form, or NULL) with the tile and block sizes that suit it,
/// and optionally a shorter one (tailMR rows, same NR) for the rows left below a whole MR panel.
typedef struct {
  NAME(MicroKernel) run;
  NAME(RowsMicroKernel) runRows;
  int mr, nr;
  ptrdiff_t kc, mc, nc;
  NAME(MicroKernel) runTail;
  int tailMR;
} NAME(KernelChoice);

/// The micro-kernel the GEMMs this thread calls use, with its sizes (gemm.c: the forced or the
/// best one the CPU runs; see nabla_gemm_kernel).
NAME(KernelChoice) NAME(nabla_gemm_choice)(void);
