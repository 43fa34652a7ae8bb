import NablaNN
import Testing

@testable import spirals

@Suite struct SpiralsTests {
  @Test func aFewStepsReduceTheLoss() {
    let data = TwoSpirals(perSpiral: 50, seed: 0)
    let losses = trainSpirals(
      makeSpiralModel(hidden: 32, generator: RandomGenerator(seed: 0)), on: data, steps: 200,
      generator: RandomGenerator(seed: 0))
    #expect(losses.last! < 0.9 * losses.first!)
  }

  @Test func theSpiralsInterleave() {
    let data = TwoSpirals(perSpiral: 30, noise: 0, seed: 0)
    #expect(data.points.shape == [60, 2])
    // Without noise the second spiral is the first turned by π: point k of each is mirrored.
    let rows = [Float](data.points)
    #expect(abs(rows[0] + rows[60]) <= 1e-6)
    #expect(abs(rows[1] + rows[61]) <= 1e-6)
  }
}
