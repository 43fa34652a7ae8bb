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
    var step = NablaAdamStep(
      learningRate: s.learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon,
      weightDecay: s.weightDecay, decoupledDecay: s.decoupledDecay,
      biasCorrection1: correction1, biasCorrection2: correction2)
    let (m, v, vMax) = (firstMoment, secondMoment, maxSecondMoment)
    func run<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.adamUpdate(
        scalarCount, data(Scalar.self), gradient.data(Scalar.self), m.data(Scalar.self),
        v.data(Scalar.self), vMax?.data(Scalar.self), result.data(Scalar.self), &step)
    }
    dtype.isSingle ? run(Float.self) : run(Double.self)
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
    var step = NablaSGDStep(
      learningRate: learningRate, momentum: momentum, dampening: dampening,
      weightDecay: weightDecay, firstStep: firstStep, nesterov: nesterov ? 1 : 0)
    let buffer = useMomentum ? momentumBuffer : nil
    func run<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.sgdUpdate(
        scalarCount, data(Scalar.self), gradient.data(Scalar.self), buffer?.data(Scalar.self),
        result.data(Scalar.self), &step)
    }
    dtype.isSingle ? run(Float.self) : run(Double.self)
    return result
  }
}
