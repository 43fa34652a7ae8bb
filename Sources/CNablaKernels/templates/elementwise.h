// Elementwise kernels for one element type (see prelude.h). Included by instances.c.

static inline T NAME(apply_binary)(NablaBinaryOp op, T x, T y) {
  switch (op) {
    case NABLA_ADD: return x + y;
    case NABLA_SUB: return x - y;
    case NABLA_MUL: return x * y;
    case NABLA_DIV: return x / y;
    case NABLA_MAXIMUM: return (x != x || x > y) ? x : y;
    case NABLA_MINIMUM: return (x != x || x < y) ? x : y;
    case NABLA_POW: return pow(x, y);
    case NABLA_EQ: return x == y;
    case NABLA_NE: return x != y;
    case NABLA_LT: return x < y;
    case NABLA_LE: return x <= y;
    case NABLA_GT: return x > y;
    case NABLA_GE: return x >= y;
  }
  return 0;
}

// One row of a binary op; the stride pairs that matter for speed get loops the compiler vectorizes.
#define BINARY_ROW(EXPR)                                                                           \
  if (sa == 1 && sb == 1) {                                                                        \
    for (ptrdiff_t i = 0; i < n; i++) {                                                            \
      T x = a[i], y = b[i];                                                                        \
      out[i] = (EXPR);                                                                             \
    }                                                                                              \
  } else if (sa == 1 && sb == 0) {                                                                 \
    T y = b[0];                                                                                    \
    for (ptrdiff_t i = 0; i < n; i++) {                                                            \
      T x = a[i];                                                                                  \
      out[i] = (EXPR);                                                                             \
    }                                                                                              \
  } else if (sa == 0 && sb == 1) {                                                                 \
    T x = a[0];                                                                                    \
    for (ptrdiff_t i = 0; i < n; i++) {                                                            \
      T y = b[i];                                                                                  \
      out[i] = (EXPR);                                                                             \
    }                                                                                              \
  } else {                                                                                         \
    for (ptrdiff_t i = 0; i < n; i++) {                                                            \
      T x = a[i * sa], y = b[i * sb];                                                              \
      out[i] = (EXPR);                                                                             \
    }                                                                                              \
  }

static void NAME(binary_row)(NablaBinaryOp op, ptrdiff_t n, const T *a, ptrdiff_t sa, const T *b,
                             ptrdiff_t sb, T *out) {
  switch (op) {
    case NABLA_ADD: BINARY_ROW(x + y) break;
    case NABLA_SUB: BINARY_ROW(x - y) break;
    case NABLA_MUL: BINARY_ROW(x * y) break;
    case NABLA_DIV: BINARY_ROW(x / y) break;
    default:
      for (ptrdiff_t i = 0; i < n; i++) out[i] = NAME(apply_binary)(op, a[i * sa], b[i * sb]);
  }
}
#undef BINARY_ROW

// Large elementwise work is split over the thread pool; each element is computed the same way
// whatever the split.
enum { NAME(ELEMENTWISE_GRAIN) = 1 << 13 };

typedef struct {
  NablaBinaryOp op;
  const T *a, *b;
  ptrdiff_t sa, sb;
  T *out;
} NAME(BinaryJob);

static void NAME(binary_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(BinaryJob) *job = (const NAME(BinaryJob) *)context;
  NAME(binary_row)
  (job->op, end - begin, job->a + begin * job->sa, job->sa, job->b + begin * job->sb, job->sb,
   job->out + begin);
}

static void NAME(binary)(NablaBinaryOp op, ptrdiff_t rank, const ptrdiff_t *shape, const T *a,
                         const ptrdiff_t *aStrides, const T *b, const ptrdiff_t *bStrides, T *out) {
  if (rank == 0) {
    out[0] = NAME(apply_binary)(op, a[0], b[0]);
    return;
  }
  for (ptrdiff_t d = 0; d < rank; d++)
    if (shape[d] == 0) return;
  ptrdiff_t n = shape[rank - 1];
  if (rank == 1) {  // one flat loop, large ones split over the pool
    NAME(BinaryJob) job = {op, a, b, aStrides[0], bStrides[0], out};
    nabla_parallel_range(n, NAME(ELEMENTWISE_GRAIN), NAME(binary_range), &job);
    return;
  }
  NablaRows rows = nabla_rows_start(rank, shape);
  for (ptrdiff_t row = 0; row < rows.count;
       row++, nabla_rows_next(&rows, rank, shape, aStrides, bStrides, bStrides)) {
    NAME(binary_row)
    (op, n, a + rows.offset[0], aStrides[rank - 1], b + rows.offset[1], bStrides[rank - 1],
     out + row * n);
  }
}

