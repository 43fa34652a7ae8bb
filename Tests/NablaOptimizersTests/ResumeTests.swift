import Foundation
import NablaNN
import NablaOptimizers
import Testing

/// Stopping a run, saving a checkpoint and resuming in fresh objects gives exactly the run that
/// never stopped: model, optimizer moments and step counts, and the schedule all come back.
@Suite struct ResumeTests {
  private final class Net: Module, @unchecked Sendable {
    let hidden: Linear
    let output: Linear
    init(seed: UInt64) {
      let generator = RandomGenerator(seed: seed)
      hidden = Linear(6, 8, generator: generator)
      output = Linear(8, 3, generator: generator)
    }
    override func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).tanh()) }
  }

  private struct Run {
    let model: Net
    let optimizer: Adam
    let schedule: StepLR
    init(seed: UInt64) {
      model = Net(seed: seed)
      optimizer = Adam(model.parameters(), learningRate: 0.05, amsgrad: true)
      schedule = StepLR(optimizer, stepSize: 3, gamma: 0.5)
    }

    func train(steps: Range<Int>) {
      for step in steps {
        let generator = RandomGenerator(seed: UInt64(100 + step))
        let x = Tensor.randomNormal([5, 6], generator: generator)
        let labels = Tensor(indices: [0, 1, 2, 1, 0])
        let loss = crossEntropy(model(x), classIndices: labels)
        optimizer.zeroGradients()
        loss.backward()
        optimizer.step()
        schedule.step()
      }
    }

    var parts: [String: any Checkpointable] {
      ["model": model, "optimizer": optimizer, "schedule": schedule]
    }
  }

  @Test func resumingFromACheckpointMatchesAnUninterruptedRun() throws {
    let straight = Run(seed: 1)
    straight.train(steps: 0..<20)

    let first = Run(seed: 1)
    first.train(steps: 0..<10)
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("nabla-resume-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try Checkpoint.save(first.parts, step: 10, to: url)

    let resumed = Run(seed: 2)  // different initial weights: all must come from the file
    let step = try Checkpoint.load(from: url, into: resumed.parts)
    #expect(step == 10)
    #expect(resumed.optimizer.groups[0].learningRate == first.optimizer.groups[0].learningRate)
    resumed.train(steps: step..<20)

    for ((name, expected), (_, actual)) in zip(
      straight.model.namedParameters(), resumed.model.namedParameters())
    {
      #expect([Float](expected.value) == [Float](actual.value), "\(name) differs")
    }
  }
}
