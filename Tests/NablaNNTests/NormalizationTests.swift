import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// Batch, group and instance normalization. Expected values were computed in NumPy from
/// PyTorch's formulas (biased variance to normalize, unbiased variance in the running statistics,
/// momentum 0.1), not produced by Nabla.
@Suite struct NormalizationTests {
  let batch = tensor([1, 2, 2, 4, 3, 6, 4, 8], [4, 2])

  @Test func batchNormTrainingThenEvaluation() {
    let norm = BatchNorm1D(2, dtype: .float64)
    expectClose(
      [Double](norm(batch)),
      [
        -1.3416354199689269, -1.3416394448610998, -0.447211806656309, -0.4472131482870333,
        0.447211806656309, 0.4472131482870333, 1.3416354199689269, 1.3416394448610998,
      ], tolerance: 1e-12)
    expectClose([Double](norm.runningMean!.value), [0.25, 0.5])
    expectClose([Double](norm.runningVar!.value), [1.0666666666666667, 1.5666666666666669])
    #expect(norm.numBatchesTracked!.value.item == 1)
    norm.eval()
    expectClose(
      [Double](norm(batch)),
      [
        0.7261809734485556, 1.19839936823271, 1.694422271379963, 2.79626519254299,
        2.6626635693113703, 4.39413101685327, 3.6309048672427777, 5.99199684116355,
      ])
    // Evaluation leaves the running statistics alone.
    expectClose([Double](norm.runningMean!.value), [0.25, 0.5])
  }

  @Test func batchNormCumulativeAverageAndNoRunningStats() {
    let cumulative = BatchNorm1D(2, momentum: nil, dtype: .float64)
    _ = cumulative(batch)
    // The first batch's factor is 1/1: the running statistics become the batch's.
    expectClose([Double](cumulative.runningMean!.value), [2.5, 5])
    expectClose([Double](cumulative.runningVar!.value), [5.0 / 3, 20.0 / 3])
    let plain = BatchNorm1D(2, affine: false, trackRunningStats: false, dtype: .float64)
    plain.eval()
    #expect(plain.runningMean == nil && plain.parameters().isEmpty)
    expectClose([[Double](plain(batch))[0]], [-1.3416354199689269], tolerance: 1e-9)
  }

  /// The state-dict names are PyTorch's, so BatchNorm weights load from a PyTorch state dict.
  @Test func batchNormStateHoldsTheRunningStatistics() throws {
    let norm = BatchNorm2D(3)
    #expect(
      norm.stateDict().keys.sorted() == [
        "bias", "num_batches_tracked", "running_mean", "running_var", "weight",
      ])
    _ = norm(Tensor.randomNormal([2, 3, 4, 4]))
    let copy = BatchNorm2D(3)
    try copy.loadStateDict(norm.stateDict())
    expectClose([Double](copy.runningMean!.value), [Double](norm.runningMean!.value))
    expectClose([Double](copy.runningVar!.value), [Double](norm.runningVar!.value))
    #expect(copy.numBatchesTracked!.value.item == 1)
  }

  /// Evaluation mode with running statistics, weight and bias away from their initial values:
  /// the definition (x − mean) / √(var + ε) · weight + bias, and float64 gradients.
  @Test func batchNormEvaluationFollowsTheDefinition() {
    let norm = BatchNorm2D(3, epsilon: 1e-3, dtype: .float64)
    let generator = RandomGenerator(seed: 11)
    let (mean, variance) = ([0.5, -1, 2], [0.25, 4, 1.5])
    norm.runningMean!.value = Tensor(mean, dtype: .float64)
    norm.runningVar!.value = Tensor(variance, dtype: .float64)
    norm.weight!.assign(Tensor([2, -0.5, 1.25], dtype: .float64))
    norm.bias!.assign(Tensor([0.1, 0.2, -0.3], dtype: .float64))
    norm.eval()
    let x = Tensor.randomNormal([2, 3, 4, 5], dtype: .float64, generator: generator)
    let (values, weights, biases) = ([Double](x), [2, -0.5, 1.25], [0.1, 0.2, -0.3])
    let expected = values.indices.map { i in
      let c = i / 20 % 3
      return (values[i] - mean[c]) / (variance[c] + 1e-3).squareRoot() * weights[c] + biases[c]
    }
    let worst = zip([Double](norm(x)), expected).map { Swift.abs($0 - $1) }.max()!
    #expect(worst < 1e-12)
    let result = gradientCheck(norm, input: x)
    #expect(result.passed, "\(result)")
  }

  @Test func groupAndInstanceNorm() {
    let x = tensor([1, 3, 2, 6, -1, 0, 5, 2], [1, 4, 2])
    expectClose(
      [Double](GroupNorm(groupCount: 2, channelCount: 4, dtype: .float64)(x)),
      [
        -1.0690434404458735, 0.0, -0.5345217202229368, 1.6035651606688102, -1.0910884120486357,
        -0.6546530472291815, 1.52752377686809, 0.21821768240972714,
      ])
    let image = tensor([1, 2, 3, 4], [1, 1, 2, 2])
    expectClose(
      [Double](InstanceNorm2D(1)(image)),
      [-1.3416354199689269, -0.447211806656309, 0.447211806656309, 1.3416354199689269])
  }

  @Test func instanceNormRunningStatistics() {
    let norm = InstanceNorm2D(1, trackRunningStats: true, dtype: .float64)
    let image = tensor([1, 2, 3, 4], [1, 1, 2, 2])
    _ = norm(image)
    // Instance mean 2.5 and unbiased variance 5/3, moved by momentum 0.1 from 0 and 1.
    expectClose([Double](norm.runningMean!.value), [0.25])
    expectClose([Double](norm.runningVar!.value), [1.0666666666666667])
    norm.eval()
    expectClose(
      [Double](norm(image)),
      [0.7261809734485556, 1.694422271379963, 2.6626635693113703, 3.6309048672427777])
  }

  @Test func gradients() {
    let x = Tensor.randomNormal([3, 4, 2, 3], dtype: .float64, generator: RandomGenerator(seed: 9))
    let checks: [(Module, Tensor)] = [
      (BatchNorm2D(4), x),
      (BatchNorm1D(4), x.reshaped([3, 4, 6])),
      (BatchNorm1D(6), x.reshaped([12, 6])),
      (GroupNorm(groupCount: 2, channelCount: 4), x),
      (InstanceNorm2D(4, affine: true), x),
    ]
    for (module, input) in checks {
      // Non-trivial affine parameters, so their gradients are checked away from 1 and 0.
      for parameter in module.parameters() {
        parameter.assign(
          Tensor.randomNormal(parameter.value.shape, generator: RandomGenerator(seed: 4)))
      }
      let result = gradientCheck(module, input: input)
      #expect(result.passed, "\(module): \(result)")
    }
    let evaluating = BatchNorm2D(4)
    _ = evaluating(x.converted(to: .float32))
    evaluating.eval()
    let result = gradientCheck(evaluating, input: x)
    #expect(result.passed, "\(result)")
  }
}