static void NAME(where)(ptrdiff_t rank, const ptrdiff_t *shape, const T *mask,
                        const ptrdiff_t *maskStrides, const T *a, const ptrdiff_t *aStrides,
                        const T *b, const ptrdiff_t *bStrides, T *out) {
  if (rank == 0) {
    out[0] = mask[0] != 0 ? a[0] : b[0];
    return;
  }
  for (ptrdiff_t d = 0; d < rank; d++)
    if (shape[d] == 0) return;
  ptrdiff_t n = shape[rank - 1];
  ptrdiff_t sm = maskStrides[rank - 1], sa = aStrides[rank - 1], sb = bStrides[rank - 1];
  NablaRows rows = nabla_rows_start(rank, shape);
  for (ptrdiff_t row = 0; row < rows.count;
       row++, nabla_rows_next(&rows, rank, shape, maskStrides, aStrides, bStrides)) {
    const T *m = mask + rows.offset[0], *x = a + rows.offset[1], *y = b + rows.offset[2];
    T *result = out + row * n;
    for (ptrdiff_t i = 0; i < n; i++) result[i] = m[i * sm] != 0 ? x[i * sa] : y[i * sb];
  }
}

// Exact GELU: x * Phi(x); its tanh approximation uses sqrt(2/pi) * (x + 0.044715 x^3).
#define GELU_TANH_INNER(x) ((T)0.7978845608028654 * ((x) + (T)0.044715 * (x) * (x) * (x)))

static inline T NAME(softplus)(T x, T beta, T threshold) {
  T bx = beta * x;
  return bx > threshold ? x : log1p(exp(bx)) / beta;
}

static void NAME(unary_serial)(NablaUnaryOp op, ptrdiff_t n, const T *x, T *y, double p1,
                               double p2) {
  T q1 = (T)p1, q2 = (T)p2;
  switch (op) {
    case NABLA_NEG:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = -x[i];
      break;
    case NABLA_EXP:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = exp(x[i]);
      break;
    case NABLA_LOG:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = log(x[i]);
      break;
    case NABLA_SQRT:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = sqrt(x[i]);
      break;
    case NABLA_RSQRT:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = (T)1 / sqrt(x[i]);
      break;
    case NABLA_ABS:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = fabs(x[i]);
      break;
    case NABLA_SIGN:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : x[i]);
      break;
    case NABLA_RELU:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : 0);
      break;
    case NABLA_LEAKY_RELU:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : q1 * x[i];
      break;
    case NABLA_ELU:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : q1 * expm1(x[i]);
      break;
    case NABLA_GELU:
      for (ptrdiff_t i = 0; i < n; i++)
        y[i] = (T)0.5 * x[i] * ((T)1 + erf(x[i] * (T)0.7071067811865476));
      break;
    case NABLA_GELU_TANH:
      for (ptrdiff_t i = 0; i < n; i++)
        y[i] = (T)0.5 * x[i] * ((T)1 + ACTIVATION_TANH(GELU_TANH_INNER(x[i])));
      break;
    case NABLA_SIGMOID:
      for (ptrdiff_t i = 0; i < n; i++) {
        T e = ACTIVATION_EXP(-fabs(x[i]));
        T s = x[i] >= 0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e);
        y[i] = x[i] != x[i] ? x[i] : s;  // NaN stays NaN
      }
      break;
    case NABLA_TANH:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = ACTIVATION_TANH(x[i]);
      break;
    case NABLA_SOFTPLUS:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = NAME(softplus)(x[i], q1, q2);
      break;
    case NABLA_POW_SCALAR:
      if (p1 == 2) {
        for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] * x[i];
      } else {
        for (ptrdiff_t i = 0; i < n; i++) y[i] = pow(x[i], q1);
      }
      break;
    case NABLA_CLAMP:
      for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] < q1 ? q1 : (x[i] > q2 ? q2 : x[i]);
      break;
  }
}

