// The pointwise part of one recurrent time step, for one element type (see prelude.h). Included
// by instances.c.
//
// The matrix products (x·W_ihᵀ for every step at once, h·W_hhᵀ per step) are done by the caller
// with GEMM; these kernels fuse everything between them: bias, gate activations, state update,
// padding of variable-length batches, and the matching backward. Row b of a step at time t is
// active when lengths is NULL or t < lengths[b]; an inactive (padded) row keeps its state, writes
// 0 to its output and passes the state gradient through untouched.

#define ACTIVE(b) (lengths == NULL || t < lengths[b])

static inline T NAME(rnn_sigmoid)(T x) {
  T e = ACTIVATION_EXP(-fabs(x));
  T y = x >= 0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e);
  return x != x ? x : y;  // NaN stays NaN
}

static void NAME(rnn_step)(const NablaRecurrentStep *step, int relu, const T *xg, const T *hg,
                           const T *bias, const T *hPrev, T *hNext, T *out) {
  const ptrdiff_t n = step->batch, h = step->hidden, t = step->time;
  const int64_t *lengths = step->lengths;
  for (ptrdiff_t b = 0; b < n; b++) {
    const T *x = xg + b * h, *r = hg + b * h, *p = hPrev + b * h;
    T *next = hNext + b * h, *y = out ? out + b * h : NULL;
    if (!ACTIVE(b)) {
      for (ptrdiff_t j = 0; j < h; j++) next[j] = p[j];
      if (y)
        for (ptrdiff_t j = 0; j < h; j++) y[j] = 0;
      continue;
    }
    for (ptrdiff_t j = 0; j < h; j++) {
      T pre = x[j] + r[j] + (bias ? bias[j] : 0);
      next[j] = relu ? (pre > 0 ? pre : (pre != pre ? pre : 0)) : ACTIVATION_TANH(pre);
    }
    if (y)
      for (ptrdiff_t j = 0; j < h; j++) y[j] = next[j];
  }
}

static void NAME(rnn_step_backward)(const NablaRecurrentStep *step, int relu, const T *hNext,
                                    const T *dOut, const T *dh, T *dPre, T *dhCarry) {
  const ptrdiff_t n = step->batch, h = step->hidden, t = step->time;
  const int64_t *lengths = step->lengths;
  for (ptrdiff_t b = 0; b < n; b++) {
    const T *y = hNext + b * h, *gh = dh + b * h, *go = dOut ? dOut + b * h : NULL;
    T *gp = dPre + b * h, *carry = dhCarry + b * h;
    if (!ACTIVE(b)) {
      for (ptrdiff_t j = 0; j < h; j++) {
        gp[j] = 0;
        carry[j] = gh[j];
      }
      continue;
    }
    for (ptrdiff_t j = 0; j < h; j++) {
      T g = gh[j] + (go ? go[j] : 0);
      gp[j] = relu ? (y[j] > 0 ? g : 0) : g * ((T)1 - y[j] * y[j]);
      carry[j] = 0;
    }
  }
}

