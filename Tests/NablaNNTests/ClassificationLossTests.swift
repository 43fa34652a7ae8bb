import NablaTestSupport
import Testing

@testable import NablaNN

/// Cross-entropy and negative log-likelihood against PyTorch's formulas (class weights, ignore
/// index, label smoothing, each reduction), worked out in NumPy, never produced by Nabla.
@Suite struct ClassificationLossTests {
  // MARK: Cross-entropy and negative log-likelihood

  let logits = Tensor(
    [1, 2, 0.5, -1, 0, 0.3, -0.2, 1.5, 2, -1, 0, 0.5], shape: [3, 4], dtype: .float64)
  let labels = Tensor(indices: [1, 3, 0])
  let classWeight = Tensor([0.5, 2, 1, 1.5], dtype: .float64)

  @Test func crossEntropyOverClassIndices() {
    let perSample = [0.49518189808585605, 0.5347420695270686, 0.342349582389822]
    expectLoss(crossEntropy(logits, classIndices: labels, reduction: .none), perSample, shape: [3])
    expectLoss(crossEntropy(logits, classIndices: labels), [0.45742451666758216], shape: [])
    expectLoss(crossEntropy(logits, classIndices: labels, reduction: .sum), [1.3722735500027465])
  }

  @Test func crossEntropyWeightedMeanDividesByTheTargetsWeights() {
    let ce = { (reduction: Reduction) in
      crossEntropy(
        self.logits, classIndices: self.labels, weight: self.classWeight,
        reduction: reduction)
    }
    expectLoss(ce(.none), [0.9903637961717121, 0.8021131042906029, 0.171174791194911])
    // (0.990 + 0.802 + 0.171) / (2 + 1.5 + 0.5)
    expectLoss(ce(.mean), [0.49091292291430655])
    expectLoss(ce(.sum), [1.9636516916572262])
  }

  @Test func ignoredTargetsContributeNeitherLossNorWeight() {
    let withDefault = Tensor(indices: [1, -100, 0])
    expectLoss(
      crossEntropy(logits, classIndices: withDefault, reduction: .none),
      [0.49518189808585605, 0, 0.342349582389822])
    expectLoss(crossEntropy(logits, classIndices: withDefault), [0.418765740237839])
    expectLoss(
      crossEntropy(logits, classIndices: withDefault, reduction: .sum), [0.837531480475678])
    let ce = { (reduction: Reduction) in
      crossEntropy(
        self.logits, classIndices: self.labels, weight: self.classWeight,
        ignoreIndex: 3, reduction: reduction)
    }
    expectLoss(ce(.none), [0.9903637961717121, 0, 0.171174791194911])
    expectLoss(ce(.mean), [0.46461543494664925])
    expectLoss(ce(.sum), [1.161538587366623])
  }

  @Test func labelSmoothingMixesInTheUniformDistribution() {
    let ce = { (reduction: Reduction) in
      crossEntropy(
        self.logits, classIndices: self.labels, labelSmoothing: 0.1,
        reduction: reduction)
    }
    expectLoss(ce(.none), [0.6326818980858561, 0.6447420695270687, 0.504849582389822])
    expectLoss(ce(.mean), [0.5940911833342488])
    expectLoss(ce(.sum), [1.7822735500027465])
  }

  @Test func labelSmoothingWithWeightsAndIgnoredTargets() {
    let ce = { (reduction: Reduction) in
      crossEntropy(
        self.logits, classIndices: Tensor(indices: [1, -100, 0]),
        weight: self.classWeight, labelSmoothing: 0.2, reduction: reduction)
    }
    expectLoss(ce(.none), [1.2410865114588336, 0, 0.7350272285533844])
    expectLoss(ce(.mean), [0.7904454960048873])
    expectLoss(ce(.sum), [1.9761137400122182])
  }

  @Test func crossEntropyOverSpatialPositions() {
    // [N, C, d] = [2, 3, 2] with targets [N, d]; one target ignored.
    let logits = tensor([0.2, -1, 1.5, 0.3, -0.4, 0.8, 1, 0, -0.5, 2, 0.3, -0.3], [2, 3, 2])
    let labels = Tensor(indices: [2, 0, 1, -100], shape: [2, 2])
    expectLoss(
      crossEntropy(logits, classIndices: labels, reduction: .none),
      [2.2521349422893397, 2.37201265564544, 2.0421588491986964, 0], shape: [2, 2])
    expectLoss(crossEntropy(logits, classIndices: labels), [2.222102149044492])
    expectLoss(crossEntropy(logits, classIndices: labels, reduction: .sum), [6.666306447133476])
    let weight = tensor([1, 0.5, 3], [3])
    let ce = { (reduction: Reduction) in
      crossEntropy(
        logits, classIndices: labels, weight: weight, labelSmoothing: 0.3,
        reduction: reduction)
    }
    expectLoss(ce(.none), [5.587944102837816, 2.1228145539922556, 1.2437270793589572, 0])
    expectLoss(ce(.mean), [1.9898857191531172])
    expectLoss(ce(.sum), [8.954485736189028])
  }

