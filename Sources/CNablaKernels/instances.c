// The typed kernels except the GEMM (gemm.c), instantiated for float and double from the templates: each template is
// included once per element type with T and SUFFIX set (see templates/prelude.h).
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>
#include "CNablaKernels.h"
#include "templates/prelude.h"

#define T float
#define SUFFIX f32
#include "templates/elementwise.h"
#include "templates/reduce.h"
#include "templates/optimizers.h"
#include "templates/recurrent.h"
#include "templates/conv.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "templates/elementwise.h"
#include "templates/reduce.h"
#include "templates/optimizers.h"
#include "templates/recurrent.h"
#include "templates/conv.h"
#undef T
#undef SUFFIX