static void NAME(lstm_step_rows)(ptrdiff_t n, ptrdiff_t h, const int64_t *lengths, ptrdiff_t t,
                                 const T *xg, const T *hg, const T *bias, const T *hPrev,
                                 const T *cPrev, T *act, T *tanhC, T *hNext, T *cNext, T *out) {
  for (ptrdiff_t b = 0; b < n; b++) {
    const T *x = xg + b * 4 * h, *r = hg + b * 4 * h, *hp = hPrev + b * h, *cp = cPrev + b * h;
    T *a = act + b * 4 * h, *tc = tanhC + b * h, *hn = hNext + b * h, *cn = cNext + b * h;
    T *y = out ? out + b * h : NULL;
    if (!ACTIVE(b)) {
      for (ptrdiff_t j = 0; j < h; j++) {
        hn[j] = hp[j];
        cn[j] = cp[j];
      }
      if (y)
        for (ptrdiff_t j = 0; j < h; j++) y[j] = 0;
      continue;
    }
    // Pre-activations first, then each gate block on its own, so every loop vectorizes.
    if (bias) {
      for (ptrdiff_t j = 0; j < 4 * h; j++) a[j] = x[j] + r[j] + bias[j];
    } else {
      for (ptrdiff_t j = 0; j < 4 * h; j++) a[j] = x[j] + r[j];
    }
    for (ptrdiff_t j = 0; j < 2 * h; j++) a[j] = NAME(rnn_sigmoid)(a[j]);
    for (ptrdiff_t j = 2 * h; j < 3 * h; j++) a[j] = ACTIVATION_TANH(a[j]);
    for (ptrdiff_t j = 3 * h; j < 4 * h; j++) a[j] = NAME(rnn_sigmoid)(a[j]);
    const T *ig = a, *fg = a + h, *gg = a + 2 * h, *og = a + 3 * h;
    for (ptrdiff_t j = 0; j < h; j++) {
      T c = fg[j] * cp[j] + ig[j] * gg[j];
      cn[j] = c;
      tc[j] = ACTIVATION_TANH(c);
      hn[j] = og[j] * tc[j];
    }
    if (y)
      for (ptrdiff_t j = 0; j < h; j++) y[j] = hn[j];
  }
}

// The backward of one running row of an LSTM step. Its arrays never overlap, and saying so
// (restrict) lets the loop run on vectors: without it, the compiler's run-time overlap checks
// send it down its scalar loop (16 rows of 128: 3.0 µs, 7.2 µs without restrict).
static inline void NAME(lstm_step_backward_row)(ptrdiff_t h, const T *restrict a,
                                                const T *restrict tc, const T *restrict cp,
                                                const T *restrict gh, const T *restrict go,
                                                T *restrict gc, T *restrict gg, T *restrict carry) {
  const T *ig = a, *fg = a + h, *gt = a + 2 * h, *og = a + 3 * h;
  for (ptrdiff_t j = 0; j < h; j++) {
    T g = gh[j] + (go ? go[j] : 0);
    T dcTotal = gc[j] + g * og[j] * ((T)1 - tc[j] * tc[j]);
    gg[j] = dcTotal * gt[j] * ig[j] * ((T)1 - ig[j]);
    gg[h + j] = dcTotal * cp[j] * fg[j] * ((T)1 - fg[j]);
    gg[2 * h + j] = dcTotal * ig[j] * ((T)1 - gt[j] * gt[j]);
    gg[3 * h + j] = g * tc[j] * og[j] * ((T)1 - og[j]);
    gc[j] = dcTotal * fg[j];
    carry[j] = 0;
  }
}

static void NAME(lstm_step_backward_rows)(ptrdiff_t n, ptrdiff_t h, const int64_t *lengths,
                                          ptrdiff_t t, const T *act, const T *tanhC, const T *cPrev,
                                          const T *dOut, const T *dh, T *dc, T *dGates,
                                          T *dhCarry) {
  for (ptrdiff_t b = 0; b < n; b++) {
    const T *gh = dh + b * h;
    T *gg = dGates + b * 4 * h, *carry = dhCarry + b * h;
    if (!ACTIVE(b)) {
      for (ptrdiff_t j = 0; j < 4 * h; j++) gg[j] = 0;
      for (ptrdiff_t j = 0; j < h; j++) carry[j] = gh[j];
      continue;
    }
    NAME(lstm_step_backward_row)
    (h, act + b * 4 * h, tanhC + b * h, cPrev + b * h, gh, dOut ? dOut + b * h : NULL, dc + b * h,
     gg, carry);
  }
}

