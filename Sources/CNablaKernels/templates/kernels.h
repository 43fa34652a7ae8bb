// Every typed kernel template and the table of them, for the element type that T, SUFFIX and
// the macros beside them name (see instances.h), which are undefined at the end so that the
// next element type can set them.
#include "gemm.h"
#include "gemm_entries.h"
#include "elementwise.h"
#include "reduce.h"
#include "normalization.h"
#include "attention.h"
#include "optimizers.h"
#include "recurrent.h"
#include "short_rows.h"
#include "conv.h"
#include "conv_images.h"
#include "table.h"
#undef T
#undef SUFFIX
#undef ACTIVATION_TANH
#undef ACTIVATION_EXP
#undef VECTOR
#undef VECTOR_SUFFIX
#undef VECTOR_INDEX
