/// Adagrad with learning-rate decay, an initial accumulator value and L2 weight decay, by the
/// algorithm of PyTorch's `torch.optim.Adagrad`.
///
/// For each parameter `p` with gradient `g` at step `t`, the sum starting at
/// `initialAccumulatorValue`:
///
///     g = g + weightDecay * p                       (when weightDecay != 0)
///     rate = learningRate / (1 + (t - 1) * learningRateDecay)
///     s = s + g²
///     p = p - rate * g / (sqrt(s) + epsilon)
///
/// ```swift
/// let optimizer = Adagrad(model.parameters(), learningRate: 0.01)
/// ```
public final class Adagrad: Optimizer, @unchecked Sendable {
  /// How fast the learning rate shrinks with the step count.
  public let learningRateDecay: Double
  /// The value every element of the squared-gradient sum starts at.
  public let initialAccumulatorValue: Double
  /// The term added to the denominator for numerical stability.
  public let epsilon: Double

  /// Creates an Adagrad optimizer over one group of parameters.
  ///
  /// - Parameters:
  ///   - parameters: The parameters to train.
  ///   - learningRate: The step size.
  ///   - learningRateDecay: The learning-rate decay (PyTorch's `lr_decay`).
  ///   - weightDecay: The L2 penalty added to the gradient.
  ///   - initialAccumulatorValue: The starting value of the squared-gradient sum.
  ///   - epsilon: The term added to the denominator.
  public convenience init(
    _ parameters: [Parameter], learningRate: Double = 1e-2, learningRateDecay: Double = 0,
    weightDecay: Double = 0, initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate,
      learningRateDecay: learningRateDecay, weightDecay: weightDecay,
      initialAccumulatorValue: initialAccumulatorValue, epsilon: epsilon)
  }

  /// Creates an Adagrad optimizer over several parameter groups.
  ///
  /// - Parameters:
  ///   - groups: The parameter groups; unset learning rates and weight decays take the values
  ///     given here.
  ///   - learningRate: The default step size.
  ///   - learningRateDecay: The learning-rate decay (PyTorch's `lr_decay`).
  ///   - weightDecay: The default L2 penalty.
  ///   - initialAccumulatorValue: The starting value of the squared-gradient sum.
  ///   - epsilon: The term added to the denominator.
  public init(
    groups: [ParameterGroup], learningRate: Double = 1e-2, learningRateDecay: Double = 0,
    weightDecay: Double = 0, initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10
  ) {
    require(
      learningRateDecay >= 0,
      "Adagrad: the learning-rate decay must not be negative, got \(learningRateDecay)")
    require(
      initialAccumulatorValue >= 0,
      "Adagrad: the initial accumulator value must not be negative, got "
        + "\(initialAccumulatorValue)")
    require(epsilon >= 0, "Adagrad: epsilon must not be negative, got \(epsilon)")
    self.learningRateDecay = learningRateDecay
    self.initialAccumulatorValue = initialAccumulatorValue
    self.epsilon = epsilon
    super.init(groups: groups, learningRate: learningRate, weightDecay: weightDecay)
  }

  /// `sum`, as PyTorch.
  public override var stateTensorNames: [String] { ["sum"] }

  /// Applies one Adagrad step to `value`.
  public override func update(
    _ value: inout Tensor, gradient: Tensor, group: ParameterGroup, state: inout OptimizerState
  ) {
    var gradient = gradient
    if group.weightDecay != 0 { gradient = gradient + group.weightDecay * value }
    let rate = group.learningRate / (1 + Double(state.step - 1) * learningRateDecay)
    let initial = Tensor.full(
      gradient.shape, value: initialAccumulatorValue, dtype: gradient.dtype)
    let sum = (state["sum"] ?? initial) + gradient * gradient
    state["sum"] = sum
    value = value - rate * gradient / (sum.sqrt() + epsilon)
  }
}
