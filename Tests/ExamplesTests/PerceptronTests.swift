import Nabla
import Testing

@testable import perceptron

@Suite struct PerceptronTests {
  @Test func primalAndDualSeparateTheDataWithTheSameHyperplane() {
    let data = SeparableData(count: 60, seed: 3)
    let primal = trainPrimal(data)
    let dual = trainDual(data).result
    #expect(primal.mistakesPerEpoch.last == 0)
    #expect(data.accuracy(of: primal.theta) == 1)
    #expect(data.accuracy(of: dual.theta) == 1)
    // The dual form makes the same updates in the same order, so θ = Σ αᵢyᵢxᵢ is the primal θ.
    #expect(primal.mistakesPerEpoch == dual.mistakesPerEpoch)
    for (p, d) in zip([Double](primal.theta), [Double](dual.theta)) {
      #expect(abs(p - d) <= 1e-9)
    }
  }

  @Test func labelsFollowTheSideOfALineWithAMargin() {
    let data = SeparableData(count: 40, margin: 0.2, seed: 1)
    #expect(data.points.shape == [40, 3])
    #expect(Set(data.labels) == [-1, 1])
  }
}
