// Multi-head self-attention without masks, straight from the packed projections, for one element
// type (see prelude.h; included after reduce.h, whose softmax it uses). qkv is [N, L, 3E]: the
// query, key and value of position l side by side, head h's features at columns h·d ..< (h+1)·d
// of each third. Head (n, h) reads its matrices in place (rows 3E apart), so the heads are never
// copied out or merged back: P = softmax(scale · Q·Kᵀ) is [N, h, L, L] and the output, [N, L, E],
// gets head h's P·V in its columns h·d ..< (h+1)·d. GEMM is this type's nabla_?gemm.

typedef struct {
  ptrdiff_t heads, length, width, depth;  // h, L, E, d = E / h
  T scale;
  const T *qkv, *gradient;
  T *weights, *output, *qkvGradient, *scratch;
} NAME(AttentionJob);

// Heads begin ..< end (index n·h + head) of the forward.
static void NAME(attention_heads_forward)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(AttentionJob) *job = (const NAME(AttentionJob) *)context;
  const ptrdiff_t L = job->length, E = job->width, d = job->depth;
  for (ptrdiff_t index = begin; index < end; index++) {
    const ptrdiff_t n = index / job->heads, head = index % job->heads;
    const T *q = job->qkv + n * L * 3 * E + head * d;
    T *p = job->weights + index * L * L;
    GEMM(0, 1, L, L, d, job->scale, q, 3 * E, q + E, 3 * E, 0, p, L);
    NAME(SoftmaxJob) softmax = {0, L, 1, p, NULL, NULL, p};
    NAME(softmax_range)(&softmax, 0, L);
    GEMM(0, 0, L, d, L, 1, p, L, q + 2 * E, 3 * E, 0, job->output + n * L * E + head * d, E);
  }
}

// Heads begin ..< end of the backward, each with an L x L scratch block of its own.
static void NAME(attention_heads_backward_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(AttentionJob) *job = (const NAME(AttentionJob) *)context;
  const ptrdiff_t L = job->length, E = job->width, d = job->depth;
  for (ptrdiff_t index = begin; index < end; index++) {
    const ptrdiff_t n = index / job->heads, head = index % job->heads;
    const T *q = job->qkv + n * L * 3 * E + head * d, *k = q + E, *v = q + 2 * E;
    const T *g = job->gradient + n * L * E + head * d;
    const T *p = job->weights + index * L * L;
    T *dq = job->qkvGradient + n * L * 3 * E + head * d, *dk = dq + E, *dv = dq + 2 * E;
    T *dScores = job->scratch + index * L * L;
    GEMM(1, 0, L, d, L, 1, p, L, g, E, 0, dv, 3 * E);       // dV = Pᵀ·G
    GEMM(0, 1, L, L, d, 1, g, E, v, 3 * E, 0, dScores, L);  // dP = G·Vᵀ
    NAME(SoftmaxJob) softmax = {0, L, 1, NULL, p, dScores, dScores};
    NAME(softmax_backward_range)(&softmax, 0, L);                         // dS, in place
    GEMM(0, 0, L, d, L, job->scale, dScores, L, k, 3 * E, 0, dq, 3 * E);  // dQ = scale·dS·K
    GEMM(1, 0, L, d, L, job->scale, dScores, L, q, 3 * E, 0, dk, 3 * E);  // dK = scale·dSᵀ·Q
  }
}

static void NAME(attention_heads)(ptrdiff_t batch, ptrdiff_t heads, ptrdiff_t length,
                                  ptrdiff_t width, double scale, const T *qkv, T *weights,
                                  T *output) {
  NAME(AttentionJob)
  job = {heads, length, width, width / heads, (T)scale, qkv, NULL, weights, output, NULL, NULL};
  nabla_parallel_range(batch * heads, 1, NAME(attention_heads_forward), &job);
}

static void NAME(attention_heads_backward)(ptrdiff_t batch, ptrdiff_t heads, ptrdiff_t length,
                                           ptrdiff_t width, double scale, const T *qkv,
                                           const T *weights, const T *gradient, T *qkvGradient) {
  const size_t bytes = sizeof(T) * (size_t)(batch * heads * length * length);
  NAME(AttentionJob)
  job = {heads,
         length,
         width,
         width / heads,
         (T)scale,
         qkv,
         gradient,
         (T *)weights,
         NULL,
         qkvGradient,
         (T *)nabla_buffer_allocate(bytes)};
  nabla_parallel_range(batch * heads, 1, NAME(attention_heads_backward_range), &job);
  nabla_buffer_free(job.scratch, bytes);
}
