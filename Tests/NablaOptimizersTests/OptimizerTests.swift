import NablaNN
import NablaTestSupport
import Testing

@testable import NablaOptimizers

// Every optimizer is checked on the quadratic f(p) = Σ c·p² with c = [0.5, 2] and p starting at
// [1, -0.5], so the gradient is 2·c·p = [p₀, 4·p₁] and the first gradient is g = [1, -2].
// The first step is worked out in each test; the later steps were computed with the numpy
// transcription of torch.optim's single-tensor algorithms at the end of this file.

/// The quadratic's curvature: f(p) = Σ c·p².
let curvature = [0.5, 2.0]

/// A fresh float64 parameter at the quadratic's starting point, [1, -0.5].
func startingParameter(_ values: [Double] = [1, -0.5]) -> Parameter {
  Parameter(Tensor(values, dtype: .float64))
}

/// Σ c·p² for a parameter of two elements.
func quadraticLoss(_ parameter: Parameter) -> Tensor {
  (Tensor(curvature, dtype: parameter.value.dtype) * parameter.value.squared()).sum()
}

/// Runs `count` steps of `optimizer` on the quadratic of each parameter, returning the values of
/// the first parameter after each step.
func train(_ optimizer: Optimizer, _ parameters: [Parameter], steps count: Int) -> [[Double]] {
  (0..<count).map { _ in
    optimizer.zeroGradients()
    let losses = parameters.map(quadraticLoss)
    losses.dropFirst().reduce(losses[0], +).backward()
    optimizer.step()
    return [Double](parameters[0].value)
  }
}

@Suite struct SGDTests {
  @Test func plainStepsFollowTheGradient() {
    let p = startingParameter()
    // p ← p - 0.1·g, and g = [p₀, 4p₁], so each step multiplies p by [1 - 0.1, 1 - 0.4].
    expectClose(
      train(SGD([p], learningRate: 0.1), [p], steps: 3),
      [[0.9, -0.3], [0.81, -0.18], [0.729, -0.108]])
  }

  @Test func momentumStartsFromTheFirstGradient() {
    let p = startingParameter()
    // Step 1: b = g = [1, -2]; p = [0.9, -0.3].
    // Step 2: g = [0.9, -1.2]; b = 0.9·[1, -2] + g = [1.8, -3]; p = [0.9 - 0.18, -0.3 + 0.3].
    expectClose(
      train(SGD([p], learningRate: 0.1, momentum: 0.9), [p], steps: 3),
      [[0.9, -0.3], [0.72, 0], [0.486, 0.2700000000000001]])
  }

  @Test func dampeningScalesLaterGradients() {
    let p = startingParameter()
    // Step 2: b = 0.9·[1, -2] + 0.5·[0.9, -1.2] = [1.35, -2.4]; p = [0.9 - 0.135, -0.3 + 0.24].
    expectClose(
      train(SGD([p], learningRate: 0.1, momentum: 0.9, dampening: 0.5), [p], steps: 3),
      [[0.9, -0.3], [0.765, -0.06], [0.60525, 0.16800000000000004]])
  }

  @Test func nesterovLooksAhead() {
    let p = startingParameter()
    // Step 1: b = g; the direction is g + 0.9·b = 1.9·g, so p = [1 - 0.19, -0.5 + 0.38].
    expectClose(
      train(SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: true), [p], steps: 3),
      [[0.81, -0.12], [0.5751, 0.13320000000000004], [0.327321, 0.21664800000000006]])
  }

  @Test func weightDecayIsAddedToTheGradient() {
    let p = startingParameter()
    // Step 1: g + 0.1·p = [1.1, -2.05]; p = [1 - 0.11, -0.5 + 0.205].
    expectClose(
      train(SGD([p], learningRate: 0.1, weightDecay: 0.1), [p], steps: 3),
      [[0.89, -0.295], [0.7921, -0.17405], [0.704969, -0.1026895]])
  }

  @Test func weightDecayEntersBeforeNesterovMomentum() {
    let p = startingParameter()
    // Step 1: d = [1.1, -2.05]; b = d; p = p - 0.1·1.9·d = [1 - 0.209, -0.5 + 0.3895].
    expectClose(
      train(
        SGD([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true), [p],
        steps: 3),
      [
        [1 - 0.209, -0.5 + 0.3895], [0.536581, 0.14162950000000002],
        [0.27376747099999993, 0.21744216950000003],
      ])
  }
}

