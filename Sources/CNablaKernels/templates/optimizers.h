// Fused optimizer updates for one element type (see prelude.h): one pass over a parameter
// instead of a dozen tensor ops, with PyTorch's formulas and order of operations.

#if defined(__clang__)
#define NABLA_SQRT(x) __builtin_elementwise_sqrt(x)  // no errno, so the loop vectorizes
#else
#define NABLA_SQRT(x) sqrt(x)
#endif

typedef struct {
  const T *parameter, *gradient;
  T *firstMoment, *secondMoment, *maxSecondMoment, *result;
  T stepSize, correction2, keep, b1, b2, c2, eps, wd;
  int decoupled, decay;
} NAME(AdamJob);

// One Adam element: p and g in, the moments updated, the new parameter returned. VMAX is the
// AMSGrad step (or nothing); the loop below is written twice so each version vectorizes.
#define ADAM_ELEMENT(VMAX)                                                                         \
  T p = parameter[i] * pKeep;     /* AdamW: decay the weight, not the gradient */                  \
  T g = gradient[i] + gDecay * p; /* Adam: L2 penalty through the gradient */                      \
  T m = m1[i] + b1 * (g - m1[i]); /* lerp, as torch's exp_avg.lerp_ */                             \
  T v = m2[i] * b2 + c2 * g * g;                                                                   \
  m1[i] = m;                                                                                       \
  m2[i] = v;                                                                                       \
  VMAX result[i] = p - stepSize * (m / (NABLA_SQRT(v) / correction2 + eps));

static void NAME(adam_range_body)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const NAME(AdamJob) *job = (const NAME(AdamJob) *)context;
  const T *restrict parameter = job->parameter, *restrict gradient = job->gradient;
  T *restrict m1 = job->firstMoment, *restrict m2 = job->secondMoment;
  T *restrict vmax = job->maxSecondMoment, *restrict result = job->result;
  const T stepSize = job->stepSize, correction2 = job->correction2;
  const T b1 = job->b1, b2 = job->b2, c2 = job->c2, eps = job->eps;
  const T pKeep = job->decoupled ? job->keep : 1, gDecay = job->decay ? job->wd : 0;
  if (vmax) {
    for (ptrdiff_t i = begin; i < end; i++) {
      ADAM_ELEMENT(T previous = vmax[i]; v = (v != v || v > previous) ? v : previous; vmax[i] = v;)
    }
  } else {
    for (ptrdiff_t i = begin; i < end; i++) {
      ADAM_ELEMENT()
    }
  }
}
#undef ADAM_ELEMENT

// Adam with subnormals counted as zero (second moments of tiny gradients fall into that range).
static void NAME(adam_range)(void *context, ptrdiff_t begin, ptrdiff_t end) {
  const unsigned saved = nabla_flush_subnormals();
  NAME(adam_range_body)(context, begin, end);
  nabla_restore_subnormals(saved);
}

static void NAME(adam_update)(ptrdiff_t n, const T *parameter, const T *gradient, T *firstMoment,
                              T *secondMoment, T *maxSecondMoment, T *result,
                              const NablaAdamStep *step) {
  const NablaAdamStep s = *step;
  NAME(AdamJob)
  job = {parameter,
         gradient,
         firstMoment,
         secondMoment,
         maxSecondMoment,
         result,
         (T)(s.learningRate / s.biasCorrection1),
         (T)sqrt(s.biasCorrection2),
         (T)(1 - s.learningRate * s.decoupledDecay),
         (T)(1 - s.beta1),
         (T)s.beta2,
         (T)(1 - s.beta2),
         (T)s.epsilon,
         (T)s.weightDecay,
         s.decoupledDecay != 0,
         s.weightDecay != 0};
  nabla_parallel_range(n, NAME(ELEMENTWISE_GRAIN), NAME(adam_range), &job);
}

static void NAME(sgd_update)(ptrdiff_t n, const T *parameter, const T *gradient, T *momentumBuffer,
                             T *result, const NablaSGDStep *step) {
  const double weightDecay = step->weightDecay;
  const int firstStep = step->firstStep, nesterov = step->nesterov;
  T lr = (T)step->learningRate, mu = (T)step->momentum, keep = (T)(1 - step->dampening);
  T wd = (T)weightDecay;
  // Two loops rather than a test of momentumBuffer inside one: with AVX-512 the compiler would
  // turn that test into masked loads and stores through the NULL pointer, which the CPU
  // suppresses slowly (tiny_step ran 50% slower).
  if (!momentumBuffer) {
    for (ptrdiff_t i = 0; i < n; i++) {
      T p = parameter[i], d = gradient[i];
      if (weightDecay != 0) d += wd * p;
      result[i] = p - lr * d;
    }
    return;
  }
  for (ptrdiff_t i = 0; i < n; i++) {
    T p = parameter[i], d = gradient[i];
    if (weightDecay != 0) d += wd * p;
    T buffer = firstStep ? d : mu * momentumBuffer[i] + keep * d;
    momentumBuffer[i] = buffer;
    d = nesterov ? d + mu * buffer : buffer;
    result[i] = p - lr * d;
  }
}
#undef NABLA_SQRT