// The LSTM step's entry points, with subnormals counted as zero (see prelude.h).
static void NAME(lstm_step)(const NablaRecurrentStep *step, const T *xg, const T *hg, const T *bias,
                            const T *hPrev, const T *cPrev, T *act, T *tanhC, T *hNext, T *cNext,
                            T *out) {
  const ptrdiff_t n = step->batch, h = step->hidden, t = step->time;
  const int64_t *lengths = step->lengths;
  const unsigned saved = nabla_flush_subnormals();
  NAME(lstm_step_rows)(n, h, lengths, t, xg, hg, bias, hPrev, cPrev, act, tanhC, hNext, cNext, out);
  nabla_restore_subnormals(saved);
}

static void NAME(lstm_step_backward)(const NablaRecurrentStep *step, const T *act, const T *tanhC,
                                     const T *cPrev, const T *dOut, const T *dh, T *dc, T *dGates,
                                     T *dhCarry) {
  const ptrdiff_t n = step->batch, h = step->hidden, t = step->time;
  const int64_t *lengths = step->lengths;
  const unsigned saved = nabla_flush_subnormals();
  NAME(lstm_step_backward_rows)(n, h, lengths, t, act, tanhC, cPrev, dOut, dh, dc, dGates, dhCarry);
  nabla_restore_subnormals(saved);
}

// The pre-activations of r and z and W_hn·h + b_hn of one row of a GRU step, its arrays said not
// to overlap so that the loop runs on vectors (see lstm_step_backward_row).
static inline void NAME(gru_step_preactivation_row)(ptrdiff_t h, const T *restrict x,
                                                    const T *restrict r, const T *restrict bias,
                                                    T *restrict rg, T *restrict zg,
                                                    T *restrict hiddenN) {
  for (ptrdiff_t j = 0; j < h; j++) {
    rg[j] = x[j] + r[j] + (bias ? bias[j] : 0);
    zg[j] = x[h + j] + r[h + j] + (bias ? bias[h + j] : 0);
    hiddenN[j] = r[2 * h + j] + (bias ? bias[2 * h + j] : 0);
  }
}

// The GRU keeps its step's activations gate by gate, act = [r | z | n | W_hn·h + b_hn], each
// block [n, h]: the sigmoids and the tanh then run over long contiguous runs, which vectorize,
// rather than over rows of h elements. The blocks lie `stride` elements apart, n·h for a whole
// batch, so that a step can also run on some rows of a batch, each block keeping its place.
static void NAME(gru_step_body)(ptrdiff_t n, ptrdiff_t h, const int64_t *lengths, ptrdiff_t t,
                                const T *xg, const T *hg, const T *bias, const T *hPrev, T *act,
                                ptrdiff_t stride, T *hNext, T *out) {
  const ptrdiff_t count = n * h;
  T *rg = act, *zg = act + stride, *ng = act + 2 * stride, *hiddenN = act + 3 * stride;
  for (ptrdiff_t b = 0; b < n; b++) NAME(gru_step_preactivation_row)
  (h, xg + b * 3 * h, hg + b * 3 * h, bias, rg + b * h, zg + b * h, hiddenN + b * h);
  for (ptrdiff_t i = 0; i < count; i++) rg[i] = NAME(rnn_sigmoid)(rg[i]);
  for (ptrdiff_t i = 0; i < count; i++) zg[i] = NAME(rnn_sigmoid)(zg[i]);
  for (ptrdiff_t b = 0; b < n; b++)
    for (ptrdiff_t j = 0; j < h; j++)
      ng[b * h + j] = xg[b * 3 * h + 2 * h + j] + rg[b * h + j] * hiddenN[b * h + j];
  for (ptrdiff_t i = 0; i < count; i++) ng[i] = ACTIVATION_TANH(ng[i]);
  for (ptrdiff_t i = 0; i < count; i++) hNext[i] = ((T)1 - zg[i]) * ng[i] + zg[i] * hPrev[i];
  if (out)
    for (ptrdiff_t i = 0; i < count; i++) out[i] = hNext[i];
  if (!lengths) return;
  for (ptrdiff_t b = 0; b < n; b++) {
    if (ACTIVE(b)) continue;
    for (ptrdiff_t j = 0; j < h; j++) hNext[b * h + j] = hPrev[b * h + j];
    if (out)
      for (ptrdiff_t j = 0; j < h; j++) out[b * h + j] = 0;
  }
}

