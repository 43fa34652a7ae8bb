import Foundation

/// The base class of schedules that set each group's learning rate from a closed form of the
/// step count, as PyTorch's `LRScheduler` subclasses (with their `_get_closed_form_lr`).
///
/// Creating a schedule sets the learning rates for step 0; each `step()` advances the count and
/// sets them again. Call `step()` after `optimizer.step()`, once per step or per epoch as the
/// schedule is meant.
///
/// ```swift
/// let schedule = StepLR(optimizer, stepSize: 30, gamma: 0.1)
/// for epoch in 0..<90 {
///   train(epoch)
///   schedule.step()
/// }
/// ```
///
/// Schedules are `Sendable`, with the optimizer's rule: `step()` on one thread at a time.
open class LearningRateSchedule: Checkpointable, @unchecked Sendable {
  /// The optimizer whose groups' learning rates the schedule sets.
  public let optimizer: Optimizer
  /// The learning rate of each group the closed form starts from (PyTorch's `base_lrs`).
  public private(set) var baseLearningRates: [Double]
  /// The number of `step()` calls so far (PyTorch's `last_epoch`).
  public private(set) var stepCount = 0

  /// The name used in messages, such as "StepLR".
  var name: String { String(describing: type(of: self)) }

  /// Creates a schedule and sets the learning rates for step 0.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive.
  ///   - baseLearningRates: One rate per group, or nil for the groups' current learning rates.
  public init(_ optimizer: Optimizer, baseLearningRates: [Double]? = nil) {
    self.optimizer = optimizer
    self.baseLearningRates = baseLearningRates ?? optimizer.groups.map(\.learningRate)
    require(
      self.baseLearningRates.count == optimizer.groups.count,
      "\(String(describing: type(of: self))): \(self.baseLearningRates.count) base learning "
        + "rates for \(optimizer.groups.count) parameter groups")
    apply()
  }

  /// The learning rate of a group at `step`, given the group's base rate; subclasses override it.
  open func learningRate(atStep step: Int, baseLearningRate: Double) -> Double {
    stop("\(name) must override learningRate(atStep:baseLearningRate:)")
  }

  /// Advances the step count by one and sets every group's learning rate for it.
  public func step() {
    stepCount += 1
    apply()
  }

  /// The current learning rate of each group.
  public var learningRates: [Double] { optimizer.groups.map(\.learningRate) }

  private func apply() {
    require(
      optimizer.groups.count == baseLearningRates.count,
      "\(name): the optimizer has \(optimizer.groups.count) parameter groups but the schedule "
        + "was made for \(baseLearningRates.count)")
    for g in optimizer.groups.indices {
      optimizer.groups[g].learningRate = learningRate(
        atStep: stepCount, baseLearningRate: baseLearningRates[g])
    }
  }

  /// The step count (`step`) and base learning rates (`base_learning_rate.<g>`).
  public func checkpointState() -> TrainingState {
    var state = TrainingState(values: ["step": Double(stepCount)])
    for (g, rate) in baseLearningRates.enumerated() {
      state.values["base_learning_rate.\(g)"] = rate
    }
    return state
  }

  /// Restores the step count and base learning rates; as PyTorch, the optimizer's learning rates
  /// are left alone (they are restored with the optimizer).
  ///
  /// Throws `StateRestoreError`, changing nothing, when an entry is missing or the number of
  /// groups differs.
  public func restore(from state: TrainingState) throws {
    let step = try restoredCount(state, name: name)
    var rates: [Double] = []
    for g in baseLearningRates.indices {
      guard let rate = state.values["base_learning_rate.\(g)"] else {
        throw StateRestoreError("\(name).restore: the state has no 'base_learning_rate.\(g)'")
      }
      rates.append(rate)
    }
    guard state.values["base_learning_rate.\(rates.count)"] == nil else {
      throw StateRestoreError(
        "\(name).restore: the state has more base learning rates than the optimizer's "
          + "\(rates.count) parameter groups")
    }
    stepCount = step
    baseLearningRates = rates
  }
}

