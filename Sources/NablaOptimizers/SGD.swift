/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay, by the algorithm of PyTorch's `torch.optim.SGD`.
///
/// For each parameter `p` with gradient `g` at step `t`:
///
///     g = g + weightDecay * p                       (when weightDecay != 0)
///     b = t == 1 ? g : momentum * b + (1 - dampening) * g   (when momentum != 0)
///     g = nesterov ? g + momentum * b : b           (when momentum != 0)
///     p = p - learningRate * g
///
/// ```swift
/// let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9, nesterov: true)
/// ```
public final class SGD: Optimizer, @unchecked Sendable {
  /// The momentum factor; 0 turns momentum off.
  public let momentum: Double
  /// The fraction of the gradient held back from the momentum buffer after the first step.
  public let dampening: Double
  /// Whether to use Nesterov momentum.
  public let nesterov: Bool

  /// Creates an SGD optimizer over one group of parameters.
  ///
  /// - Parameters:
  ///   - parameters: The parameters to train.
  ///   - learningRate: The step size (PyTorch's default, 1e-3).
  ///   - momentum: The momentum factor, in [0, 1) usually; 0 for plain SGD.
  ///   - dampening: Dampening for momentum; must be 0 with Nesterov momentum.
  ///   - weightDecay: The L2 penalty added to the gradient as `weightDecay * p`.
  ///   - nesterov: Whether to use Nesterov momentum (needs momentum > 0).
  public convenience init(
    _ parameters: [Parameter], learningRate: Double = 1e-3, momentum: Double = 0,
    dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, momentum: momentum,
      dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
  }

  /// Creates an SGD optimizer over several parameter groups.
  ///
  /// - Parameters:
  ///   - groups: The parameter groups; unset learning rates and weight decays take the values
  ///     given here.
  ///   - learningRate: The default step size.
  ///   - momentum: The momentum factor, in [0, 1) usually; 0 for plain SGD.
  ///   - dampening: Dampening for momentum; must be 0 with Nesterov momentum.
  ///   - weightDecay: The default L2 penalty.
  ///   - nesterov: Whether to use Nesterov momentum (needs momentum > 0).
  public init(
    groups: [ParameterGroup], learningRate: Double = 1e-3, momentum: Double = 0,
    dampening: Double = 0, weightDecay: Double = 0, nesterov: Bool = false
  ) {
    require(momentum >= 0, "SGD: momentum must not be negative, got \(momentum)")
    require(
      !nesterov || (momentum > 0 && dampening == 0),
      "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum \(momentum) and "
        + "dampening \(dampening)")
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    super.init(groups: groups, learningRate: learningRate, weightDecay: weightDecay)
  }

  /// `momentum_buffer` when momentum is on, as PyTorch.
  public override var stateTensorNames: [String] { momentum != 0 ? ["momentum_buffer"] : [] }

  /// Applies one SGD step to `value`.
  public override func update(
    _ value: inout Tensor, gradient: Tensor, group: ParameterGroup, state: inout OptimizerState
  ) {
    // Taken out of the state while updated in place, so no other reference forces a copy.
    var buffer = state.tensors.removeValue(forKey: "momentum_buffer")
    value = value.sgdUpdate(
      gradient: gradient, momentumBuffer: &buffer, useMomentum: momentum != 0,
      learningRate: group.learningRate, momentum: momentum, dampening: dampening,
      weightDecay: group.weightDecay, nesterov: nesterov)
    if let buffer { state["momentum_buffer"] = buffer }
  }
}
