import NablaTestSupport
import Testing

@testable import NablaNN

/// Regression, binary and KL losses against PyTorch's formulas, worked out in NumPy
/// (torch.nn.functional's definitions of each reduction and weight), never produced by Nabla.
@Suite struct LossTests {
  // MARK: Regression

  /// Differences prediction − target: −0.5, −2, 0, 3.
  let prediction = Tensor([0.5, -1, 2, 3.5], shape: [2, 2], dtype: .float64)
  let target = Tensor([1, 1, 2, 0.5], shape: [2, 2], dtype: .float64)

  @Test func meanSquaredAndAbsoluteErrors() {
    expectLoss(mseLoss(prediction, target: target), [3.3125], shape: [])
    expectLoss(mseLoss(prediction, target: target, reduction: .sum), [13.25])
    expectLoss(
      mseLoss(prediction, target: target, reduction: .none), [0.25, 4, 0, 9], shape: [2, 2])
    expectLoss(l1Loss(prediction, target: target), [1.375])
    expectLoss(l1Loss(prediction, target: target, reduction: .sum), [5.5])
    expectLoss(l1Loss(prediction, target: target, reduction: .none), [0.5, 2, 0, 3])
  }

  @Test func smoothL1SwitchesToLinearAtBeta() {
    expectLoss(smoothL1Loss(prediction, target: target), [1.03125])
    expectLoss(smoothL1Loss(prediction, target: target, reduction: .none), [0.125, 1.5, 0, 2.5])
    expectLoss(smoothL1Loss(prediction, target: target, beta: 2.5, reduction: .sum), [2.6])
    expectLoss(
      smoothL1Loss(prediction, target: target, beta: 2.5, reduction: .none), [0.05, 0.8, 0, 1.75])
    expectLoss(smoothL1Loss(prediction, target: target, beta: 2.5), [0.65])
    // β = 0 is the L1 loss.
    expectLoss(smoothL1Loss(prediction, target: target, beta: 0), [1.375])
  }

  @Test func huberIsDeltaTimesSmoothL1() {
    expectLoss(huberLoss(prediction, target: target), [1.03125])
    expectLoss(huberLoss(prediction, target: target, reduction: .sum), [4.125])
    expectLoss(
      huberLoss(prediction, target: target, delta: 2.5, reduction: .none), [0.125, 2, 0, 4.375])
    expectLoss(huberLoss(prediction, target: target, delta: 2.5), [1.625])
    expectLoss(huberLoss(prediction, target: target, delta: 2.5, reduction: .sum), [6.5])
  }

  @Test func gradientsOfRegressionLosses() {
    let x = Tensor.randomNormal([3, 4], dtype: .float64, generator: RandomGenerator(seed: 1))
    let y = Tensor.randomNormal([3, 4], dtype: .float64, generator: RandomGenerator(seed: 2))
    for reduction in [Reduction.mean, .sum, .none] {
      expectGradients([x, y]) { mseLoss($0[0], target: $0[1], reduction: reduction) }
      expectGradients([x, y]) { l1Loss($0[0], target: $0[1], reduction: reduction) }
      expectGradients([x, y]) {
        smoothL1Loss($0[0], target: $0[1], beta: 0.8, reduction: reduction)
      }
      expectGradients([x, y]) { huberLoss($0[0], target: $0[1], delta: 1.2, reduction: reduction) }
    }
  }

  // MARK: Binary cross-entropy

  let weightPerColumn = Tensor([1, 2, 0.5], dtype: .float64)

