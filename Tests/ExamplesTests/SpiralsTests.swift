import NablaNN
import XCTest

@testable import spirals

final class SpiralsTests: XCTestCase {
  func testAFewStepsReduceTheLoss() {
    manualSeed(0)
    let data = TwoSpirals(perSpiral: 50, seed: 0)
    let losses = trainSpirals(makeSpiralModel(hidden: 32), on: data, steps: 200)
    XCTAssertLessThan(losses.last!, 0.9 * losses.first!)
  }

  func testTheSpiralsInterleave() {
    let data = TwoSpirals(perSpiral: 30, noise: 0, seed: 0)
    XCTAssertEqual(data.points.shape, [60, 2])
    // Without noise the second spiral is the first turned by π: point k of each is mirrored.
    let rows = [Float](data.points)
    XCTAssertEqual(rows[0], -rows[60], accuracy: 1e-6)
    XCTAssertEqual(rows[1], -rows[61], accuracy: 1e-6)
  }
}
