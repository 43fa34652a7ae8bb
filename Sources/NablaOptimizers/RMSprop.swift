/// RMSprop with optional momentum, centering and L2 weight decay, by the algorithm of PyTorch's
/// `torch.optim.RMSprop`.
///
/// For each parameter `p` with gradient `g`, the averages starting at zero:
///
///     g = g + weightDecay * p                       (when weightDecay != 0)
///     v = alpha * v + (1 - alpha) * g²
///     d = sqrt(v) + epsilon, or sqrt(v - gAvg²) + epsilon when centered,
///         where gAvg = alpha * gAvg + (1 - alpha) * g
///     b = momentum * b + g / d;  p = p - learningRate * b   (when momentum > 0)
///     p = p - learningRate * g / d                          (otherwise)
///
/// ```swift
/// let optimizer = RMSprop(model.parameters(), learningRate: 0.01, momentum: 0.9)
/// ```
public final class RMSprop: Optimizer, @unchecked Sendable {
  /// The smoothing constant of the squared-gradient average.
  public let alpha: Double
  /// The term added to the denominator for numerical stability.
  public let epsilon: Double
  /// The momentum factor; 0 turns momentum off.
  public let momentum: Double
  /// Whether to normalize by an estimate of the gradient's variance instead of its second moment.
  public let centered: Bool

  /// Creates an RMSprop optimizer over one group of parameters.
  ///
  /// - Parameters:
  ///   - parameters: The parameters to train.
  ///   - learningRate: The step size.
  ///   - alpha: The smoothing constant.
  ///   - epsilon: The term added to the denominator.
  ///   - weightDecay: The L2 penalty added to the gradient.
  ///   - momentum: The momentum factor.
  ///   - centered: Whether to center the second moment by the average gradient.
  public convenience init(
    _ parameters: [Parameter], learningRate: Double = 1e-2, alpha: Double = 0.99,
    epsilon: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false
  ) {
    self.init(
      groups: [ParameterGroup(parameters)], learningRate: learningRate, alpha: alpha,
      epsilon: epsilon, weightDecay: weightDecay, momentum: momentum, centered: centered)
  }

  /// Creates an RMSprop optimizer over several parameter groups.
  ///
  /// - Parameters:
  ///   - groups: The parameter groups; unset learning rates and weight decays take the values
  ///     given here.
  ///   - learningRate: The default step size.
  ///   - alpha: The smoothing constant.
  ///   - epsilon: The term added to the denominator.
  ///   - weightDecay: The default L2 penalty.
  ///   - momentum: The momentum factor.
  ///   - centered: Whether to center the second moment by the average gradient.
  public init(
    groups: [ParameterGroup], learningRate: Double = 1e-2, alpha: Double = 0.99,
    epsilon: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false
  ) {
    require(alpha >= 0, "RMSprop: alpha must not be negative, got \(alpha)")
    require(epsilon >= 0, "RMSprop: epsilon must not be negative, got \(epsilon)")
    require(momentum >= 0, "RMSprop: momentum must not be negative, got \(momentum)")
    self.alpha = alpha
    self.epsilon = epsilon
    self.momentum = momentum
    self.centered = centered
    super.init(groups: groups, learningRate: learningRate, weightDecay: weightDecay)
  }

  /// `square_avg`, with momentum `momentum_buffer`, and when centered `grad_avg`, as PyTorch.
  public override var stateTensorNames: [String] {
    ["square_avg"] + (momentum > 0 ? ["momentum_buffer"] : []) + (centered ? ["grad_avg"] : [])
  }

  /// Applies one RMSprop step to `value`.
  public override func update(
    _ value: inout Tensor, gradient: Tensor, group: ParameterGroup, state: inout OptimizerState
  ) {
    var gradient = gradient
    if group.weightDecay != 0 { gradient = gradient + group.weightDecay * value }
    let zeros = Tensor.zeros(like: gradient)
    let squareAverage =
      alpha * (state["square_avg"] ?? zeros) + (1 - alpha) * gradient * gradient
    state["square_avg"] = squareAverage
    var denominator: Tensor
    if centered {
      let gradientAverage = alpha * (state["grad_avg"] ?? zeros) + (1 - alpha) * gradient
      state["grad_avg"] = gradientAverage
      denominator = (squareAverage - gradientAverage * gradientAverage).sqrt() + epsilon
    } else {
      denominator = squareAverage.sqrt() + epsilon
    }
    if momentum > 0 {
      let buffer = momentum * (state["momentum_buffer"] ?? zeros) + gradient / denominator
      state["momentum_buffer"] = buffer
      value = value - group.learningRate * buffer
    } else {
      value = value - group.learningRate * gradient / denominator
    }
  }
}