  @Test func binaryCrossEntropyClampsTheLogarithms() {
    // Probabilities of exactly 0 and 1: log 0 is clamped to −100.
    let p = tensor([0.9, 0.2, 0, 1, 0.5, 0], [2, 3])
    let y = tensor([1, 0, 0, 1, 0.3, 1], [2, 3])
    let perElement = [0.10536051565782628, 0.2231435513142097, 0, 0, 0.6931471805599453, 100]
    expectLoss(binaryCrossEntropy(p, target: y, reduction: .none), perElement, shape: [2, 3])
    expectLoss(binaryCrossEntropy(p, target: y), [16.836941874588664])
    expectLoss(binaryCrossEntropy(p, target: y, reduction: .sum), [101.02165124753198])
    let weighted = { (reduction: Reduction) in
      binaryCrossEntropy(p, target: y, weight: weightPerColumn, reduction: reduction)
    }
    expectLoss(
      weighted(.none),
      [0.10536051565782628, 0.4462871026284194, 0, 0, 1.3862943611198906, 50])
    expectLoss(weighted(.mean), [8.656323663234355])
    expectLoss(weighted(.sum), [51.93794197940613])
    // The gradient stays finite where the probability is exactly 0 or 1.
    let leaf = p.requiringGrad()
    binaryCrossEntropy(leaf, target: y).backward()
    #expect([Double](leaf.grad!).allSatisfy { $0.isFinite })
  }

  /// Logits include 0 and ±10⁴, where exp overflows unless the loss is computed stably.
  let bigLogits = Tensor([0.5, -1, 2, 0, 1e4, -1e4], shape: [2, 3], dtype: .float64)
  let bigTargets = Tensor([1, 0, 0.5, 1, 0, 1], shape: [2, 3], dtype: .float64)

  @Test func binaryCrossEntropyWithLogitsIsStable() {
    let perElement = [
      0.4740769841801067, 0.3132616875182228, 1.1269280110429725, 0.6931471805599453, 10000,
      10000,
    ]
    expectLoss(
      binaryCrossEntropyWithLogits(bigLogits, target: bigTargets, reduction: .none), perElement)
    expectLoss(binaryCrossEntropyWithLogits(bigLogits, target: bigTargets), [3333.76790231055])
    expectLoss(
      binaryCrossEntropyWithLogits(bigLogits, target: bigTargets, reduction: .sum),
      [20002.6074138633])
    // d/dx = (sigmoid(x) − y) / 6, exact at x = 0 and finite at ±10⁴.
    let leaf = bigLogits.requiringGrad()
    binaryCrossEntropyWithLogits(leaf, target: bigTargets).backward()
    expectClose(
      [Double](leaf.grad!),
      [
        -0.0629234447996909, 0.04482357022833252, 0.06346617966298039, -0.08333333333333333,
        0.16666666666666666, -0.16666666666666666,
      ])
    let float32 = binaryCrossEntropyWithLogits(
      bigLogits.converted(to: .float32), target: bigTargets.converted(to: .float32),
      reduction: .none)
    #expect([Float](float32)[4] == 10000 && [Float](float32)[5] == 10000)
  }

  @Test func binaryCrossEntropyWithLogitsWeights() {
    let positiveWeight = tensor([2, 0.5, 1], [3])
    let loss = { (reduction: Reduction) in
      binaryCrossEntropyWithLogits(
        bigLogits, target: bigTargets,
        weight: weightPerColumn, positiveWeight: positiveWeight, reduction: reduction)
    }
    expectLoss(
      loss(.none),
      [0.9481539683602134, 0.6265233750364456, 0.5634640055214862, 1.3862943611198906, 20000, 5000])
    expectLoss(loss(.mean), [4167.25407261834])
    expectLoss(loss(.sum), [25003.52443571004])
    let leaf = bigLogits.requiringGrad()
    binaryCrossEntropyWithLogits(
      leaf, target: bigTargets, weight: weightPerColumn,
      positiveWeight: positiveWeight, reduction: .sum
    ).backward()
    expectClose(
      [Double](leaf.grad!),
      [-0.7550813375962908, 0.5378828427399902, 0.19039853898894116, -1, 2, -0.5])
  }

  @Test func binaryCrossEntropyWithLogitsAgreesWithSigmoidThenBCE() {
    let x = Tensor.randomNormal([10], dtype: .float64, generator: RandomGenerator(seed: 9))
    let y = Tensor.randomUniform([10], dtype: .float64, generator: RandomGenerator(seed: 10))
    let direct = binaryCrossEntropyWithLogits(x, target: y, reduction: .none)
    expectClose(
      [Double](direct), [Double](binaryCrossEntropy(x.sigmoid(), target: y, reduction: .none)))
  }

