import NablaNN
import NablaOptimizers
import Testing

/// The README's layers-and-optimizers example, kept line for line (`.ci/run` checks it), run for
/// a few steps on random data.
@Suite struct ReadmeExampleTests {
  @Test func readmeTrainingExampleRuns() {
    let x = Tensor.randomNormal([8, 40], generator: RandomGenerator(seed: 1))
    let batches = Array(repeating: (x, Tensor(indices: [0, 1, 2, 3, 4, 5, 6, 7])), count: 20)
    var losses: [Double] = []
    let model = Sequential {
      Linear(40, 100)
      ReLU()
      Dropout(probability: 0.1)
      Linear(100, 10)
    }
    let optimizer = AdamW(model.parameters(), learningRate: 1e-3, weightDecay: 0.01)
    let schedule = CosineAnnealingLR(optimizer, period: 1000)
    for (x, labels) in batches {
      let loss = crossEntropy(model(x), classIndices: labels)
      optimizer.zeroGradients()
      loss.backward()
      optimizer.step()
      schedule.step()
      losses.append(loss.item)
    }
    #expect(losses.last! < losses.first!)
  }
}
