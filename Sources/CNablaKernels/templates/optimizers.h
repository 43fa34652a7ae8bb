// Fused optimizer updates for one element type (see prelude.h): one pass over a parameter
// instead of a dozen tensor ops, with PyTorch's formulas and order of operations.

void NAME(nabla_adam_update)(ptrdiff_t n, const T *parameter, const T *gradient, T *firstMoment,
                             T *secondMoment, T *maxSecondMoment, T *result, double learningRate,
                             double beta1, double beta2, double epsilon, double weightDecay,
                             double decoupledDecay, double biasCorrection1,
                             double biasCorrection2) {
  T stepSize = (T)(learningRate / biasCorrection1);
  T correction2 = (T)sqrt(biasCorrection2);
  T keep = (T)(1 - learningRate * decoupledDecay);
  T b1 = (T)(1 - beta1), b2 = (T)beta2, c2 = (T)(1 - beta2), eps = (T)epsilon, wd = (T)weightDecay;
  for (ptrdiff_t i = 0; i < n; i++) {
    T p = parameter[i], g = gradient[i];
    if (decoupledDecay != 0) p *= keep;  // AdamW: decay the weight, not the gradient
    if (weightDecay != 0) g += wd * p;    // Adam: L2 penalty through the gradient
    T m = firstMoment[i] + b1 * (g - firstMoment[i]);  // lerp, as torch's exp_avg.lerp_
    T v = secondMoment[i] * b2 + c2 * g * g;
    firstMoment[i] = m;
    secondMoment[i] = v;
    if (maxSecondMoment) {
      if (v > maxSecondMoment[i] || v != v) maxSecondMoment[i] = v;
      v = maxSecondMoment[i];
    }
    result[i] = p - stepSize * (m / (sqrt(v) / correction2 + eps));
  }
}

void NAME(nabla_sgd_update)(ptrdiff_t n, const T *parameter, const T *gradient, T *momentumBuffer,
                            int firstStep, T *result, double learningRate, double momentum,
                            double dampening, double weightDecay, int nesterov) {
  T lr = (T)learningRate, mu = (T)momentum, keep = (T)(1 - dampening), wd = (T)weightDecay;
  for (ptrdiff_t i = 0; i < n; i++) {
    T p = parameter[i], d = gradient[i];
    if (weightDecay != 0) d += wd * p;
    if (momentumBuffer) {
      T buffer = firstStep ? d : mu * momentumBuffer[i] + keep * d;
      momentumBuffer[i] = buffer;
      d = nesterov ? d + mu * buffer : buffer;
    }
    result[i] = p - lr * d;
  }
}
