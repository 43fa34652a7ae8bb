// CNablaKernelsTesting: INTERNAL. Switches for Nabla's own tests and benchmark, which force a
// GEMM micro-kernel or turn the convolutions' AVX-512 short-row loops off so that every code path
// can be compared with the others on one machine, and the queries of those choices that the
// kernels make. Not an interface: nothing outside this package
// may call them, and they may change or go away in any release. (CNablaKernels is not a product
// of the package; this header is included by CNablaKernels.h only so that the test targets,
// which import CNablaKernels, see it. C has no access control to enforce more.)

#ifndef CNABLA_KERNELS_TESTING_H
#define CNABLA_KERNELS_TESTING_H

/// The GEMM micro-kernels. Results of one kernel do not depend on the thread count.
typedef enum {
  NABLA_GEMM_AUTO,
  NABLA_GEMM_GENERIC,
  NABLA_GEMM_AVX2,
  NABLA_GEMM_AVX512,
  NABLA_GEMM_NEON
} NablaGemmKernel;

/// Makes the GEMMs this thread calls use `kind` (NABLA_GEMM_AUTO: that of the instruction set in
/// use, see nabla_isa); returns 0 and changes nothing when this CPU cannot run it. Other threads
/// keep their own choice, GEMMs run inside pool tasks (a convolution's, for one) included. For
/// tests and benchmarks.
int nabla_gemm_use_kernel(NablaGemmKernel kind);

/// The micro-kernel the GEMMs this thread calls use now.
NablaGemmKernel nabla_gemm_kernel(void);

/// Turns the convolutions' AVX-512 short-row loops (im2col and col2im of small 1-D signals, row
/// copies) on, the default where the x86-64-v4 kernels run (see nabla_isa), or off, leaving the
/// portable loops; both give the same results, bit for bit. Returns whether they are on now. For
/// tests.
int nabla_use_short_rows(int enabled);

/// Whether the short-row loops run: on, and the kernels in use are the x86-64-v4 ones.
int nabla_short_rows_enabled(void);

#endif
