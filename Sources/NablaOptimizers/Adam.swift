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
/// ```swift
/// let optimizer = Adam(model.parameters(), learningRate: 1e-3)
/// ```
public final class Adam: Optimizer {
  /// The decay rate of the first-moment estimate.
  public let beta1: Double
  /// The decay rate of the second-moment estimate.
  public let beta2: Double
  /// The term added to the denominator for numerical stability.
  public let epsilon: Double
  /// Whether to use the maximum of past second moments (AMSGrad).
  public let amsgrad: Bool

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
  public init(
    groups: [ParameterGroup], learningRate: Double = 1e-3,
    betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8, weightDecay: Double = 0,
    amsgrad: Bool = false
  ) {
    requireAdamSettings("Adam", betas: betas, epsilon: epsilon)
    (beta1, beta2) = betas
    self.epsilon = epsilon
    self.amsgrad = amsgrad
    super.init(groups: groups, learningRate: learningRate, weightDecay: weightDecay)
  }

  /// `exp_avg`, `exp_avg_sq` and, with AMSGrad, `max_exp_avg_sq`, as PyTorch.
  public override var stateTensorNames: [String] { adamStateNames(amsgrad: amsgrad) }

  /// Applies one Adam step to `value`.
  public override func update(
    _ value: inout Tensor, gradient: Tensor, group: ParameterGroup, state: inout OptimizerState
  ) {
    var gradient = gradient
    if group.weightDecay != 0 { gradient = gradient + group.weightDecay * value }
    value =
      value
      - adamStep(
        gradient, learningRate: group.learningRate, beta1: beta1, beta2: beta2,
        epsilon: epsilon, amsgrad: amsgrad, state: &state)
  }
}

/// Adam with decoupled weight decay (Loshchilov and Hutter), by the algorithm of PyTorch's
/// `torch.optim.AdamW`: before the Adam step, `p = p * (1 - learningRate * weightDecay)`, and
/// the decay does not enter the moment estimates.
///
/// ```swift
/// let optimizer = AdamW(model.parameters(), learningRate: 1e-3, weightDecay: 0.01)
/// ```
public final class AdamW: Optimizer {
  /// The decay rate of the first-moment estimate.
  public let beta1: Double
  /// The decay rate of the second-moment estimate.
  public let beta2: Double
  /// The term added to the denominator for numerical stability.
  public let epsilon: Double
  /// Whether to use the maximum of past second moments (AMSGrad).
  public let amsgrad: Bool

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
    requireAdamSettings("AdamW", betas: betas, epsilon: epsilon)
    (beta1, beta2) = betas
    self.epsilon = epsilon
    self.amsgrad = amsgrad
    super.init(groups: groups, learningRate: learningRate, weightDecay: weightDecay)
  }

  /// `exp_avg`, `exp_avg_sq` and, with AMSGrad, `max_exp_avg_sq`, as PyTorch.
  public override var stateTensorNames: [String] { adamStateNames(amsgrad: amsgrad) }

  /// Applies one AdamW step to `value`.
  public override func update(
    _ value: inout Tensor, gradient: Tensor, group: ParameterGroup, state: inout OptimizerState
  ) {
    if group.weightDecay != 0 { value = value * (1 - group.learningRate * group.weightDecay) }
    value =
      value
      - adamStep(
        gradient, learningRate: group.learningRate, beta1: beta1, beta2: beta2,
        epsilon: epsilon, amsgrad: amsgrad, state: &state)
  }
}

/// Stops unless Adam's settings are in range, as PyTorch checks them.
private func requireAdamSettings(_ name: String, betas: (Double, Double), epsilon: Double) {
  require(
    (0..<1).contains(betas.0) && (0..<1).contains(betas.1),
    "\(name): betas must be in [0, 1), got (\(betas.0), \(betas.1))")
  require(epsilon >= 0, "\(name): epsilon must not be negative, got \(epsilon)")
}

private func adamStateNames(amsgrad: Bool) -> [String] {
  amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"]
}

/// Updates the moment estimates in `state` with `gradient` and returns the amount to subtract
/// from the parameter: the bias-corrected Adam step shared by Adam and AdamW.
private func adamStep(
  _ gradient: Tensor, learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
  amsgrad: Bool, state: inout OptimizerState
) -> Tensor {
  let zeros = Tensor.zeros(like: gradient)
  let firstMoment = beta1 * (state["exp_avg"] ?? zeros) + (1 - beta1) * gradient
  let secondMoment =
    beta2 * (state["exp_avg_sq"] ?? zeros) + (1 - beta2) * gradient * gradient
  state["exp_avg"] = firstMoment
  state["exp_avg_sq"] = secondMoment
  var denominatorMoment = secondMoment
  if amsgrad {
    denominatorMoment = Tensor.maximum(state["max_exp_avg_sq"] ?? zeros, secondMoment)
    state["max_exp_avg_sq"] = denominatorMoment
  }
  let step = Double(state.step)
  let biasCorrection1 = 1 - pow(beta1, step)
  let biasCorrection2 = 1 - pow(beta2, step)
  let denominator = denominatorMoment.sqrt() / biasCorrection2.squareRoot() + epsilon
  return (learningRate / biasCorrection1) * firstMoment / denominator
}
