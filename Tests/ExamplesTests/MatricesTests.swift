import Testing

@testable import matrices

@Suite struct MatricesTests {
  @Test func everyMatrixViewAgreesWithItsLayer() {
    for seed: UInt64 in [0, 1, 2] {
      let stops = [
        linearStop(seed: seed), reluStop(seed: seed), dropoutStop(seed: seed),
        convolutionStop(seed: seed),
        convolutionStop(seed: seed, inputChannels: 2, outputChannels: 3, stride: 2, length: 7),
        attentionStop(seed: seed), attentionStop(seed: seed, embed: 6, heads: 3, length: 4),
      ]
      for stop in stops {
        #expect(stop.maxError <= 1e-12, "\(stop.title), seed \(seed)")
      }
    }
  }
}