/// Reads the whole, non-negative `key` entry (by default `step`) of the state of schedule `name`.
func restoredCount(_ state: TrainingState, key: String = "step", name: String) throws -> Int {
  guard let value = state.values[key] else {
    throw StateRestoreError("\(name).restore: the state has no '\(key)'")
  }
  guard value >= 0, value == value.rounded(), value < 9e15 else {
    throw StateRestoreError(
      "\(name).restore: '\(key)' is \(formatted(value)), not a whole number ≥ 0")
  }
  return Int(value)
}

/// Multiplies the learning rate by `gamma` every `stepSize` steps, as PyTorch's `StepLR`:
/// `base * gamma^⌊step / stepSize⌋`.
///
/// ```swift
/// let schedule = StepLR(optimizer, stepSize: 30, gamma: 0.1)  // 0.1, 0.01 at 30, 0.001 at 60
/// ```
public final class StepLR: LearningRateSchedule, @unchecked Sendable {
  /// The number of steps between decays.
  public let stepSize: Int
  /// The factor applied at each decay.
  public let gamma: Double

  /// Creates a step decay from the groups' current learning rates.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive.
  ///   - stepSize: The number of steps between decays (at least 1).
  ///   - gamma: The multiplicative factor.
  public init(_ optimizer: Optimizer, stepSize: Int, gamma: Double = 0.1) {
    require(stepSize >= 1, "StepLR: the step size must be at least 1, got \(stepSize)")
    self.stepSize = stepSize
    self.gamma = gamma
    super.init(optimizer)
  }

  /// `base * gamma^⌊step / stepSize⌋`.
  public override func learningRate(atStep step: Int, baseLearningRate: Double) -> Double {
    baseLearningRate * pow(gamma, Double(step / stepSize))
  }
}

/// Multiplies the learning rate by `gamma` at each milestone, as PyTorch's `MultiStepLR`:
/// `base * gamma^(number of milestones ≤ step)`.
///
/// ```swift
/// let schedule = MultiStepLR(optimizer, milestones: [30, 80], gamma: 0.1)
/// ```
public final class MultiStepLR: LearningRateSchedule, @unchecked Sendable {
  /// The steps at which the learning rate decays, ascending (a repeated milestone decays again).
  public let milestones: [Int]
  /// The factor applied at each milestone.
  public let gamma: Double

  /// Creates a milestone decay from the groups' current learning rates.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive.
  ///   - milestones: The steps at which to decay; sorted here.
  ///   - gamma: The multiplicative factor.
  public init(_ optimizer: Optimizer, milestones: [Int], gamma: Double = 0.1) {
    self.milestones = milestones.sorted()
    self.gamma = gamma
    super.init(optimizer)
  }

  /// `base * gamma^(number of milestones ≤ step)`.
  public override func learningRate(atStep step: Int, baseLearningRate: Double) -> Double {
    baseLearningRate * pow(gamma, Double(milestones.filter { $0 <= step }.count))
  }
}

/// Multiplies the learning rate by `gamma` every step, as PyTorch's `ExponentialLR`:
/// `base * gamma^step`.
///
/// ```swift
/// let schedule = ExponentialLR(optimizer, gamma: 0.95)
/// ```
public final class ExponentialLR: LearningRateSchedule, @unchecked Sendable {
  /// The factor applied at each step.
  public let gamma: Double

  /// Creates an exponential decay from the groups' current learning rates.
  ///
  /// - Parameters:
  ///   - optimizer: The optimizer to drive.
  ///   - gamma: The multiplicative factor per step.
  public init(_ optimizer: Optimizer, gamma: Double) {
    self.gamma = gamma
    super.init(optimizer)
  }

  /// `base * gamma^step`.
  public override func learningRate(atStep step: Int, baseLearningRate: Double) -> Double {
    baseLearningRate * pow(gamma, Double(step))
  }
}
