import Foundation
import NablaTestSupport
import Testing

@testable import NablaOptimizers

/// An SGD optimizer with one group per learning rate, each of one parameter.
func optimizer(learningRates: [Double]) -> SGD {
  SGD(
    groups: learningRates.map { ParameterGroup([startingParameter()], learningRate: $0) },
    learningRate: 1)
}

/// The learning rates of the first group at step 0 (after creating the schedule) and after each
/// of `count` calls to `step()`.
func firstGroupRates(_ schedule: LearningRateSchedule, steps count: Int) -> [Double] {
  [schedule.learningRates[0]]
    + (0..<count).map { _ in
      schedule.step()
      return schedule.learningRates[0]
    }
}

/// Checks that each rate is within 1e-12 of the expected one.
func expectRates(
  _ actual: [Double], _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation
) {
  expectClose([actual], [expected], sourceLocation: sourceLocation)
}

@Suite struct ScheduleTests {
  @Test func stepLRDecaysEveryStepSize() {
    let schedule = StepLR(optimizer(learningRates: [0.1]), stepSize: 2, gamma: 0.5)
    // 0.1·0.5^⌊t/2⌋ for t = 0...6.
    expectRates(
      firstGroupRates(schedule, steps: 6), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125])
    #expect(schedule.stepCount == 6)
  }

  @Test func stepLRScalesEveryGroupFromItsOwnBase() {
    let optimizer = optimizer(learningRates: [0.1, 0.02])
    let schedule = StepLR(optimizer, stepSize: 1, gamma: 0.1)
    schedule.step()
    schedule.step()
    expectRates(schedule.learningRates, [0.001, 0.0002])
    #expect(schedule.baseLearningRates == [0.1, 0.02])
  }

  @Test func multiStepLRDecaysAtEachMilestone() {
    let schedule = MultiStepLR(optimizer(learningRates: [1]), milestones: [5, 2], gamma: 0.1)
    // 1·0.1^(milestones ≤ t): one from t = 2, two from t = 5.
    expectRates(firstGroupRates(schedule, steps: 6), [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01])
  }

  @Test func exponentialLRDecaysEveryStep() {
    let schedule = ExponentialLR(optimizer(learningRates: [0.8]), gamma: 0.5)
    expectRates(firstGroupRates(schedule, steps: 4), [0.8, 0.4, 0.2, 0.1, 0.05])
  }

  @Test func cosineAnnealingFollowsTheHalfCosine() {
    let schedule = CosineAnnealingLR(
      optimizer(learningRates: [0.1]), period: 4, minimumLearningRate: 0.01)
    // 0.01 + 0.09·(1 + cos(πt/4))/2, with cos(π/4) = √2/2; past the period it rises again.
    let half = 0.5.squareRoot()
    expectRates(
      firstGroupRates(schedule, steps: 6),
      [
        0.1, 0.01 + 0.09 * (1 + half) / 2, 0.055, 0.01 + 0.09 * (1 - half) / 2, 0.01,
        0.01 + 0.09 * (1 - half) / 2, 0.055,
      ])
  }

  @Test func warmupCosineRisesLinearlyThenAnneals() {
    let schedule = WarmupCosine(
      optimizer(learningRates: [0.1]), warmupSteps: 2, totalSteps: 6, minimumLearningRate: 0.01)
    // Warmup 0.1·t/2 for t < 2; then 0.01 + 0.09·(1 + cos(π(t - 2)/4))/2; 0.01 from t = 6.
    let half = 0.5.squareRoot()
    expectRates(
      firstGroupRates(schedule, steps: 7),
      [
        0, 0.05, 0.1, 0.01 + 0.09 * (1 + half) / 2, 0.055, 0.01 + 0.09 * (1 - half) / 2, 0.01,
        0.01,
      ])
  }

  @Test func warmupCosineWithoutWarmupStartsAtTheBase() {
    let schedule = WarmupCosine(optimizer(learningRates: [1]), warmupSteps: 0, totalSteps: 2)
    // 0 + (1 + cos(πt/2))/2: 1, 0.5, 0.
    expectRates(firstGroupRates(schedule, steps: 3), [1, 0.5, 0, 0])
  }

  @Test func oneCycleRisesThenFallsWithPyTorchsDefaults() {
    let optimizer = optimizer(learningRates: [0.5])
    let schedule = OneCycleLR(optimizer, maximumLearningRate: 1, totalSteps: 10)
    // Start 1/25 = 0.04, final 0.04/1e4 = 4e-6. Phase 1 ends at step 0.3·10 - 1 = 2:
    //   0.04 → 1 as 1 + (0.04 - 1)/2·(cos(πt/2) + 1).
    // Phase 2 ends at step 9: 1 → 4e-6 as 4e-6 + (1 - 4e-6)/2·(cos(π(t - 2)/7) + 1); step 10
    // (allowed, as PyTorch) continues the same curve past its end.
    func phase2(_ t: Double) -> Double {
      4e-6 + (1 - 4e-6) / 2 * (cos(Double.pi * (t - 2) / 7) + 1)
    }
    expectRates(
      firstGroupRates(schedule, steps: 10),
      [0.04, 0.52, 1] + (3...10).map { phase2(Double($0)) })
    expectRates(
      [phase2(3), phase2(9), phase2(10)],
      [0.9504846320134737, 4e-6, 0.04951936798652623])  // PyTorch's get_lr, transcribed
  }

  @Test func oneCycleThreePhaseLinear() {
    let schedule = OneCycleLR(
      optimizer(learningRates: [1]), maximumLearningRate: 1, totalSteps: 10, annealing: .linear,
      threePhase: true)
    // Phases end at steps 2 (0.04 → 1), 4 (1 → 0.04) and 9 (0.04 → 4e-6), each a straight line.
    let fall = (4e-6 - 0.04) / 5
    expectRates(
      firstGroupRates(schedule, steps: 10),
      [0.04, 0.52, 1, 0.52, 0.04] + (1...6).map { 0.04 + fall * Double($0) })
  }

  @Test func oneCyclePastTheLastStepStops() async {
    await #expect(processExitsWith: .failure) {
      let schedule = OneCycleLR(
        optimizer(learningRates: [1]), maximumLearningRate: 1, totalSteps: 2)
      for _ in 0..<3 { schedule.step() }
    }
  }

  @Test func oneCycleTakesOneMaximumPerGroup() {
    let schedule = OneCycleLR(
      optimizer(learningRates: [1, 1]), maximumLearningRates: [1, 0.5], totalSteps: 10)
    expectRates(schedule.learningRates, [0.04, 0.02])
  }

  @Test func scheduleStateRoundTrips() throws {
    let original = StepLR(optimizer(learningRates: [0.1]), stepSize: 2, gamma: 0.5)
    for _ in 0..<3 { original.step() }
    let restored = StepLR(optimizer(learningRates: [0.1]), stepSize: 2, gamma: 0.5)
    try restored.restore(from: original.checkpointState())
    #expect(restored.stepCount == 3)
    original.step()
    restored.step()
    // Step 4: 0.1·0.5².
    expectRates(restored.learningRates, [0.025])
    #expect(restored.learningRates == original.learningRates)
  }

  @Test func scheduleRestoreErrors() {
    let schedule = ExponentialLR(optimizer(learningRates: [0.1]), gamma: 0.5)
    schedule.step()
    let good = schedule.checkpointState()
    let cases: [(String, (inout TrainingState) -> Void)] = [
      ("no 'step'", { $0.values["step"] = nil }),
      ("'step' is -1,", { $0.values["step"] = -1 }),
      ("no 'base_learning_rate.0'", { $0.values["base_learning_rate.0"] = nil }),
      ("more base learning rates", { $0.values["base_learning_rate.1"] = 0.2 }),
    ]
    for (message, edit) in cases {
      var bad = good
      edit(&bad)
      // A valid step of 5 beside the bad entry must not be applied either.
      bad.values["step"] = bad.values["step"].map { $0 == 1 ? 5 : $0 }
      let error = #expect(throws: StateRestoreError.self) { try schedule.restore(from: bad) }
      #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
      #expect(error?.message.hasPrefix("ExponentialLR.restore: ") == true)
      #expect(schedule.stepCount == 1)
    }
  }
}

