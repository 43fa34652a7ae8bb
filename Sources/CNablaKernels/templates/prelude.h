// Helpers shared by the type templates. A template file is included once per element type with
// T (the C type) and SUFFIX (f32 or f64) defined; NAME(base) pastes the suffix onto a name.
#ifndef NABLA_PRELUDE_H
#define NABLA_PRELUDE_H
#include <stdint.h>
#define NABLA_CAT2(a, b) a##_##b
#define NABLA_CAT(a, b) NABLA_CAT2(a, b)
#define NAME(base) NABLA_CAT(base, SUFFIX)

// Walks every index of `shape` except the last, calling BODY with the offsets of up to three
// strided operands for the row; the last dimension is left to BODY. `count` is the row index.
#define NABLA_FOR_EACH_ROW(rank, shape, s0, s1, s2, BODY)                                   \
  do {                                                                                      \
    ptrdiff_t idx_[NABLA_MAX_RANK] = {0};                                                     \
    ptrdiff_t rows_ = 1;                                                                      \
    for (ptrdiff_t d_ = 0; d_ + 1 < (rank); d_++) rows_ *= (shape)[d_];                       \
    ptrdiff_t o0 = 0, o1 = 0, o2 = 0;                                                         \
    for (ptrdiff_t count = 0; count < rows_; count++) {                                       \
      BODY;                                                                                 \
      for (ptrdiff_t d_ = (rank) - 2; d_ >= 0; d_--) {                                        \
        idx_[d_]++;                                                                         \
        o0 += (s0)[d_];                                                                     \
        o1 += (s1)[d_];                                                                     \
        o2 += (s2)[d_];                                                                     \
        if (idx_[d_] < (shape)[d_]) break;                                                  \
        o0 -= (s0)[d_] * (shape)[d_];                                                       \
        o1 -= (s1)[d_] * (shape)[d_];                                                       \
        o2 -= (s2)[d_] * (shape)[d_];                                                       \
        idx_[d_] = 0;                                                                       \
      }                                                                                     \
    }                                                                                       \
    (void)o2;                                                                               \
  } while (0)
#endif