@Suite struct AdamTests {
  @Test func biasCorrectionMakesTheFirstStepTheLearningRate() {
    let p = startingParameter()
    // Step 1: m̂ = g and v̂ = g², so p = p - 0.1·g / (|g| + 1e-8).
    expectClose(
      train(Adam([p], learningRate: 0.1), [p], steps: 3),
      [
        [1 - 0.1 / (1 + 1e-8), -0.5 + 0.1 * 2 / (2 + 1e-8)],
        [0.8004122297123382, -0.30118742062343007],
        [0.701586274504415, -0.20487125097072387],
      ])
  }

  @Test func weightDecayIsAddedToTheGradient() {
    let p = startingParameter()
    // Step 1: g + 0.1·p = [1.1, -2.05], and p = p - 0.1·g / (|g| + 1e-8) for that g.
    expectClose(
      train(Adam([p], learningRate: 0.1, weightDecay: 0.1), [p], steps: 3),
      [
        [1 - 0.1 * 1.1 / (1.1 + 1e-8), -0.5 + 0.1 * 2.05 / (2.05 + 1e-8)],
        [0.8004122295267845, -0.30118742059816817],
        [0.7015862742210723, -0.20487125093195369],
      ])
  }

  @Test func amsgradKeepsTheLargestSecondMoment() {
    // With beta2 = 0.5 the second moment falls as the gradient shrinks; from step 3 AMSGrad
    // divides by the larger old one and takes smaller steps than Adam.
    let p = startingParameter()
    let q = startingParameter()
    let amsgrad = train(
      Adam([p], learningRate: 0.1, betas: (0.5, 0.5), amsgrad: true), [p], steps: 4)
    let plain = train(Adam([q], learningRate: 0.1, betas: (0.5, 0.5)), [q], steps: 4)
    expectClose(
      amsgrad,
      [
        [1 - 0.1 / (1 + 1e-8), -0.5 + 0.1 * 2 / (2 + 1e-8)],
        [0.8001273095650805, -0.30058651638622397],
        [0.7010501744782371, -0.21200442646611456],
        [0.608459938337056, -0.14021361846843955],
      ])
    expectClose(
      plain,
      [
        [1 - 0.1 / (1 + 1e-8), -0.5 + 0.1 * 2 / (2 + 1e-8)],
        [0.8001273095650805, -0.30058651638622397],
        [0.7004858574953009, -0.2025860529897095],
        [0.6011955339569771, -0.10773738439844525],
      ])
  }

  @Test func adamWDecaysTheParameterDirectly() {
    let p = startingParameter()
    // Step 1: p·(1 - 0.1·0.1) = [0.99, -0.495], then the Adam step of g = [1, -2] (no decay in
    // the moments): p = [0.99 - 0.1 / (1 + 1e-8), -0.495 + 0.2 / (2 + 1e-8)].
    expectClose(
      train(AdamW([p], learningRate: 0.1, weightDecay: 0.1), [p], steps: 3),
      [
        [0.99 - 0.1 / (1 + 1e-8), -0.495 + 0.2 / (2 + 1e-8)],
        [0.7815718569541611, -0.29233870322270744],
        [0.6751012231892008, -0.19341560270340274],
      ])
  }

