import Foundation
import NablaNN
import NablaOptimizers
import Testing

@testable import mnist1d

@Suite struct MNIST1DTests {
  static let dataDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Data/mnist1d").standardized

  @Test func eachModelReducesTheLossOnARepeatedBatch() throws {
    let data = try MNIST1D(directory: Self.dataDirectory)
    for name in ["logistic", "mlp", "cnn", "gru"] {
      let model = try #require(makeModel(name, generator: RandomGenerator(seed: 0)))
      let optimizer = Adam(model.parameters(), learningRate: 1e-2)
      let batch = try #require(data.batches(from: 0).first { _ in true })
      let losses = (0..<8).map { _ in trainStep(model, optimizer, batch) }
      #expect(losses.last! < 0.9 * losses.first!, "\(name)")
    }
  }

  /// The loader gives the paper's schedule: batch i holds rows (100·i mod 4000) ..< +100,
  /// resuming at any step.
  @Test func batchesFollowThePapersSchedule() throws {
    let data = try MNIST1D(directory: Self.dataDirectory)
    for (offset, (x, y)) in data.batches(from: 39).prefix(3).enumerated() {
      let first = ((39 + offset) * 100) % 4000
      #expect(x.scalars == data.trainX.narrowed(alongAxis: 0, start: first, length: 100).scalars)
      #expect(y.scalars == data.trainY.narrowed(alongAxis: 0, start: first, length: 100).scalars)
    }
  }

  @Test func theGRUModelHasThePapersShape() {
    let model = GRUClassifier(generator: RandomGenerator(seed: 0))
    #expect(model(Tensor.zeros([3, 40])).shape == [3, 10])
    // GRU(1, 6) both ways: 2 · (3·6·1 + 3·6·6 + 2·3·6) weights and biases; Linear(480, 10).
    #expect(model.parameterCount == 2 * (18 + 108 + 36) + 480 * 10 + 10)
  }

  @Test func savingAndResumingContinuesTheSameRun() throws {
    let data = try MNIST1D(directory: Self.dataDirectory)
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("mnist1d-resume-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }

    let straight = MLP(generator: RandomGenerator(seed: 0))
    let straightOptimizer = Adam(straight.parameters(), learningRate: 1e-2)
    for batch in data.batches(from: 0).prefix(6) { trainStep(straight, straightOptimizer, batch) }

    let first = MLP(generator: RandomGenerator(seed: 0))
    let firstOptimizer = Adam(first.parameters(), learningRate: 1e-2)
    for batch in data.batches(from: 0).prefix(3) { trainStep(first, firstOptimizer, batch) }
    try Checkpoint.save(["model": first, "optimizer": firstOptimizer], step: 3, to: url)

    let resumed = MLP(generator: RandomGenerator(seed: 1))  // overwritten by the checkpoint
    let resumedOptimizer = Adam(resumed.parameters(), learningRate: 1e-2)
    let start = try Checkpoint.load(
      from: url, into: ["model": resumed, "optimizer": resumedOptimizer])
    #expect(start == 3)
    for batch in data.batches(from: start).prefix(6 - start) {
      trainStep(resumed, resumedOptimizer, batch)
    }

    let expected = straight.stateDict()
    for (name, tensor) in resumed.stateDict() {
      let difference = zip([Float](tensor), [Float](expected[name]!)).map { abs($0 - $1) }.max()
      #expect(difference == 0, "\(name)")
    }
  }
}
