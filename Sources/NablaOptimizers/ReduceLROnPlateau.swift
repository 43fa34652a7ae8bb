/// Divides the learning rate when a metric has stopped improving, as PyTorch's
/// `ReduceLROnPlateau`.
///
/// Each `step(metric:)` compares the metric with the best seen so far. After more than
/// `patience` steps without improvement, every group's rate is multiplied by `factor` (not below
/// its minimum), and the next `cooldown` steps do not count as bad.
///
/// ```swift
/// let schedule = ReduceLROnPlateau(optimizer, factor: 0.5, patience: 3)
/// for epoch in 0..<50 {
///   train(epoch)
///   schedule.step(metric: validationLoss())
/// }
/// ```
public final class ReduceLROnPlateau: Checkpointable, @unchecked Sendable {
  /// Whether a smaller or a larger metric is better.
  public enum Mode: Sendable {
    /// Lower is better (a loss).
    case min
    /// Higher is better (an accuracy).
    case max
  }

  /// How far past the best a metric must be to count as an improvement.
  public enum ThresholdMode: Sendable {
    /// By a fraction of the best: `best * (1 - threshold)` in min mode (PyTorch's `rel`).
    case relative
    /// By an amount: `best - threshold` in min mode (PyTorch's `abs`).
    case absolute
  }

  /// The optimizer whose groups' learning rates are reduced.
  public let optimizer: Optimizer
  /// Whether a smaller or a larger metric is better.
  public let mode: Mode
  /// The factor a reduction multiplies the learning rate by, in (0, 1).
  public let factor: Double
  /// The number of steps without improvement tolerated before a reduction.
  public let patience: Int
  /// The smallest change that counts as an improvement (see `thresholdMode`).
  public let threshold: Double
  /// Whether `threshold` is relative to the best or absolute.
  public let thresholdMode: ThresholdMode
  /// The number of steps after a reduction during which bad steps are not counted.
  public let cooldown: Int
  /// The lowest learning rate of each group.
  public let minimumLearningRates: [Double]
  /// Reductions smaller than this are skipped (PyTorch's `eps`).
  public let epsilon: Double

  /// The best metric so far (infinity in min mode, minus infinity in max mode, before any).
  public private(set) var best: Double
  /// The number of steps since the last improvement (reset by reductions and cooldown).
  public private(set) var badStepCount = 0
  /// The number of cooldown steps left.
  public private(set) var cooldownRemaining = 0
  /// The number of `step(metric:)` calls so far.
  public private(set) var stepCount = 0

  /// Creates a plateau schedule with one minimum for every group.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive.
  ///   - mode: Whether a smaller (`.min`, for losses) or larger metric is better.
  ///   - factor: The multiplier of a reduction, in (0, 1).
  ///   - patience: Steps without improvement tolerated before reducing.
  ///   - threshold: The smallest change counted as an improvement.
  ///   - thresholdMode: Whether `threshold` is relative or absolute.
  ///   - cooldown: Steps after a reduction during which bad steps are not counted.
  ///   - minimumLearningRate: The lowest learning rate.
  ///   - epsilon: Reductions smaller than this are skipped.
  public convenience init(
    _ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
    threshold: Double = 1e-4, thresholdMode: ThresholdMode = .relative, cooldown: Int = 0,
    minimumLearningRate: Double = 0, epsilon: Double = 1e-8
  ) {
    self.init(
      optimizer, mode: mode, factor: factor, patience: patience, threshold: threshold,
      thresholdMode: thresholdMode, cooldown: cooldown,
      minimumLearningRates: Array(repeating: minimumLearningRate, count: optimizer.groups.count),
      epsilon: epsilon)
  }