  @Test func adamWWithAmsgrad() {
    let p = startingParameter()
    // Step 1: p·(1 - 0.1·0.5) = [0.95, -0.475], then 0.1·g / (|g| + 1e-8).
    expectClose(
      train(
        AdamW([p], learningRate: 0.1, betas: (0.5, 0.5), weightDecay: 0.5, amsgrad: true), [p],
        steps: 4),
      [
        [0.95 - 0.1 / (1 + 1e-8), -0.475 + 0.2 / (2 + 1e-8)],
        [0.707807222437856, -0.2572352467562488],
        [0.5778763001930738, -0.16080941387210418],
        [0.4651461411635802, -0.08961722869167146],
      ])
  }

  @Test func defaultsArePyTorchs() {
    let adamW = AdamW([startingParameter()])
    #expect(adamW.groups[0].learningRate == 1e-3 && adamW.groups[0].weightDecay == 1e-2)
    #expect(adamW.beta1 == 0.9 && adamW.beta2 == 0.999 && adamW.epsilon == 1e-8)
    let adam = Adam([startingParameter()])
    #expect(adam.groups[0].weightDecay == 0 && !adam.amsgrad)
  }

  @Test func float32ParametersFollowTheFloat64Result() {
    let p = Parameter(Tensor([1, -0.5]))
    let steps = train(Adam([p], learningRate: 0.1), [p], steps: 3)
    #expect(p.value.dtype == .float32)
    expectClose(
      steps, [[0.9, -0.4], [0.8004122297, -0.3011874206], [0.7015862745, -0.204871251]],
      tolerance: 1e-6)
  }
}

@Suite struct RMSpropTests {
  @Test func dividesByTheRootMeanSquare() {
    let p = startingParameter()
    // Step 1: v = 0.01·g², so p = p - 0.01·g / (0.1·|g| + 1e-8).
    expectClose(
      train(RMSprop([p], learningRate: 0.01), [p], steps: 3),
      [
        [1 - 0.01 / (0.1 + 1e-8), -0.5 + 0.01 * 2 / (0.2 + 1e-8)],
        [0.8329179752650593, -0.3373391709792283],
        [0.7799822819823541, -0.2904332182895075],
      ])
  }

  @Test func momentumAccumulatesScaledGradients() {
    let p = startingParameter()
    // Step 1: b = g / (0.1·|g| + 1e-8), the same step as without momentum.
    expectClose(
      train(RMSprop([p], learningRate: 0.01, momentum: 0.9), [p], steps: 3),
      [
        [1 - 0.01 / (0.1 + 1e-8), -0.5 + 0.01 * 2 / (0.2 + 1e-8)],
        [0.7429179842650584, -0.24733917547922807],
        [0.552914953234408, -0.07365730825807817],
      ])
  }

  @Test func centeredSubtractsTheSquaredMeanGradient() {
    let p = startingParameter()
    // Step 1: v = 0.01·g², gAvg = 0.01·g, v - gAvg² = 0.0099·g²; p = p - 0.01·g / (√0.0099·|g| + ε).
    let root = 0.0099.squareRoot()
    expectClose(
      train(RMSprop([p], learningRate: 0.01, centered: true), [p], steps: 3),
      [
        [1 - 0.01 / (root + 1e-8), -0.5 + 0.01 * 2 / (2 * root + 1e-8)],
        [0.8317593871030315, -0.3362588280147856],
        [0.7780684196313441, -0.2887600992256669],
      ])
  }

  @Test func centeredWithMomentumAndWeightDecay() {
    let p = startingParameter()
    // Step 1: g + 0.1·p = [1.1, -2.05]; alpha 0.9: v - gAvg² = 0.1·g² - 0.01·g² = 0.09·g², so
    // the denominator is 0.3·|g| + 1e-8 and p = p - 0.01·g / (0.3·|g| + 1e-8).
    expectClose(
      train(
        RMSprop(
          [p], learningRate: 0.01, alpha: 0.9, weightDecay: 0.1, momentum: 0.5, centered: true),
        [p], steps: 3),
      [
        [1 - 0.011 / (0.33 + 1e-8), -0.5 + 0.0205 / (0.615 + 1e-8)],
        [0.924923477968252, -0.42536169617269476],
        [0.882418367273596, -0.38402966953667794],
      ])
  }
}

