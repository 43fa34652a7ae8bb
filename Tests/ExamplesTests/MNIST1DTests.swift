import Foundation
import NablaNN
import NablaOptimizers
import XCTest

@testable import mnist1d

final class MNIST1DTests: XCTestCase {
  static let dataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Data/mnist1d").standardized

  func testEachModelReducesTheLossOnARepeatedBatch() throws {
    let data = try MNIST1D(directory: Self.dataDirectory)
    for name in ["logistic", "mlp", "gru"] {
      manualSeed(0)
      let model = try XCTUnwrap(makeModel(name))
      let optimizer = Adam(model.parameters(), learningRate: 1e-2)
      let losses = (0..<8).map { _ in trainStep(model, optimizer, data: data, step: 0) }
      XCTAssertLessThan(losses.last!, 0.9 * losses.first!, name)
    }
  }

  func testTheGRUModelHasThePapersShape() {
    let model = GRUClassifier()
    XCTAssertEqual(model(Tensor.zeros([3, 40])).shape, [3, 10])
    // GRU(1, 6) both ways: 2 · (3·6·1 + 3·6·6 + 2·3·6) weights and biases; Linear(480, 10).
    XCTAssertEqual(model.parameterCount, 2 * (18 + 108 + 36) + 480 * 10 + 10)
  }

  func testSavingAndResumingContinuesTheSameRun() throws {
    let data = try MNIST1D(directory: Self.dataDirectory)
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("mnist1d-resume-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }

    manualSeed(0)
    let straight = MLP()
    let straightOptimizer = Adam(straight.parameters(), learningRate: 1e-2)
    for step in 0..<6 { trainStep(straight, straightOptimizer, data: data, step: step) }

    manualSeed(0)
    let first = MLP()
    let firstOptimizer = Adam(first.parameters(), learningRate: 1e-2)
    for step in 0..<3 { trainStep(first, firstOptimizer, data: data, step: step) }
    try Checkpoint.save(["model": first, "optimizer": firstOptimizer], step: 3, to: url)

    manualSeed(1)  // a different initialization, overwritten by the checkpoint
    let resumed = MLP()
    let resumedOptimizer = Adam(resumed.parameters(), learningRate: 1e-2)
    let start = try Checkpoint.load(
      from: url, into: ["model": resumed, "optimizer": resumedOptimizer])
    XCTAssertEqual(start, 3)
    for step in start..<6 { trainStep(resumed, resumedOptimizer, data: data, step: step) }

    let expected = straight.stateDict()
    for (name, tensor) in resumed.stateDict() {
      XCTAssertEqual([Float](tensor), [Float](expected[name]!), name)
    }
  }
}
