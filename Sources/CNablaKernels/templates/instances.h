// Every typed kernel, instantiated for float and double, with the table of each (see
// CNablaKernels.h): included once per instruction set by instances_*.c, which compile all of it
// for that set and name it with ISA (baseline, x86_64_v3, x86_64_v4). Each template is included
// once per element type with T and SUFFIX set (see prelude.h). Float activations use the
// vectorizable exp and tanh of prelude.h; double ones use the C library's, for the precision
// gradient checks need.
#include "headers.h"
#include "prelude.h"

#define ISA_NAME(base) NABLA_CAT(NAME(base), ISA)
#define GEMM NAME(gemm_entry)

#define T float
#define SUFFIX f32
#define ACTIVATION_TANH(x) nabla_activation_tanhf(x)
#define ACTIVATION_EXP(x) nabla_activation_expf(x)
#define VECTOR __m512
#define VECTOR_SUFFIX ps
#define VECTOR_INDEX int32_t
#include "kernels.h"

#define T double
#define SUFFIX f64
#define ACTIVATION_TANH(x) tanh(x)
#define ACTIVATION_EXP(x) exp(x)
#define VECTOR __m512d
#define VECTOR_SUFFIX pd
#define VECTOR_INDEX int64_t
#include "kernels.h"
