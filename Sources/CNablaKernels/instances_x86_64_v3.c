// The kernels compiled for x86-64-v3 (AVX2, FMA, BMI2: Haswell, Zen and later), for the CPUs
// that nabla_isa finds able to run them. The headers the kernels use are included first, so
// that only the kernels' own functions take the target.
#if defined(__x86_64__)
#include "templates/headers.h"
#pragma clang attribute push(__attribute__((target("arch=x86-64-v3"))), apply_to = function)
#define ISA x86_64_v3
#include "templates/instances.h"
#pragma clang attribute pop
#endif