@Suite struct AdagradTests {
  @Test func dividesByTheRootOfTheSumOfSquares() {
    let p = startingParameter()
    // Step 1: s = g², so p = p - 0.1·g / (|g| + 1e-10).
    expectClose(
      train(Adagrad([p], learningRate: 0.1), [p], steps: 3),
      [
        [1 - 0.1 / (1 + 1e-10), -0.5 + 0.2 / (2 + 1e-10)],
        [0.8331035268523168, -0.33753049525152046],
        [0.7804561813655163, -0.2908991767882513],
      ])
  }

  @Test func learningRateDecayWeightDecayAndInitialAccumulator() {
    let p = startingParameter()
    // Step 1: g + 0.1·p = [1.1, -2.05]; rate 0.1 / (1 + 0·0.5); s = 0.5 + g² = [1.71, 4.7025];
    // p = p - 0.1·g / (√s + 1e-10). Step 2 uses the rate 0.1 / 1.5, step 3 0.1 / 2.
    expectClose(
      train(
        Adagrad(
          [p], learningRate: 0.1, learningRateDecay: 0.5, weightDecay: 0.1,
          initialAccumulatorValue: 0.5), [p], steps: 3),
      [
        [1 - 0.11 / (1.71.squareRoot() + 1e-10), -0.5 + 0.205 / (4.7025.squareRoot() + 1e-10)],
        [0.8751937100156727, -0.36490552914488833],
        [0.8500046027185257, -0.34089240506584606],
      ])
  }
}

@Suite struct OptimizerBehaviorTests {
  @Test func groupsHaveTheirOwnLearningRateAndWeightDecay() {
    let p = startingParameter()
    let q = startingParameter([2, 1])
    let optimizer = SGD(
      groups: [ParameterGroup([p]), ParameterGroup([q], learningRate: 0.01, weightDecay: 1)],
      learningRate: 0.1)
    #expect(optimizer.groups.map(\.learningRate) == [0.1, 0.01])
    #expect(optimizer.groups.map(\.weightDecay) == [0, 1])
    _ = train(optimizer, [p, q], steps: 1)
    // p: [1 - 0.1·1, -0.5 + 0.1·2]. q: g = [2, 4] + 1·q = [4, 5]; q = [2 - 0.04, 1 - 0.05].
    expectClose([[Double](p.value), [Double](q.value)], [[0.9, -0.3], [1.96, 0.95]])

    // A learning rate changed between steps is used by the next one.
    optimizer.groups[0].learningRate = 0.5
    _ = train(optimizer, [p, q], steps: 1)
    // p: g = [0.9, -1.2]; p = [0.9 - 0.45, -0.3 + 0.6].
    expectClose([[Double](p.value)], [[0.45, 0.3]])
  }

  @Test func addedGroupsTakeTheGivenDefaults() {
    let p = startingParameter()
    let optimizer = Adam([p], learningRate: 0.1)
    optimizer.addParameterGroup(
      ParameterGroup([startingParameter()], weightDecay: 0.5), learningRate: 0.2)
    #expect(optimizer.groups.map(\.learningRate) == [0.1, 0.2])
    #expect(optimizer.groups.map(\.weightDecay) == [0, 0.5])
    #expect(optimizer.parameters.count == 2)
  }

  @Test func frozenParametersAndParametersWithoutGradientsAreUntouched() {
    let model = Linear(2, 1, dtype: .float64)
    let unused = startingParameter()
    let optimizer = Adam(model.parameters() + [unused], learningRate: 0.1)
    model.weight.isFrozen = true
    let weightBefore = [Double](model.weight.value)
    let biasBefore = [Double](model.bias!.value)
    optimizer.zeroGradients()
    model(Tensor([1, 2], shape: [1, 2], dtype: .float64)).sum().backward()
    #expect(model.weight.grad == nil && unused.grad == nil && model.bias!.grad != nil)
    optimizer.step()
    #expect([Double](model.weight.value) == weightBefore)
    #expect([Double](unused.value) == [1, -0.5])
    #expect(optimizer.state(for: model.weight) == nil)
    #expect(optimizer.state(for: unused) == nil)
    // The bias has gradient 1, so Adam's first step moves it by the learning rate.
    expectClose([[Double](model.bias!.value)], [[biasBefore[0] - 0.1 / (1 + 1e-8)]])
    #expect(optimizer.state(for: model.bias!)?.step == 1)
  }

