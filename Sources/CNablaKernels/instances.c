// The typed kernels except the GEMM (gemm.c), instantiated for float and double from the
// templates: each template is included once per element type with T and SUFFIX set (see
// templates/prelude.h). Float activations use the vectorizable exp and tanh of prelude.h;
// double ones use the C library's, for the precision gradient checks need.
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>
#include "CNablaKernels.h"
#include "templates/prelude.h"

#define T float
#define SUFFIX f32
#define ACTIVATION_TANH(x) nabla_activation_tanhf(x)
#define ACTIVATION_EXP(x) nabla_activation_expf(x)
#define GEMM nabla_sgemm
#define WIDE_VECTORS WIDE_VECTORS_CLONES
#define VECTOR __m512
#define VECTOR_SUFFIX ps
#define VECTOR_INDEX int32_t
#include "templates/elementwise.h"
#include "templates/reduce.h"
#include "templates/normalization.h"
#include "templates/attention.h"
#include "templates/optimizers.h"
#include "templates/recurrent.h"
#include "templates/short_rows.h"
#include "templates/conv.h"
#include "templates/conv_images.h"
#undef T
#undef SUFFIX
#undef GEMM
#undef WIDE_VECTORS
#undef VECTOR
#undef VECTOR_SUFFIX
#undef VECTOR_INDEX

#undef ACTIVATION_TANH
#undef ACTIVATION_EXP
#define T double
#define SUFFIX f64
#define ACTIVATION_TANH(x) tanh(x)
#define ACTIVATION_EXP(x) exp(x)
#define GEMM nabla_dgemm
#define WIDE_VECTORS
#define VECTOR __m512d
#define VECTOR_SUFFIX pd
#define VECTOR_INDEX int64_t
#include "templates/elementwise.h"
#include "templates/reduce.h"
#include "templates/normalization.h"
#include "templates/attention.h"
#include "templates/optimizers.h"
#include "templates/recurrent.h"
#include "templates/short_rows.h"
#include "templates/conv.h"
#include "templates/conv_images.h"
#undef T
#undef SUFFIX
#undef GEMM
#undef WIDE_VECTORS
#undef VECTOR
#undef VECTOR_SUFFIX
#undef VECTOR_INDEX
