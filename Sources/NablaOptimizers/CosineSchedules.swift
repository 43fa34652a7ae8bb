import Foundation

/// Anneals the learning rate from its base to a minimum along a half cosine over `period` steps,
/// as the closed form of PyTorch's `CosineAnnealingLR`:
/// `minimum + (base - minimum) * (1 + cos(π * step / period)) / 2`.
///
/// Past `period` steps the closed form continues, rising again (as PyTorch's closed form).
///
/// ```swift
/// let schedule = CosineAnnealingLR(optimizer, period: 100, minimumLearningRate: 1e-5)
/// ```
public final class CosineAnnealingLR: LearningRateSchedule, @unchecked Sendable {
  /// The number of steps from the base rate down to the minimum (PyTorch's `T_max`).
  public let period: Int
  /// The learning rate reached after `period` steps (PyTorch's `eta_min`).
  public let minimumLearningRate: Double

  /// Creates a cosine annealing from the groups' current learning rates.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive.
  ///   - period: The number of steps to reach the minimum (at least 1).
  ///   - minimumLearningRate: The rate at the end of the period.
  public init(_ optimizer: Optimizer, period: Int, minimumLearningRate: Double = 0) {
    require(period >= 1, "CosineAnnealingLR: the period must be at least 1, got \(period)")
    self.period = period
    self.minimumLearningRate = minimumLearningRate
    super.init(optimizer)
  }

  /// `minimum + (base - minimum) * (1 + cos(π * step / period)) / 2`.
  public override func learningRate(atStep step: Int, baseLearningRate: Double) -> Double {
    halfCosine(
      from: baseLearningRate, to: minimumLearningRate,
      angle: Double.pi * Double(step) / Double(period))
  }
}

/// A linear warmup from 0 to the base learning rate, then a half cosine down to a minimum, as
/// the schedule of Hugging Face's `get_cosine_schedule_with_warmup` (with a floor).
///
/// At step `t`, with `w = warmupSteps` and `T = totalSteps`:
///
///     t < w:       base * t / w
///     w ≤ t < T:   minimum + (base - minimum) * (1 + cos(π * (t - w) / (T - w))) / 2
///     t ≥ T:       minimum
///
/// The first step (t = 0) has learning rate 0 when there is a warmup.
///
/// ```swift
/// let schedule = WarmupCosine(optimizer, warmupSteps: 500, totalSteps: 10_000)
/// ```
public final class WarmupCosine: LearningRateSchedule, @unchecked Sendable {
  /// The number of steps of the linear warmup.
  public let warmupSteps: Int
  /// The step at which the cosine reaches the minimum.
  public let totalSteps: Int
  /// The learning rate at the end and after.
  public let minimumLearningRate: Double

  /// Creates a warmup and cosine decay peaking at the groups' current learning rates.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive.
  ///   - warmupSteps: The length of the warmup (0 for none).
  ///   - totalSteps: The length of warmup and decay together; more than `warmupSteps`.
  ///   - minimumLearningRate: The rate at the end.
  public init(
    _ optimizer: Optimizer, warmupSteps: Int, totalSteps: Int, minimumLearningRate: Double = 0
  ) {
    require(
      warmupSteps >= 0 && totalSteps > warmupSteps,
      "WarmupCosine: needs 0 ≤ warmupSteps < totalSteps, got warmupSteps \(warmupSteps) and "
        + "totalSteps \(totalSteps)")
    self.warmupSteps = warmupSteps
    self.totalSteps = totalSteps
    self.minimumLearningRate = minimumLearningRate
    super.init(optimizer)
  }

  /// The warmup line, the cosine, or the minimum, by the step.
  public override func learningRate(atStep step: Int, baseLearningRate: Double) -> Double {
    if step < warmupSteps { return baseLearningRate * Double(step) / Double(warmupSteps) }
    if step >= totalSteps { return minimumLearningRate }
    let progress = Double(step - warmupSteps) / Double(totalSteps - warmupSteps)
    return halfCosine(
      from: baseLearningRate, to: minimumLearningRate, angle: Double.pi * progress)
  }
}

/// The 1cycle policy of Smith and Topin, as PyTorch's `OneCycleLR`: the learning rate rises from
/// `maximum / divisionFactor` to `maximum` over the first `percentStart` of the steps, then falls
/// to `maximum / divisionFactor / finalDivisionFactor` by the last step.
///
/// Only the learning rate cycles: PyTorch's momentum cycling (`cycle_momentum`) is not done.
/// Stepping beyond `totalSteps` stops the program, as PyTorch raises an error.
///
/// ```swift
/// let schedule = OneCycleLR(optimizer, maximumLearningRate: 0.1, totalSteps: 1000)
/// ```
public final class OneCycleLR: LearningRateSchedule, @unchecked Sendable {
  /// How the learning rate moves within a phase.
  public enum Annealing: Sendable {
    /// Along a half cosine (PyTorch's `anneal_strategy='cos'`).
    case cosine
    /// Along a straight line (`anneal_strategy='linear'`).
    case linear
  }