  @Test func stepKeepsTheParameterALeafWithItsGradient() {
    let p = startingParameter()
    let optimizer = SGD([p], learningRate: 0.1)
    quadraticLoss(p).backward()
    optimizer.step()
    #expect(p.value.isLeaf && p.value.requiresGrad)
    #expect(p.grad.map { [Double]($0) } == [1, -2])
    optimizer.zeroGradients()
    #expect(p.grad == nil)
  }

  @Test func zeroGradientsClearsEveryGroup() {
    let p = startingParameter()
    let q = startingParameter()
    let optimizer = SGD(groups: [ParameterGroup([p]), ParameterGroup([q])], learningRate: 0.1)
    (quadraticLoss(p) + quadraticLoss(q)).backward()
    optimizer.zeroGradients()
    #expect(p.grad == nil && q.grad == nil)
  }

  @Test func aParameterInTwoGroupsStops() async {
    await #expect(processExitsWith: .failure) {
      let p = startingParameter()
      _ = SGD(groups: [ParameterGroup([p]), ParameterGroup([p])], learningRate: 0.1)
    }
  }

  @Test func nesterovWithoutMomentumStops() async {
    await #expect(processExitsWith: .failure) {
      _ = SGD([startingParameter()], learningRate: 0.1, nesterov: true)
    }
  }
}

// MARK: - Checkpoints

/// Builds optimizers of every family over the given parameters.
let optimizerFactories: [(name: String, make: @Sendable ([Parameter]) -> Optimizer)] = [
  ("SGD", { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }),
  ("Adam", { Adam($0, learningRate: 0.1, betas: (0.5, 0.5), amsgrad: true) }),
  ("AdamW", { AdamW($0, learningRate: 0.1, weightDecay: 0.1) }),
  ("RMSprop", { RMSprop($0, learningRate: 0.01, momentum: 0.5, centered: true) }),
  ("Adagrad", { Adagrad($0, learningRate: 0.1, learningRateDecay: 0.1) }),
]

/// Ways to spoil a saved Adam state of one parameter of shape [2], with what the error must say
/// after "Adam.restore: ".
enum StateDamage: CaseIterable, Sendable {
  case missingTensor, wrongShape, missingLearningRate, otherOptimizersTensor
  case parameterOutOfRange, tensorWithoutStep, fractionalStep, extraGroup, groupOfAnotherSize
  case integerTensor, negativeLearningRate, hugeStep

  var message: String {
    switch self {
    case .missingTensor: "the state has '0.step' but no '0.exp_avg_sq'"
    case .wrongShape: "'0.exp_avg' has shape [3] but parameter 0 has shape [2]"
    case .missingLearningRate: "the state has no 'group.0.learning_rate'"
    case .otherOptimizersTensor:
      "unexpected tensor '0.momentum_buffer' in the state (Adam keeps exp_avg, exp_avg_sq)"
    case .parameterOutOfRange: "the state has '1.step' but the optimizer has 1 parameter"
    case .tensorWithoutStep: "the state has '0.exp_avg' but no '0.step'"
    case .fractionalStep: "'0.step' is 1.5, not a positive whole number"
    case .extraGroup:
      "the state has 'group.1.learning_rate' but the optimizer has 1 parameter group"
    case .groupOfAnotherSize: "parameter group 0 has 1 parameter but 2 in the state"
    case .integerTensor: "'0.exp_avg' holds int64 values, not floating point"
    case .negativeLearningRate: "'group.0.learning_rate' is -0.1, not a finite number ≥ 0"
    case .hugeStep: "'0.step' is 1e+300, not a positive whole number"
    }
  }

