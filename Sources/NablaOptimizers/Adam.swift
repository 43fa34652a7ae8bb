import Foundation

/// Adam with bias correction, optional AMSGrad and L2 weight decay, by the algorithm of PyTorch's
/// `torch.optim.Adam`.
///
/// For each parameter `p` with gradient `g` at step `t`:
///
///     g = g + weightDecay * p                       (when weightDecay != 0)
///     m = beta1 * m + (1 - beta1) * g
///     v = beta2 * v + (1 - beta2) * g²
///     vMax = max(vMax, v)                           (AMSGrad; the denominator then uses vMax)
///     p = p - learningRate / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
///
/// `AdamW`, a subclass as in PyTorch, is the same algorithm with the weight decay decoupled from
/// the gradient.
///
/// ```swift
/// let optimizer = Adam(model.parameters(), learningRate: 1e-3)
/// ```
public class Adam: Optimizer, @unchecked Sendable {
  /// The decay rate of the first-moment estimate.
  public let beta1: Double
  /// The decay rate of the second-moment estimate.
  public let beta2: Double
  /// The term added to the denominator for numerical stability.
  public let epsilon: Double
  /// Whether to use the maximum of past second moments (AMSGrad).
  public let amsgrad: Bool
  /// Whether the weight decay shrinks the parameter before the step (`AdamW`, PyTorch's
  /// `decoupled_weight_decay`) rather than being added to the gradient (`Adam`).
  let decouplesWeightDecay: Bool

  /// Creates an Adam optimizer over one group of parameters.
  ///
  /// - Parameters:
  ///   - parameters: The parameters to train.
  ///   - learningRate: The step size.
  ///   - betas: The decay rates of the first and second moment estimates.
  ///   - epsilon: The term added to the denominator.
  ///   - weightDecay: The L2 penalty added to the gradient (use `AdamW` for decoupled decay).
  ///   - amsgrad: Whether to use AMSGrad.
  public convenience init(
    _ parameters: [Parameter], learningRate: Double = 1e-3,
    betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8, weightDecay: Double = 0,
    amsgrad: Bool = false
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, betas: betas,
      epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
  }

  /// Creates an Adam optimizer over several parameter groups.
  ///
  /// - Parameters:
  ///   - groups: The parameter groups; unset learning rates and weight decays take the values
  ///     given here.
  ///   - learningRate: The default step size.
  ///   - betas: The decay rates of the first and second moment estimates.
  ///   - epsilon: The term added to the denominator.
  ///   - weightDecay: The default L2 penalty.
  ///   - amsgrad: Whether to use AMSGrad.
  public convenience init(
    groups: [ParameterGroup], learningRate: Double = 1e-3,
    betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8, weightDecay: Double = 0,
    amsgrad: Bool = false
  ) {
    self.init(
      groups: groups, learningRate: learningRate, betas: betas, epsilon: epsilon,
      weightDecay: weightDecay, amsgrad: amsgrad, decouplesWeightDecay: false)
  }

  /// Creates the optimizer with the weight decay coupled (`Adam`) or decoupled (`AdamW`).
  init(
    groups: [ParameterGroup], learningRate: Double, betas: (Double, Double), epsilon: Double,
    weightDecay: Double, amsgrad: Bool, decouplesWeightDecay: Bool
  ) {
    let name = String(describing: Self.self)
    require(
      (0..<1).contains(betas.0) && (0..<1).contains(betas.1),
      "\(name): betas must be in [0, 1), got (\(betas.0), \(betas.1))")
    require(epsilon >= 0, "\(name): epsilon must not be negative, got \(epsilon)")
    (beta1, beta2) = betas
    self.epsilon = epsilon
    self.amsgrad = amsgrad
    self.decouplesWeightDecay = decouplesWeightDecay
    super.init(groups: groups, learningRate: learningRate, weightDecay: weightDecay)
  }

  /// `exp_avg`, `exp_avg_sq` and, with AMSGrad, `max_exp_avg_sq`, as PyTorch.
  public override var stateTensorNames: [String] {
    amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"]
  }

