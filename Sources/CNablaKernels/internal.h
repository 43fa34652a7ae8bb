// What the kernel files share and the interface does not show: the tables of each instruction
// set (defined by instances_*.c, chosen by isa.c) and the packed matrix of the GEMM.
#ifndef NABLA_INTERNAL_H
#define NABLA_INTERNAL_H
#include "CNablaKernels.h"

extern const NablaKernels_f32 nabla_kernels_f32_baseline;
extern const NablaKernels_f64 nabla_kernels_f64_baseline;
#if defined(__x86_64__)
extern const NablaKernels_f32 nabla_kernels_f32_x86_64_v3, nabla_kernels_f32_x86_64_v4;
extern const NablaKernels_f64 nabla_kernels_f64_x86_64_v3, nabla_kernels_f64_x86_64_v4;
#endif

/// The best instruction set this CPU runs (nabla_isa may be told to use a lesser one).
NablaISA nabla_cpu_isa(void);

/// A B operand packed once: the panels for the micro-kernel in use when it was packed, and
/// where B itself is, for the paths that do not pack (small products, or another micro-kernel
/// forced since).
struct NablaPackedMatrix {
  NablaGemmKernel kernel;
  int transB;
  ptrdiff_t k, n, ldb;
  const void *b;
  void *panels;
  size_t bytes;
};

/// A packed matrix for the micro-kernel in use, with room for `bytes` of panels (not yet filled).
NablaPackedMatrix *nabla_packed_matrix_new(int transB, ptrdiff_t k, ptrdiff_t n, const void *b,
                                           ptrdiff_t ldb, size_t bytes);
#endif