  func apply(to state: inout TrainingState) {
    switch self {
    case .missingTensor: state.tensors["0.exp_avg_sq"] = nil
    case .wrongShape: state.tensors["0.exp_avg"] = Tensor([1, 2, 3], dtype: .float64)
    case .missingLearningRate: state.values["group.0.learning_rate"] = nil
    case .otherOptimizersTensor:
      state.tensors["0.momentum_buffer"] = Tensor([1, 2], dtype: .float64)
    case .parameterOutOfRange: state.values["1.step"] = 1
    case .tensorWithoutStep: state.values["0.step"] = nil
    case .fractionalStep: state.values["0.step"] = 1.5
    case .extraGroup: state.values["group.1.learning_rate"] = 0.1
    case .groupOfAnotherSize: state.values["group.0.parameter_count"] = 2
    case .integerTensor: state.tensors["0.exp_avg"] = Tensor(indices: [1, 2])
    case .negativeLearningRate: state.values["group.0.learning_rate"] = -0.1
    case .hugeStep: state.values["0.step"] = 1e300
    }
  }
}

@Suite struct OptimizerCheckpointTests {
  @Test(arguments: optimizerFactories.indices)
  func restoredStateContinuesIdentically(_ index: Int) throws {
    let (name, make) = optimizerFactories[index]
    let p = startingParameter()
    let original = make([p])
    _ = train(original, [p], steps: 2)
    let saved = original.checkpointState()

    let q = startingParameter([Double](p.value))
    let restored = make([q])
    try restored.restore(from: saved)
    #expect(restored.state(for: q)?.step == 2, "\(name)")
    let continued = train(original, [p], steps: 3)
    let resumed = train(restored, [q], steps: 3)
    #expect(continued == resumed, "\(name)")
  }

  @Test func keysFollowPyTorchsNumbering() {
    let a = startingParameter()
    let b = startingParameter()
    let c = startingParameter()
    let optimizer = Adam(
      groups: [ParameterGroup([a, b]), ParameterGroup([c], learningRate: 0.5)],
      learningRate: 0.1)
    // Only c (index 2, in the second group) gets a gradient.
    quadraticLoss(c).backward()
    optimizer.step()
    let state = optimizer.checkpointState()
    #expect(Set(state.tensors.keys) == ["2.exp_avg", "2.exp_avg_sq"])
    #expect(
      state.values == [
        "2.step": 1, "group.0.learning_rate": 0.1, "group.0.weight_decay": 0,
        "group.0.parameter_count": 2, "group.1.learning_rate": 0.5, "group.1.weight_decay": 0,
        "group.1.parameter_count": 1,
      ])
    // exp_avg = (1 - 0.9)·g with g = [1, -2].
    expectClose([[Double](state.tensors["2.exp_avg"]!)], [[0.1, -0.2]])
  }

  @Test func restoringSetsGroupSettingsAndClearsOtherState() throws {
    let p = startingParameter()
    let q = startingParameter()
    let saved = SGD([p], learningRate: 0.3, momentum: 0.9).checkpointState()
    let optimizer = SGD([q], learningRate: 0.1, momentum: 0.9)
    _ = train(optimizer, [q], steps: 1)
    try optimizer.restore(from: saved)
    #expect(optimizer.groups[0].learningRate == 0.3)
    #expect(optimizer.state(for: q) == nil)
  }

  @Test func restoredTensorsTakeTheParameterDtype() throws {
    let p = startingParameter()
    let optimizer = Adam([p], learningRate: 0.1)
    _ = train(optimizer, [p], steps: 1)
    let single = Parameter(Tensor([1, -0.5]))
    let restored = Adam([single], learningRate: 0.1)
    try restored.restore(from: optimizer.checkpointState())
    #expect(restored.state(for: single)?["exp_avg"]?.dtype == .float32)
  }

  /// An Adam state after one step, with one edit applied.
  func adamState(_ edit: (inout TrainingState) -> Void) -> TrainingState {
    let p = startingParameter()
    let optimizer = Adam([p], learningRate: 0.1)
    _ = train(optimizer, [p], steps: 1)
    var state = optimizer.checkpointState()
    edit(&state)
    return state
  }

  @Test(arguments: StateDamage.allCases)
  func badStatesThrowWithoutChangingAnything(_ damage: StateDamage) {
    let p = startingParameter()
    let optimizer = Adam([p], learningRate: 0.1)
    _ = train(optimizer, [p], steps: 2)
    let before = optimizer.checkpointState()
    // The bad state also carries a new learning rate, which must not be applied.
    let bad = adamState {
      $0.values["group.0.learning_rate"] = 0.7
      damage.apply(to: &$0)
    }
    let error = #expect(throws: StateRestoreError.self, "\(damage)") {
      try optimizer.restore(from: bad)
    }
    #expect(error?.message == "Adam.restore: " + damage.message)
    let after = optimizer.checkpointState()
    #expect(after.values == before.values)
    #expect(Set(after.tensors.keys) == Set(before.tensors.keys))
    for (key, tensor) in before.tensors {
      #expect([Double](after.tensors[key]!) == [Double](tensor))
    }
  }
}

