// The kernels compiled for x86-64-v4 (AVX-512 F, BW, DQ, VL), for the CPUs that nabla_isa finds
// able to run them; only this instance has the short-row loops in AVX-512 registers
// (short_rows.h). The headers the kernels use are included first, so that only the kernels' own
// functions take the target.
#if defined(__x86_64__)
#include "templates/headers.h"
#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"))), apply_to = function)
#define ISA x86_64_v4
#define NABLA_AVX512 1
#include "templates/instances.h"
#pragma clang attribute pop
#endif
