// Kernels that move elements without doing arithmetic on them: strided copies, dtype conversion
// and copies by index. They work on any element type by its size.
#include <string.h>
#include "CNablaKernels.h"
#include "templates/prelude.h"

#define COPY_ROWS(U)                                                                        \
  {                                                                                         \
    const U *s = (const U *)src;                                                            \
    U *d = (U *)dst;                                                                        \
    NABLA_FOR_EACH_ROW(rank, shape, srcStrides, dstStrides, srcStrides, {                   \
      const U *sr = s + o0;                                                                 \
      U *dr = d + o1;                                                                       \
      if (ss == 1 && ds == 1) {                                                             \
        memcpy(dr, sr, (size_t)last * sizeof(U));                                           \
      } else {                                                                              \
        for (ptrdiff_t i = 0; i < last; i++) dr[i * ds] = sr[i * ss];                         \
      }                                                                                     \
    });                                                                                     \
  }

void nabla_copy_strided(ptrdiff_t elementSize, ptrdiff_t rank, const ptrdiff_t *shape, const void *src,
                        const ptrdiff_t *srcStrides, void *dst, const ptrdiff_t *dstStrides) {
  if (rank == 0) {
    memcpy(dst, src, (size_t)elementSize);
    return;
  }
  for (ptrdiff_t d = 0; d < rank; d++)
    if (shape[d] == 0) return;
  ptrdiff_t last = shape[rank - 1];
  ptrdiff_t ss = srcStrides[rank - 1], ds = dstStrides[rank - 1];
  switch (elementSize) {
    case 1: COPY_ROWS(uint8_t) break;
    case 2: COPY_ROWS(uint16_t) break;
    case 4: COPY_ROWS(uint32_t) break;
    default: COPY_ROWS(uint64_t) break;
  }
}

#define CONVERT_TO(S)                                                                       \
  switch (toType) {                                                                         \
    case 0: for (ptrdiff_t i = 0; i < n; i++) ((float *)dst)[i] = (float)((const S *)src)[i]; break;   \
    case 1: for (ptrdiff_t i = 0; i < n; i++) ((double *)dst)[i] = (double)((const S *)src)[i]; break; \
    default: for (ptrdiff_t i = 0; i < n; i++) ((int64_t *)dst)[i] = (int64_t)((const S *)src)[i]; break; \
  }

void nabla_convert(ptrdiff_t n, int fromType, const void *src, int toType, void *dst) {
  switch (fromType) {
    case 0: CONVERT_TO(float) break;
    case 1: CONVERT_TO(double) break;
    default: CONVERT_TO(int64_t) break;
  }
}

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