// The numpy transcription of torch.optim's single-tensor algorithms used for the later steps:
//
// import numpy as np, math
// C = np.array([0.5, 2.0]); P0 = np.array([1.0, -0.5])
// def grad(p): return 2 * C * p
//
// def sgd(steps, lr, momentum=0, dampening=0, wd=0, nesterov=False, p=P0):
//     p = p.copy(); buf = None; out = []
//     for t in range(steps):
//         g = grad(p)
//         if wd: g = g + wd * p
//         if momentum:
//             buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
//             g = g + momentum * buf if nesterov else buf
//         p = p - lr * g; out.append(p.copy())
//     return out
//
// def adam(steps, lr, b1=0.9, b2=0.999, eps=1e-8, wd=0, amsgrad=False, decoupled=False, p=P0):
//     p = p.copy(); m = np.zeros(2); v = np.zeros(2); vmax = np.zeros(2); out = []
//     for t in range(1, steps + 1):
//         g = grad(p)
//         if decoupled: p = p * (1 - lr * wd)
//         elif wd: g = g + wd * p
//         m = m + (g - m) * (1 - b1)
//         v = v * b2 + (1 - b2) * g * g
//         bc1 = 1 - b1 ** t; bc2 = 1 - b2 ** t
//         if amsgrad: vmax = np.maximum(vmax, v); denom = np.sqrt(vmax) / math.sqrt(bc2) + eps
//         else: denom = np.sqrt(v) / math.sqrt(bc2) + eps
//         p = p - lr / bc1 * (m / denom); out.append(p.copy())
//     return out
//
// def rmsprop(steps, lr=0.01, alpha=0.99, eps=1e-8, wd=0, momentum=0, centered=False, p=P0):
//     p = p.copy(); sq = np.zeros(2); ga = np.zeros(2); buf = np.zeros(2); out = []
//     for t in range(steps):
//         g = grad(p)
//         if wd: g = g + wd * p
//         sq = sq * alpha + (1 - alpha) * g * g
//         if centered: ga = ga + (g - ga) * (1 - alpha); avg = np.sqrt(sq - ga * ga) + eps
//         else: avg = np.sqrt(sq) + eps
//         if momentum > 0: buf = buf * momentum + g / avg; p = p - lr * buf
//         else: p = p - lr * g / avg
//         out.append(p.copy())
//     return out
//
// def adagrad(steps, lr=0.01, lr_decay=0, wd=0, init=0, eps=1e-10, p=P0):
//     p = p.copy(); s = np.full(2, init, dtype=float); out = []
//     for t in range(1, steps + 1):
//         g = grad(p)
//         if wd: g = g + wd * p
//         clr = lr / (1 + (t - 1) * lr_decay)
//         s = s + g * g
//         p = p - clr * g / (np.sqrt(s) + eps); out.append(p.copy())
//     return out