// The backward of one running row of a GRU step, its arrays said not to overlap so that the
// loop runs on vectors (see lstm_step_backward_row; 16 rows of 128: 4.1 µs, 6.7 µs without
// restrict).
static inline void NAME(gru_step_backward_row)(ptrdiff_t h, const T *restrict rg,
                                               const T *restrict zg, const T *restrict ng,
                                               const T *restrict hiddenN, const T *restrict hp,
                                               const T *restrict gh, const T *restrict go,
                                               T *restrict gx, T *restrict gr, T *restrict carry) {
  for (ptrdiff_t j = 0; j < h; j++) {
    T g = gh[j] + (go ? go[j] : 0);
    T dPreN = g * ((T)1 - zg[j]) * ((T)1 - ng[j] * ng[j]);
    T dPreR = dPreN * hiddenN[j] * rg[j] * ((T)1 - rg[j]);
    T dPreZ = g * (hp[j] - ng[j]) * zg[j] * ((T)1 - zg[j]);
    gx[j] = dPreR;
    gx[h + j] = dPreZ;
    gx[2 * h + j] = dPreN;
    gr[j] = dPreR;
    gr[h + j] = dPreZ;
    gr[2 * h + j] = dPreN * rg[j];
    carry[j] = g * zg[j];
  }
}

static void NAME(gru_step_backward_body)(ptrdiff_t n, ptrdiff_t h, const int64_t *lengths,
                                         ptrdiff_t t, const T *act, ptrdiff_t stride,
                                         const T *hPrev, const T *dOut, const T *dh, T *dXg, T *dHg,
                                         T *dhCarry) {
  const T *rg = act, *zg = act + stride, *ng = act + 2 * stride, *hiddenN = act + 3 * stride;
  for (ptrdiff_t b = 0; b < n; b++) {
    const ptrdiff_t row = b * h;
    T *gx = dXg + b * 3 * h, *gr = dHg + b * 3 * h, *carry = dhCarry + row;
    if (!ACTIVE(b)) {
      for (ptrdiff_t j = 0; j < 3 * h; j++) {
        gx[j] = 0;
        gr[j] = 0;
      }
      for (ptrdiff_t j = 0; j < h; j++) carry[j] = dh[row + j];
      continue;
    }
    NAME(gru_step_backward_row)
    (h, rg + row, zg + row, ng + row, hiddenN + row, hPrev + row, dh + row,
     dOut ? dOut + row : NULL, gx, gr, carry);
  }
}

// The GRU step's entry points, with subnormals counted as zero (see prelude.h).
static void NAME(gru_step)(const NablaRecurrentStep *step, const T *xg, const T *hg, const T *bias,
                           const T *hPrev, T *act, ptrdiff_t stride, T *hNext, T *out) {
  const ptrdiff_t n = step->batch, h = step->hidden, t = step->time;
  const int64_t *lengths = step->lengths;
  const unsigned saved = nabla_flush_subnormals();
  NAME(gru_step_body)(n, h, lengths, t, xg, hg, bias, hPrev, act, stride, hNext, out);
  nabla_restore_subnormals(saved);
}

static void NAME(gru_step_backward)(const NablaRecurrentStep *step, const T *act, ptrdiff_t stride,
                                    const T *hPrev, const T *dOut, const T *dh, T *dXg, T *dHg,
                                    T *dhCarry) {
  const ptrdiff_t n = step->batch, h = step->hidden, t = step->time;
  const int64_t *lengths = step->lengths;
  const unsigned saved = nabla_flush_subnormals();
  NAME(gru_step_backward_body)(n, h, lengths, t, act, stride, hPrev, dOut, dh, dXg, dHg, dhCarry);
  nabla_restore_subnormals(saved);
}

#undef ACTIVE
