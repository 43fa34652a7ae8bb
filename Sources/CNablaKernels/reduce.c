// Reductions, softmax and indexing kernels, instantiated for float and double.
#include <string.h>
#include <tgmath.h>
#include "CNablaKernels.h"
#include "templates/prelude.h"

#define T float
#define SUFFIX f32
#include "templates/reduce.h"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX f64
#include "templates/reduce.h"
#undef T
#undef SUFFIX

void nabla_gather(ptrdiff_t elementSize, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner,
                  const void *x, const int64_t *index, void *out) {
  const char *src = (const char *)x;
  char *dst = (char *)out;
  for (ptrdiff_t o = 0; o < outer; o++)
    for (ptrdiff_t j = 0; j < m; j++)
      for (ptrdiff_t i = 0; i < inner; i++) {
        ptrdiff_t k = (o * m + j) * inner + i;
        memcpy(dst + k * elementSize, src + ((o * n + index[k]) * inner + i) * elementSize,
               (size_t)elementSize);
      }
}

void nabla_index_select(ptrdiff_t elementSize, ptrdiff_t outer, ptrdiff_t n, ptrdiff_t m, ptrdiff_t inner,
                        const void *x, const int64_t *index, void *out) {
  const char *src = (const char *)x;
  char *dst = (char *)out;
  size_t row = (size_t)(inner * elementSize);
  for (ptrdiff_t o = 0; o < outer; o++)
    for (ptrdiff_t j = 0; j < m; j++)
      memcpy(dst + (o * m + j) * (ptrdiff_t)row, src + (o * n + index[j]) * (ptrdiff_t)row, row);
}