  @Test func gradientsOfBinaryLosses() {
    let x = Tensor.randomNormal([3, 4], dtype: .float64, generator: RandomGenerator(seed: 11))
    let y = Tensor.randomUniform([3, 4], dtype: .float64, generator: RandomGenerator(seed: 12))
    let p = Tensor.randomUniform(
      [3, 4], low: 0.05, high: 0.95, dtype: .float64, generator: RandomGenerator(seed: 13))
    let weight = tensor([0.5, 1, 2, 1.5], [4])
    let positiveWeight = tensor([3, 0.25, 1, 2], [4])
    for reduction in [Reduction.mean, .sum, .none] {
      expectGradients([p, y, weight]) {
        binaryCrossEntropy($0[0], target: $0[1], weight: $0[2], reduction: reduction)
      }
      expectGradients([x, y, weight, positiveWeight]) {
        binaryCrossEntropyWithLogits(
          $0[0], target: $0[1], weight: $0[2],
          positiveWeight: $0[3], reduction: reduction)
      }
    }
    // At a logit of exactly 0 the gradient is sigmoid(0) − y, from either side.
    expectGradients([Tensor.zeros([3], dtype: .float64), tensor([0, 0.3, 1], [3])]) {
      binaryCrossEntropyWithLogits($0[0], target: $0[1], reduction: .none)
    }
  }

  // MARK: Kullback-Leibler divergence

  @Test func klDivergenceReductions() {
    let logQ = tensor([0.2, 0.3, 0.5, 0.6, 0.1, 0.3], [2, 3]).log()
    let p = tensor([0.1, 0, 0.9, 0.3, 0.3, 0.4], [2, 3])
    expectLoss(
      klDivergence(logQ, target: p, reduction: .none),
      [
        -0.06931471805599451, 0, 0.529007998411907, -0.2079441541679836, 0.3295836866004328,
        0.11507282898071247,
      ], shape: [2, 3])
    expectLoss(klDivergence(logQ, target: p), [0.11606760696151236])
    expectLoss(klDivergence(logQ, target: p, reduction: .sum), [0.6964056417690742])
    expectLoss(klDivergence(logQ, target: p, reduction: .batchMean), [0.3482028208845371])
    let logP = tensor([0.1, 0.2, 0.7, 0.3, 0.3, 0.4], [2, 3]).log()
    expectLoss(
      klDivergence(logQ, target: logP, reduction: .none, logTarget: true),
      [
        -0.06931471805599453, -0.08109302162163284, 0.23553056563484898, -0.20794415416798362,
        0.3295836866004328, 0.11507282898071246,
      ])
    expectLoss(
      klDivergence(logQ, target: logP, reduction: .batchMean, logTarget: true),
      [0.16091759368519162])
  }

  @Test func gradientsOfKLDivergence() {
    let logQ = Tensor.randomNormal([3, 4], dtype: .float64, generator: RandomGenerator(seed: 14))
      .logSoftmax(alongAxis: 1)
    let p = Tensor.randomNormal([3, 4], dtype: .float64, generator: RandomGenerator(seed: 15))
      .softmax(alongAxis: 1)
    for reduction in [KLDivergenceReduction.none, .mean, .batchMean, .sum] {
      expectGradients([logQ, p]) { klDivergence($0[0], target: $0[1], reduction: reduction) }
      expectGradients([logQ, p.log()]) {
        klDivergence($0[0], target: $0[1], reduction: reduction, logTarget: true)
      }
    }
  }

  // MARK: Errors

  @Test func mismatchedShapesNameTheLossAndShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = mseLoss(Tensor.zeros([2, 3]), target: Tensor.zeros([3]))
    }
    expectMessage(
      result, "mseLoss: prediction of shape [2, 3] and target of shape [3] must have the same shape"
    )
  }

  @Test func binaryCrossEntropyRefusesNonProbabilities() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = binaryCrossEntropy(Tensor([0.5, 1.5]), target: Tensor([1, 0]))
    }
    expectMessage(result, "binaryCrossEntropy: probabilities must lie in [0, 1], found 1.5")
  }
}