  @Test func crossEntropyOfOneUnbatchedSample() {
    let logits = tensor([0.1, 1.2, -0.7, 0.4], [4])
    let label = Tensor(indices: [2], shape: [])
    expectLoss(crossEntropy(logits, classIndices: label), [2.5584359910632086], shape: [])
    expectLoss(
      crossEntropy(logits, classIndices: label, labelSmoothing: 0.1, reduction: .none),
      [2.463435991063209], shape: [])
  }

  @Test func nllLossPicksTheTargetsLogProbability() {
    let logProbabilities = tensor([-1.2, -0.5, -2, -0.1, -3, -0.7, -0.9, -0.4, -1.6], [3, 3])
    let labels = Tensor(indices: [2, 0, 1])
    let weight = tensor([0.2, 1, 3], [3])
    expectLoss(nllLoss(logProbabilities, classIndices: labels, reduction: .none), [2, 0.1, 0.4])
    expectLoss(nllLoss(logProbabilities, classIndices: labels), [0.8333333333333334])
    expectLoss(nllLoss(logProbabilities, classIndices: labels, reduction: .sum), [2.5])
    let weighted = { (ignore: Int, reduction: Reduction) in
      nllLoss(
        logProbabilities, classIndices: labels, weight: weight, ignoreIndex: ignore,
        reduction: reduction)
    }
    expectLoss(weighted(-100, .none), [6, 0.02, 0.4])
    expectLoss(weighted(-100, .mean), [1.5285714285714285])
    expectLoss(weighted(-100, .sum), [6.42])
    expectLoss(weighted(0, .none), [6, 0, 0.4])
    expectLoss(weighted(0, .mean), [1.6])
    expectLoss(weighted(0, .sum), [6.4])
  }

  @Test func crossEntropyEqualsNLLOfLogSoftmax() {
    let logits = Tensor.randomNormal([5, 4], generator: RandomGenerator(seed: 5))
    let labels = Tensor(indices: [3, 0, 0, 2, 1])
    let direct = crossEntropy(logits, classIndices: labels).item
    let composed = nllLoss(logits.logSoftmax(alongAxis: 1), classIndices: labels).item
    #expect(abs(direct - composed) < 1e-6)
    #expect(crossEntropy(logits, classIndices: labels).dtype == .float32)
  }

  /// The one-op cross-entropy of [N, C] logits gives the loss and gradient of the composed
  /// nllLoss(logSoftmax), in float, for short and long rows, across blocks of rows, with a target
  /// ignored, for both reductions.
  @Test(arguments: [(250, 10), (7, 3), (33, 40)])
  func oneOpCrossEntropyMatchesTheComposedOne(rows: Int, classes: Int) {
    let generator = RandomGenerator(seed: UInt64(rows))
    let logits = Tensor.randomNormal([rows, classes], generator: generator) * 3
    var targets = (0..<rows).map { ($0 * 7 + 3) % classes }
    targets[rows / 2] = -100
    let labels = Tensor(indices: targets)
    for reduction in [Reduction.mean, .sum] {
      let (x, y) = (logits.requiringGrad(), logits.requiringGrad())
      let direct = crossEntropy(x, classIndices: labels, reduction: reduction)
      let composed = nllLoss(y.logSoftmax(alongAxis: 1), classIndices: labels, reduction: reduction)
      direct.backward()
      composed.backward()
      #expect(abs(direct.item - composed.item) <= 1e-6 * abs(composed.item))
      expectClose([Double](x.grad!), [Double](y.grad!), tolerance: 1e-7)
    }
  }