  /// The number of steps in the cycle.
  public let totalSteps: Int
  /// The fraction of the steps spent increasing the learning rate.
  public let percentStart: Double
  /// The ratio of the maximum to the starting learning rate (PyTorch's `div_factor`).
  public let divisionFactor: Double
  /// The ratio of the starting to the final learning rate (PyTorch's `final_div_factor`).
  public let finalDivisionFactor: Double
  /// How the learning rate moves within a phase.
  public let annealing: Annealing
  /// Whether a third phase brings the rate back to the start before the final decay, as
  /// PyTorch's `three_phase`.
  public let threePhase: Bool

  /// Creates a 1cycle schedule with the same maximum for every group.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive; its learning rates are replaced.
  ///   - maximumLearningRate: The peak learning rate.
  ///   - totalSteps: The number of steps in the cycle.
  ///   - percentStart: The fraction of the steps spent increasing the rate.
  ///   - annealing: Cosine or linear movement.
  ///   - divisionFactor: The starting rate is `maximum / divisionFactor`.
  ///   - finalDivisionFactor: The final rate is the starting rate divided by this.
  ///   - threePhase: Whether to use PyTorch's three-phase variant.
  public convenience init(
    _ optimizer: Optimizer, maximumLearningRate: Double, totalSteps: Int,
    percentStart: Double = 0.3, annealing: Annealing = .cosine, divisionFactor: Double = 25,
    finalDivisionFactor: Double = 1e4, threePhase: Bool = false
  ) {
    self.init(
      optimizer,
      maximumLearningRates: Array(repeating: maximumLearningRate, count: optimizer.groups.count),
      totalSteps: totalSteps, percentStart: percentStart, annealing: annealing,
      divisionFactor: divisionFactor, finalDivisionFactor: finalDivisionFactor,
      threePhase: threePhase)
  }

  /// Creates a 1cycle schedule with one maximum per group.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive; its learning rates are replaced.
  ///   - maximumLearningRates: The peak learning rate of each group.
  ///   - totalSteps: The number of steps in the cycle.
  ///   - percentStart: The fraction of the steps spent increasing the rate.
  ///   - annealing: Cosine or linear movement.
  ///   - divisionFactor: The starting rate is `maximum / divisionFactor`.
  ///   - finalDivisionFactor: The final rate is the starting rate divided by this.
  ///   - threePhase: Whether to use PyTorch's three-phase variant.
  public init(
    _ optimizer: Optimizer, maximumLearningRates: [Double], totalSteps: Int,
    percentStart: Double = 0.3, annealing: Annealing = .cosine, divisionFactor: Double = 25,
    finalDivisionFactor: Double = 1e4, threePhase: Bool = false
  ) {
    require(totalSteps >= 1, "OneCycleLR: totalSteps must be at least 1, got \(totalSteps)")
    require(
      percentStart > 0 && percentStart < 1,
      "OneCycleLR: percentStart must be in (0, 1), got \(percentStart)")
    self.totalSteps = totalSteps
    self.percentStart = percentStart
    self.annealing = annealing
    self.divisionFactor = divisionFactor
    self.finalDivisionFactor = finalDivisionFactor
    self.threePhase = threePhase
    super.init(optimizer, baseLearningRates: maximumLearningRates)
  }

  /// The rate within the phase holding `step`, as PyTorch's `OneCycleLR.get_lr`.
  public override func learningRate(atStep step: Int, baseLearningRate: Double) -> Double {
    require(
      step <= totalSteps,
      "OneCycleLR: stepped \(step) times, more than the \(totalSteps) total steps")
    let maximum = baseLearningRate
    let initial = maximum / divisionFactor
    let minimum = initial / finalDivisionFactor
    let rise = percentStart * Double(totalSteps) - 1
    let last = Double(totalSteps) - 1
    let phases: [(end: Double, from: Double, to: Double)] =
      threePhase
      ? [
        (rise, initial, maximum), (2 * percentStart * Double(totalSteps) - 2, maximum, initial),
        (last, initial, minimum),
      ]
      : [(rise, initial, maximum), (last, maximum, minimum)]
    var start = 0.0
    for (index, phase) in phases.enumerated() {
      if Double(step) <= phase.end || index == phases.count - 1 {
        let fraction = (Double(step) - start) / (phase.end - start)
        switch annealing {
        case .cosine:
          return phase.to + (phase.from - phase.to) / 2 * (cos(Double.pi * fraction) + 1)
        case .linear: return (phase.to - phase.from) * fraction + phase.from
        }
      }
      start = phase.end
    }
    fatalError("unreachable")
  }
}

/// `minimum + (base - minimum) * (1 + cos(angle)) / 2`: `base` at angle 0, `minimum` at π.
private func halfCosine(from base: Double, to minimum: Double, angle: Double) -> Double {
  minimum + (base - minimum) * (1 + cos(angle)) / 2
}
