import Foundation
import NablaNN
import NablaOptimizers
import NablaTraining

/// Two interleaved spirals, one per class: `points` is [n, 2] float32 and `labels` [n] class
/// indices (0 or 1). Point k of a spiral lies at radius r = k/perSpiral·(1 - ε) + ε and angle
/// 3.5·π·r (plus π for the second spiral), moved by Gaussian noise.
struct TwoSpirals {
  var points: Tensor
  var labels: Tensor

  /// Draws `perSpiral` points on each spiral with the given noise, reproducibly from `seed`.
  init(perSpiral: Int, noise: Double = 0.03, seed: UInt64) {
    let generator = RandomGenerator(seed: seed)
    let jitter = [Double](
      Tensor.randomNormal(
        [2 * perSpiral, 2], standardDeviation: noise, dtype: .float64, generator: generator))
    var rows: [Double] = []
    var classes: [Int] = []
    for spiral in 0..<2 {
      for k in 0..<perSpiral {
        let radius = 0.05 + 0.95 * Double(k) / Double(perSpiral)
        let angle = 3.5 * Double.pi * radius + Double(spiral) * Double.pi
        let index = spiral * perSpiral + k
        rows += [
          radius * cos(angle) + jitter[2 * index], radius * sin(angle) + jitter[2 * index + 1],
        ]
        classes.append(spiral)
      }
    }
    points = Tensor(rows, shape: [2 * perSpiral, 2], dtype: .float32)
    labels = Tensor(indices: classes)
  }
}

/// The classifier: 2 → hidden → hidden → 2 with tanh, giving the logits of the two classes; its
/// initial weights come from `generator`.
func makeSpiralModel(hidden: Int = 64, generator: RandomGenerator = .global) -> Sequential {
  Sequential {
    Linear(2, hidden, generator: generator)
    Tanh()
    Linear(hidden, hidden, generator: generator)
    Tanh()
    Linear(hidden, 2, generator: generator)
  }
}

/// Trains `model` on `data` with Adam for `steps` steps, each on a mini-batch of `batchSize`
/// points from a loader that shuffles the points anew each epoch (the order drawn from
/// `generator`); calls `report(step, loss)` after each step and returns the loss of every step.
@discardableResult
func trainSpirals(
  _ model: Module, on data: TwoSpirals, steps: Int, batchSize: Int = 100,
  learningRate: Double = 1e-2, generator: RandomGenerator = .global,
  report: (Int, Double) -> Void = { _, _ in }
) -> [Double] {
  let optimizer = Adam(model.parameters(), learningRate: learningRate)
  let loader = DataLoader(
    TensorDataset(data.points, data.labels), batchSize: batchSize, shuffle: true,
    generator: generator)
  var losses: [Double] = []
  for (step, (points, labels)) in zip(1...steps, (0...).lazy.flatMap { _ in loader }) {
    let loss = crossEntropy(model(points), classIndices: labels)
    optimizer.zeroGradients()
    loss.backward()
    optimizer.step()
    losses.append(loss.item)
    report(step, losses.last!)
  }
  return losses
}

/// The fraction of `data`'s points whose predicted class is their label.
func accuracy(of model: Module, on data: TwoSpirals) -> Double {
  NablaTraining.accuracy(withoutGradients { model(data.points) }, labels: data.labels)
}
