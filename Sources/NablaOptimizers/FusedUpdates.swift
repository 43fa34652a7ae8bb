import CNablaKernels
import Foundation
import Nabla

// The fused update steps of SGD and Adam/AdamW: one pass of C over each parameter.

/// The settings of one Adam or AdamW step (see `Tensor.adamUpdate`).
struct AdamSettings {
  var learningRate, beta1, beta2, epsilon: Double
  /// L2 penalty added to the gradient (Adam).
  var weightDecay: Double
  /// Decay applied to the parameter itself (AdamW).
  var decoupledDecay: Double
  /// The number of steps taken, this one included.
  var step: Int

  init(
    learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double,
    decoupledDecay: Double, step: Int
  ) {
    (self.learningRate, self.beta1, self.beta2, self.epsilon) = (
      learningRate, beta1, beta2, epsilon
    )
    (self.weightDecay, self.decoupledDecay, self.step) = (weightDecay, decoupledDecay, step)
  }
}

extension Tensor {
  /// One fused Adam/AdamW step: updates the moments in place (they must have this tensor's shape
  /// and dtype) and returns the new parameter value. Records nothing.
  func adamUpdate(
    gradient: Tensor, firstMoment: inout Tensor, secondMoment: inout Tensor,
    maxSecondMoment: inout Tensor?, settings s: AdamSettings
  ) -> Tensor {
    for other in [gradient, firstMoment, secondMoment] + (maxSecondMoment.map { [$0] } ?? []) {
      require(
        other.shape == shape && other.dtype == dtype,
        "adam: state of shape \(describe(other.shape)) (\(other.dtype)) does not fit a parameter "
          + "of shape \(describe(shape)) (\(dtype))")
    }
    requireFloatingPoint("adam")
    firstMoment.makeUnique()
    secondMoment.makeUnique()
    maxSecondMoment?.makeUnique()
    let result = Tensor(empty: shape, dtype: dtype)
    let correction1 = 1 - Foundation.pow(s.beta1, Double(s.step))
    let correction2 = 1 - Foundation.pow(s.beta2, Double(s.step))
    if dtype == .float32 {
      nabla_adam_update_f32(
        scalarCount, f32, gradient.f32, firstMoment.f32, secondMoment.f32, maxSecondMoment?.f32,
        result.f32, s.learningRate, s.beta1, s.beta2, s.epsilon, s.weightDecay, s.decoupledDecay,
        correction1, correction2)
    } else {
      nabla_adam_update_f64(
        scalarCount, f64, gradient.f64, firstMoment.f64, secondMoment.f64, maxSecondMoment?.f64,
        result.f64, s.learningRate, s.beta1, s.beta2, s.epsilon, s.weightDecay, s.decoupledDecay,
        correction1, correction2)
    }
    return result
  }

  /// One fused SGD step (PyTorch's rule): updates `momentumBuffer` in place when given (it is
  /// created from the first step's direction when nil) and returns the new parameter value.
  func sgdUpdate(
    gradient: Tensor, momentumBuffer: inout Tensor?, useMomentum: Bool, learningRate: Double,
    momentum: Double, dampening: Double, weightDecay: Double, nesterov: Bool
  ) -> Tensor {
    require(
      gradient.shape == shape && gradient.dtype == dtype,
      "sgd: gradient of shape \(describe(gradient.shape)) (\(gradient.dtype)) does not fit a "
        + "parameter of shape \(describe(shape)) (\(dtype))")
    requireFloatingPoint("sgd")
    let firstStep: Int32 = momentumBuffer == nil ? 1 : 0
    if useMomentum {
      if momentumBuffer == nil { momentumBuffer = Tensor(empty: shape, dtype: dtype) }
      momentumBuffer!.makeUnique()
    }
    let result = Tensor(empty: shape, dtype: dtype)
    let isNesterov: Int32 = nesterov ? 1 : 0
    if dtype == .float32 {
      nabla_sgd_update_f32(
        scalarCount, f32, gradient.f32, useMomentum ? momentumBuffer!.f32 : nil, firstStep,
        result.f32, learningRate, momentum, dampening, weightDecay, isNesterov)
    } else {
      nabla_sgd_update_f64(
        scalarCount, f64, gradient.f64, useMomentum ? momentumBuffer!.f64 : nil, firstStep,
        result.f64, learningRate, momentum, dampening, weightDecay, isNesterov)
    }
    return result
  }
}