  /// Creates a plateau schedule with one minimum per group.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive.
  ///   - mode: Whether a smaller (`.min`, for losses) or larger metric is better.
  ///   - factor: The multiplier of a reduction, in (0, 1).
  ///   - patience: Steps without improvement tolerated before reducing.
  ///   - threshold: The smallest change counted as an improvement.
  ///   - thresholdMode: Whether `threshold` is relative or absolute.
  ///   - cooldown: Steps after a reduction during which bad steps are not counted.
  ///   - minimumLearningRates: The lowest learning rate of each group.
  ///   - epsilon: Reductions smaller than this are skipped.
  public init(
    _ optimizer: Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
    threshold: Double = 1e-4, thresholdMode: ThresholdMode = .relative, cooldown: Int = 0,
    minimumLearningRates: [Double], epsilon: Double = 1e-8
  ) {
    require(factor > 0 && factor < 1, "ReduceLROnPlateau: factor must be in (0, 1), got \(factor)")
    require(patience >= 0, "ReduceLROnPlateau: patience must not be negative, got \(patience)")
    require(cooldown >= 0, "ReduceLROnPlateau: cooldown must not be negative, got \(cooldown)")
    require(
      minimumLearningRates.count == optimizer.groups.count,
      "ReduceLROnPlateau: \(minimumLearningRates.count) minimum learning rates for "
        + "\(optimizer.groups.count) parameter groups")
    self.optimizer = optimizer
    self.mode = mode
    self.factor = factor
    self.patience = patience
    self.threshold = threshold
    self.thresholdMode = thresholdMode
    self.cooldown = cooldown
    self.minimumLearningRates = minimumLearningRates
    self.epsilon = epsilon
    best = mode == .min ? .infinity : -.infinity
  }

  /// Whether `metric` improves on `best` by more than the threshold.
  private func isImprovement(_ metric: Double) -> Bool {
    switch (mode, thresholdMode) {
    case (.min, .relative): metric < best * (1 - threshold)
    case (.min, .absolute): metric < best - threshold
    case (.max, .relative): metric > best * (threshold + 1)
    case (.max, .absolute): metric > best + threshold
    }
  }

  /// Records one value of the metric, reducing the learning rates after too long a plateau.
  ///
  /// - Parameter metric: The monitored number, such as the validation loss of the epoch.
  public func step(metric: Double) {
    stepCount += 1
    if isImprovement(metric) {
      best = metric
      badStepCount = 0
    } else {
      badStepCount += 1
    }
    if cooldownRemaining > 0 {
      cooldownRemaining -= 1
      badStepCount = 0
    }
    if badStepCount > patience {
      reduceLearningRates()
      cooldownRemaining = cooldown
      badStepCount = 0
    }
  }

  private func reduceLearningRates() {
    require(
      optimizer.groups.count == minimumLearningRates.count,
      "ReduceLROnPlateau: the optimizer has \(optimizer.groups.count) parameter groups but the "
        + "schedule was made for \(minimumLearningRates.count)")
    for g in optimizer.groups.indices {
      let old = optimizer.groups[g].learningRate
      let new = Swift.max(old * factor, minimumLearningRates[g])
      if old - new > epsilon { optimizer.groups[g].learningRate = new }
    }
  }

  /// The current learning rate of each group.
  public var learningRates: [Double] { optimizer.groups.map(\.learningRate) }

  /// The counters: `step`, `best`, `bad_step_count` and `cooldown_remaining`.
  public func checkpointState() -> TrainingState {
    TrainingState(values: [
      "step": Double(stepCount), "best": best, "bad_step_count": Double(badStepCount),
      "cooldown_remaining": Double(cooldownRemaining),
    ])
  }

  /// Restores the counters saved by `checkpointState()`; the optimizer's learning rates are
  /// restored with the optimizer.
  ///
  /// Throws `StateRestoreError`, changing nothing, when an entry is missing or not a count.
  public func restore(from state: TrainingState) throws {
    let name = "ReduceLROnPlateau"
    let step = try restoredCount(state, name: name)
    guard let best = state.values["best"] else {
      throw StateRestoreError("\(name).restore: the state has no 'best'")
    }
    let bad = try restoredCount(state, key: "bad_step_count", name: name)
    let cooldownLeft = try restoredCount(state, key: "cooldown_remaining", name: name)
    stepCount = step
    self.best = best
    badStepCount = bad
    cooldownRemaining = cooldownLeft
  }
}