  @Test func allTargetsIgnoredGivesNaNForTheMean() {
    let loss = crossEntropy(logits, classIndices: Tensor(indices: [-100, -100, -100]))
    #expect(loss.item.isNaN)
    #expect(
      crossEntropy(
        logits, classIndices: Tensor(indices: [-100, -100, -100]),
        reduction: .sum
      ).item == 0)
  }

  @Test func crossEntropyOverProbabilities() {
    let logits = tensor([1, 2, 0.5, 0, -1, 1], [2, 3])
    let probabilities = tensor([0.2, 0.3, 0.5, 1, 0, 0], [2, 3])
    let ce = { (weight: Tensor?, smoothing: Double, reduction: Reduction) in
      crossEntropy(
        logits, probabilities: probabilities, weight: weight,
        labelSmoothing: smoothing, reduction: reduction)
    }
    expectLoss(ce(nil, 0, .none), [1.4143687841079449, 1.4076059644443804], shape: [2])
    expectLoss(ce(nil, 0, .mean), [1.4109873742761625])
    expectLoss(ce(nil, 0, .sum), [2.821974748552325])
    // With weights the mean still divides by the number of samples.
    let weight = tensor([2, 1, 0.5], [3])
    expectLoss(ce(weight, 0.1, .none), [1.2403783352248865, 2.7145780985183956])
    expectLoss(ce(weight, 0.1, .mean), [1.9774782168716412])
    expectLoss(ce(weight, 0.1, .sum), [3.9549564337432823])
  }

  @Test func oneHotProbabilitiesAgreeWithClassIndices() {
    let oneHot = tensor([0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0], [3, 4])
    let fromIndices = crossEntropy(
      logits, classIndices: labels, labelSmoothing: 0.1, reduction: .none)
    let fromProbabilities = crossEntropy(
      logits, probabilities: oneHot, labelSmoothing: 0.1, reduction: .none)
    expectClose([Double](fromProbabilities), [Double](fromIndices))
  }

  @Test func gradientsOfClassificationLosses() {
    let x = Tensor.randomNormal([4, 3], dtype: .float64, generator: RandomGenerator(seed: 7))
    let spatial = Tensor.randomNormal(
      [2, 3, 2, 2], dtype: .float64, generator: RandomGenerator(seed: 8))
    let weight = tensor([0.5, 2, 1.25], [3])
    let labels = Tensor(indices: [2, 0, -100, 1])
    let spatialLabels = Tensor(indices: [0, 2, 1, 1, -100, 0, 2, 2], shape: [2, 2, 2])
    for reduction in [Reduction.mean, .sum, .none] {
      // The class weights are differentiable too, as inputs of the check.
      expectGradients([x, weight]) {
        crossEntropy(
          $0[0], classIndices: labels, weight: $0[1], labelSmoothing: 0.15,
          reduction: reduction)
      }
      expectGradients([spatial, weight]) {
        crossEntropy(
          $0[0], classIndices: spatialLabels, weight: $0[1], labelSmoothing: 0.3,
          reduction: reduction)
      }
      expectGradients([x]) { crossEntropy($0[0], classIndices: labels, reduction: reduction) }
      expectGradients([x, weight]) {
        nllLoss(
          $0[0].logSoftmax(alongAxis: 1), classIndices: labels, weight: $0[1],
          reduction: reduction)
      }
      let probabilities = x.softmax(alongAxis: 1)
      expectGradients([x, probabilities, weight]) {
        crossEntropy(
          $0[0], probabilities: $0[1], weight: $0[2], labelSmoothing: 0.2,
          reduction: reduction)
      }
    }
  }

  // MARK: Errors

  @Test func classIndicesMustBeInt64() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = crossEntropy(Tensor.zeros([2, 3]), classIndices: Tensor([0, 1]))
    }
    expectMessage(result, "crossEntropy: class indices must be int64, got float32 of shape [2]")
  }

  @Test func classIndicesMustMatchTheBatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = nllLoss(Tensor.zeros([4, 3, 5]), classIndices: Tensor(indices: [0, 1, 2, 0]))
    }
    expectMessage(
      result,
      "nllLoss: logProbabilities of shape [4, 3, 5] needs class indices of shape [4, 5], got [4]")
  }

  @Test func outOfRangeClassIndicesAreNamed() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = crossEntropy(Tensor.zeros([2, 3]), classIndices: Tensor(indices: [0, 3]))
    }
    expectMessage(
      result, "crossEntropy: class index 3 is out of range for 3 classes (logits of shape [2, 3])")
  }

  @Test func classWeightMustHaveOneEntryPerClass() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = crossEntropy(
        Tensor.zeros([2, 3]), classIndices: Tensor(indices: [0, 1]), weight: Tensor.ones([4]))
    }
    expectMessage(result, "crossEntropy: weight must be float32 of shape [3]")
  }
}
