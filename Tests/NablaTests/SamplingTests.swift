import Foundation
import Testing

@testable import Nabla

@Suite struct SamplingTests {
  @Test func frequenciesFollowTheWeights() {
    // Weights that do not sum to one, with a category that can never be drawn.
    let weights = [1.0, 0, 3, 6]
    let draws = 200_000
    let samples = [Int](
      Tensor(weights, shape: [4], dtype: .float64).multinomial(
        sampleCount: draws, replacement: true, generator: RandomGenerator(seed: 1)))
    var counts = [Int](repeating: 0, count: 4)
    for index in samples { counts[index] += 1 }
    #expect(counts[1] == 0)
    for (k, weight) in weights.enumerated() where weight > 0 {
      let p = weight / 10
      let sigma = (Double(draws) * p * (1 - p)).squareRoot()
      // Five standard deviations: a correct sampler fails this about once in two million runs.
      #expect(abs(Double(counts[k]) - Double(draws) * p) < 5 * sigma, "category \(k): \(counts)")
    }
  }

  @Test func rowsAreDrawnFromTheirOwnWeights() {
    let weights = Tensor([0, 0, 1, 1, 0, 0], shape: [2, 3])  // one possible category a row
    let samples = weights.multinomial(sampleCount: 5, replacement: true)
    #expect(samples.shape == [2, 5] && samples.dtype == .int64)
    #expect([Int](samples) == [2, 2, 2, 2, 2, 0, 0, 0, 0, 0])
  }

  @Test func withoutReplacementEveryIndexIsDistinct() {
    let generator = RandomGenerator(seed: 7)
    let weights = Tensor([5, 1, 0, 2, 2, 0.5], shape: [6])
    for _ in 0..<50 {
      let drawn = [Int](weights.multinomial(sampleCount: 5, generator: generator))
      #expect(Set(drawn).count == 5 && !drawn.contains(2), "\(drawn)")
    }
    // As many draws as categories: a permutation.
    let all = [Int](Tensor([1, 2, 3, 4]).multinomial(sampleCount: 4, generator: generator))
    #expect(all.sorted() == [0, 1, 2, 3])
  }

  @Test func withoutReplacementTheFirstDrawFollowsTheWeights() {
    // The first index of each draw is a draw with replacement; the heaviest category wins most.
    let generator = RandomGenerator(seed: 3)
    var firsts = [0, 0, 0]
    for _ in 0..<3000 {
      firsts[[Int](Tensor([1, 8, 1]).multinomial(sampleCount: 2, generator: generator))[0]] += 1
    }
    #expect(firsts[1] > 2200 && firsts[1] < 2600, "\(firsts)")
  }

  @Test func theSameSeedGivesTheSameDraws() {
    let weights = Tensor.randomUniform([3, 10], generator: RandomGenerator(seed: 2))
    let first = weights.multinomial(sampleCount: 4, generator: RandomGenerator(seed: 9))
    let second = weights.multinomial(sampleCount: 4, generator: RandomGenerator(seed: 9))
    #expect([Int](first) == [Int](second))
  }

  func expectStop(
    _ result: ExitTest.Result?, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(printed.contains(message), "stderr was: \(printed)", sourceLocation: sourceLocation)
  }

  @Test func badWeightsStopWithTheRowAndShape() async {
    let negative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, -1, 2, 0, 1, 1], shape: [2, 3]).multinomial(sampleCount: 1)
    }
    expectStop(
      negative,
      "multinomial: weight -1.0 at category 1 of row 0 of [2, 3] is not finite and non-negative")
    let zero = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, 1, 0, 0], shape: [2, 2]).multinomial(sampleCount: 1)
    }
    expectStop(zero, "multinomial: row 1 of weights [2, 2] sums to zero")
    let tooMany = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, 0, 1]).multinomial(sampleCount: 3)
    }
    expectStop(
      tooMany,
      "multinomial: cannot draw 3 distinct categories without replacement from row 0 of [3], "
        + "which has 2 with positive weight")
    let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.ones([2, 2, 2]).multinomial(sampleCount: 1)
    }
    expectStop(rank, "multinomial: expected weights of shape [K] or [N, K], got [2, 2, 2]")
    let integers = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor(indices: [1, 2]).multinomial(sampleCount: 1)
    }
    expectStop(integers, "multinomial: expected a float32 or float64 tensor, got int64")
  }
}
