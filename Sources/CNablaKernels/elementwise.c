// Elementwise kernels, instantiated for float and double from templates/elementwise.h.
#include <tgmath.h>
#include "CNablaKernels.h"
#include "templates/prelude.h"

#define T float
#define SUFFIX f32
#include "templates/elementwise.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "templates/elementwise.h"
#undef T
#undef SUFFIX