  /// Applies one Adam (or AdamW) step to `value`.
  public override func update(
    _ value: inout Tensor, gradient: Tensor, group: ParameterGroup, state: inout OptimizerState
  ) {
    value = adamStep(
      value, gradient, learningRate: group.learningRate, beta1: beta1, beta2: beta2,
      epsilon: epsilon, weightDecay: decouplesWeightDecay ? 0 : group.weightDecay,
      decoupledDecay: decouplesWeightDecay ? group.weightDecay : 0, amsgrad: amsgrad,
      state: &state)
  }
}

/// Adam with decoupled weight decay (Loshchilov and Hutter), by the algorithm of PyTorch's
/// `torch.optim.AdamW`: before the Adam step, `p = p * (1 - learningRate * weightDecay)`, and
/// the decay does not enter the moment estimates.
///
/// As in PyTorch, it is an `Adam` with decoupled weight decay and a default decay of 0.01.
///
/// ```swift
/// let optimizer = AdamW(model.parameters(), learningRate: 1e-3, weightDecay: 0.01)
/// ```
public final class AdamW: Adam, @unchecked Sendable {
  /// Creates an AdamW optimizer over one group of parameters.
  ///
  /// - Parameters:
  ///   - parameters: The parameters to train.
  ///   - learningRate: The step size.
  ///   - betas: The decay rates of the first and second moment estimates.
  ///   - epsilon: The term added to the denominator.
  ///   - weightDecay: The decoupled decay coefficient (PyTorch's default, 0.01).
  ///   - amsgrad: Whether to use AMSGrad.
  public convenience init(
    _ parameters: [Parameter], learningRate: Double = 1e-3,
    betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8, weightDecay: Double = 1e-2,
    amsgrad: Bool = false
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, betas: betas,
      epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
  }

  /// Creates an AdamW optimizer over several parameter groups.
  ///
  /// - Parameters:
  ///   - groups: The parameter groups; unset learning rates and weight decays take the values
  ///     given here.
  ///   - learningRate: The default step size.
  ///   - betas: The decay rates of the first and second moment estimates.
  ///   - epsilon: The term added to the denominator.
  ///   - weightDecay: The default decoupled decay coefficient.
  ///   - amsgrad: Whether to use AMSGrad.
  public init(
    groups: [ParameterGroup], learningRate: Double = 1e-3,
    betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8, weightDecay: Double = 1e-2,
    amsgrad: Bool = false
  ) {
    super.init(
      groups: groups, learningRate: learningRate, betas: betas, epsilon: epsilon,
      weightDecay: weightDecay, amsgrad: amsgrad, decouplesWeightDecay: true)
  }
}

/// Updates the moment estimates in `state` with `gradient` and returns the new parameter value:
/// the bias-corrected Adam step shared by Adam (L2 `weightDecay` through the gradient) and AdamW
/// (`decoupledDecay` applied to the parameter), fused into one pass in the kernel layer.
private func adamStep(
  _ value: Tensor, _ gradient: Tensor, learningRate: Double, beta1: Double, beta2: Double,
  epsilon: Double, weightDecay: Double, decoupledDecay: Double, amsgrad: Bool,
  state: inout OptimizerState
) -> Tensor {
  // Taken out of the state while updated in place, so no other reference forces a copy.
  var firstMoment = state.tensors.removeValue(forKey: "exp_avg") ?? Tensor.zeros(like: value)
  var secondMoment = state.tensors.removeValue(forKey: "exp_avg_sq") ?? Tensor.zeros(like: value)
  var maxSecondMoment =
    amsgrad
    ? (state.tensors.removeValue(forKey: "max_exp_avg_sq") ?? Tensor.zeros(like: value)) : nil
  let settings = AdamSettings(
    learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
    weightDecay: weightDecay, decoupledDecay: decoupledDecay, step: state.step)
  let result = value.adamUpdate(
    gradient: gradient, firstMoment: &firstMoment, secondMoment: &secondMoment,
    maxSecondMoment: &maxSecondMoment, settings: settings)
  state["exp_avg"] = firstMoment
  state["exp_avg_sq"] = secondMoment
  if let maxSecondMoment { state["max_exp_avg_sq"] = maxSecondMoment }
  return result
}