static void NAME(unary_backward_serial)(NablaUnaryOp op, ptrdiff_t n, const T *x, const T *y,
                                        const T *gy, T *gx, double p1, double p2) {
  T q1 = (T)p1, q2 = (T)p2;
  switch (op) {
    case NABLA_NEG:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = -gy[i];
      break;
    case NABLA_EXP:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = gy[i] * y[i];
      break;
    case NABLA_LOG:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = gy[i] / x[i];
      break;
    case NABLA_SQRT:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = gy[i] / ((T)2 * y[i]);
      break;
    case NABLA_RSQRT:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = gy[i] * (T)-0.5 * y[i] * y[i] * y[i];
      break;
    case NABLA_ABS:
      for (ptrdiff_t i = 0; i < n; i++) {
        T g = gy[i];
        gx[i] = x[i] > 0 ? g : (x[i] < 0 ? -g : 0);
      }
      break;
    case NABLA_SIGN:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = 0;
      break;
    case NABLA_RELU:
      for (ptrdiff_t i = 0; i < n; i++) {
        T g = gy[i];  // loaded unconditionally so the loop vectorizes as a select
        gx[i] = x[i] > 0 ? g : 0;
      }
      break;
    case NABLA_LEAKY_RELU:
      for (ptrdiff_t i = 0; i < n; i++) {
        T g = gy[i];
        gx[i] = x[i] > 0 ? g : q1 * g;
      }
      break;
    case NABLA_ELU:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = x[i] > 0 ? gy[i] : gy[i] * (y[i] + q1);
      break;
    case NABLA_GELU:
      for (ptrdiff_t i = 0; i < n; i++) {
        T cdf = (T)0.5 * ((T)1 + erf(x[i] * (T)0.7071067811865476));
        T pdf = exp((T)-0.5 * x[i] * x[i]) * (T)0.3989422804014327;
        gx[i] = gy[i] * (cdf + x[i] * pdf);
      }
      break;
    case NABLA_GELU_TANH:
      for (ptrdiff_t i = 0; i < n; i++) {
        T t = ACTIVATION_TANH(GELU_TANH_INNER(x[i]));
        T inner = (T)0.7978845608028654 * ((T)1 + (T)3 * (T)0.044715 * x[i] * x[i]);
        gx[i] = gy[i] * ((T)0.5 * ((T)1 + t) + (T)0.5 * x[i] * ((T)1 - t * t) * inner);
      }
      break;
    case NABLA_SIGMOID:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = gy[i] * y[i] * ((T)1 - y[i]);
      break;
    case NABLA_TANH:
      for (ptrdiff_t i = 0; i < n; i++) gx[i] = gy[i] * ((T)1 - y[i] * y[i]);
      break;
    case NABLA_SOFTPLUS:
      for (ptrdiff_t i = 0; i < n; i++) {
        T bx = q1 * x[i];
        if (bx > q2) {
          gx[i] = gy[i];
        } else {
          T e = exp(-fabs(bx));
          gx[i] = gy[i] * (bx >= 0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e));
        }
      }
      break;
    case NABLA_POW_SCALAR:
      if (p1 == 2) {  // the common square: 2x, exactly, without a pow call per element
        for (ptrdiff_t i = 0; i < n; i++) gx[i] = gy[i] * (T)2 * x[i];
      } else {
        for (ptrdiff_t i = 0; i < n; i++) gx[i] = p1 == 0 ? 0 : gy[i] * q1 * pow(x[i], q1 - (T)1);
      }
      break;
    case NABLA_CLAMP:
      for (ptrdiff_t i = 0; i < n; i++) {
        T g = gy[i];
        gx[i] = (x[i] >= q1 && x[i] <= q2) ? g : 0;
      }
      break;
  }
  (void)q2;
}
#undef GELU_TANH_INNER

typedef struct {
  NablaUnaryOp op;
  const T *x, *y, *gy;
  T *out;
  double p1, p2;
} NAME(UnaryJob);

static void NAME(unary_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(UnaryJob) *job = (const NAME(UnaryJob) *)context;
  NAME(unary_serial)(job->op, end - begin, job->x + begin, job->out + begin, job->p1, job->p2);
}

static void NAME(unary_backward_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(UnaryJob) *job = (const NAME(UnaryJob) *)context;
  NAME(unary_backward_serial)
  (job->op, end - begin, job->x + begin, job->y + begin, job->gy + begin, job->out + begin, job->p1,
   job->p2);
}

static void NAME(unary)(NablaUnaryOp op, ptrdiff_t n, const T *x, T *y, double p1, double p2) {
  NAME(UnaryJob) job = {op, x, NULL, NULL, y, p1, p2};
  nabla_parallel_range(n, NAME(ELEMENTWISE_GRAIN), NAME(unary_range), &job);
}

static void NAME(unary_backward)(NablaUnaryOp op, ptrdiff_t n, const T *x, const T *y, const T *gy,
                                 T *gx, double p1, double p2) {
  NAME(UnaryJob) job = {op, x, y, gy, gx, p1, p2};
  nabla_parallel_range(n, NAME(ELEMENTWISE_GRAIN), NAME(unary_backward_range), &job);
}
