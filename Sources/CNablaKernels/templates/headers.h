// The headers the kernel instances use (see instances.h). An instance for an instruction set
// includes them before it gives its functions the set's target, so that the target applies to
// the kernels alone and not to the declarations and inline functions of these headers.
#ifndef NABLA_HEADERS_H
#define NABLA_HEADERS_H
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include "../internal.h"
#endif
