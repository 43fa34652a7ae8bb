import Nabla
import XCTest

@testable import perceptron

final class PerceptronTests: XCTestCase {
  func testPrimalAndDualSeparateTheDataWithTheSameHyperplane() {
    let data = SeparableData(count: 60, seed: 3)
    let primal = trainPrimal(data)
    let dual = trainDual(data).result
    XCTAssertEqual(primal.mistakesPerEpoch.last, 0)
    XCTAssertEqual(data.accuracy(of: primal.theta), 1)
    XCTAssertEqual(data.accuracy(of: dual.theta), 1)
    // The dual form makes the same updates in the same order, so θ = Σ αᵢyᵢxᵢ is the primal θ.
    XCTAssertEqual(primal.mistakesPerEpoch, dual.mistakesPerEpoch)
    for (p, d) in zip([Double](primal.theta), [Double](dual.theta)) {
      XCTAssertEqual(p, d, accuracy: 1e-9)
    }
  }

  func testLabelsFollowTheSideOfALineWithAMargin() {
    let data = SeparableData(count: 40, margin: 0.2, seed: 1)
    XCTAssertEqual(data.points.shape, [40, 3])
    XCTAssertEqual(Set(data.labels), [-1, 1])
  }
}