@Suite struct ReduceLROnPlateauTests {
  /// The first group's learning rate after each metric.
  func rates(_ schedule: ReduceLROnPlateau, _ metrics: [Double]) -> [Double] {
    metrics.map {
      schedule.step(metric: $0)
      return schedule.learningRates[0]
    }
  }

  @Test func patienceAndCooldown() {
    let schedule = ReduceLROnPlateau(
      optimizer(learningRates: [1]), factor: 0.5, patience: 2, cooldown: 1)
    // Steps 1-2 improve (10, 9). Steps 3-5 are bad: the third exceeds patience 2, halving the
    // rate and starting a one-step cooldown. Step 6 is bad but in cooldown (count reset), steps
    // 7-8 are bad (1, 2), step 9 improves (8), steps 10-12 are bad and the third halves again.
    let metrics: [Double] = [10, 9, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8]
    #expect(
      rates(schedule, metrics) == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25])
    #expect(schedule.best == 8)
    #expect(schedule.stepCount == 12)
  }

  @Test func relativeThresholdIgnoresSmallImprovements() {
    let schedule = ReduceLROnPlateau(
      optimizer(learningRates: [1]), factor: 0.5, patience: 1, threshold: 0.1)
    // An improvement must go below 0.9·best: 9.5 and 9.2 do not beat 10 (reduce at the second);
    // 8.9 beats 9; 8.5 and 8.2 do not beat 8.01.
    #expect(rates(schedule, [10, 9.5, 9.2, 8.9, 8.5, 8.2]) == [1, 1, 0.5, 0.5, 0.5, 0.25])
  }

  @Test func maxModeWithAbsoluteThresholdAndMinimum() {
    let schedule = ReduceLROnPlateau(
      optimizer(learningRates: [1]), mode: .max, factor: 0.1, patience: 0, threshold: 0.5,
      thresholdMode: .absolute, minimumLearningRate: 0.05)
    // Improvements must exceed best + 0.5: 1, 2, 2.6 and 3.2 do; 2.4 and 3.0 do not. The second
    // reduction stops at the minimum, 0.05, instead of 0.01.
    expectRates(rates(schedule, [1, 2, 2.4, 2.6, 3.2, 3.0]), [1, 1, 0.1, 0.1, 0.1, 0.05])
  }

  @Test func reductionsSmallerThanEpsilonAreSkipped() {
    let optimizer = optimizer(learningRates: [1e-8, 1])
    let schedule = ReduceLROnPlateau(optimizer, factor: 0.5, patience: 0)
    schedule.step(metric: 1)
    schedule.step(metric: 1)
    // 1e-8 - 5e-9 is not more than eps = 1e-8, so only the second group is reduced.
    #expect(schedule.learningRates == [1e-8, 0.5])
  }

  @Test func stateRoundTrips() throws {
    let original = ReduceLROnPlateau(
      optimizer(learningRates: [1]), factor: 0.5, patience: 2, cooldown: 2)
    _ = rates(original, [5, 6, 7, 8])  // reduces at the fourth, entering the cooldown
    let restored = ReduceLROnPlateau(
      optimizer(learningRates: [0.5]), factor: 0.5, patience: 2, cooldown: 2)
    try restored.restore(from: original.checkpointState())
    #expect(restored.best == 5 && restored.cooldownRemaining == 2 && restored.stepCount == 4)
    let metrics: [Double] = [9, 9, 9, 9, 9, 4]
    #expect(rates(restored, metrics) == rates(original, metrics))
    // Cooldown covers 9, 9; then 9, 9, 9 are bad 1, 2, 3 and reduce at the third (0.25).
    #expect(restored.learningRates == [0.25])
  }

  @Test func restoreErrors() {
    let schedule = ReduceLROnPlateau(optimizer(learningRates: [1]))
    schedule.step(metric: 3)
    var bad = schedule.checkpointState()
    bad.values["best"] = nil
    bad.values["step"] = 10
    let error = #expect(throws: StateRestoreError.self) { try schedule.restore(from: bad) }
    #expect(error?.message == "ReduceLROnPlateau.restore: the state has no 'best'")
    var fractional = schedule.checkpointState()
    fractional.values["cooldown_remaining"] = 0.5
    #expect(throws: StateRestoreError.self) { try schedule.restore(from: fractional) }
    #expect(schedule.stepCount == 1 && schedule.best == 3)
  }
}
