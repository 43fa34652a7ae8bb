import Foundation
import NablaDistributed
import NablaNN
import NablaOptimizers
import NablaTraining

/// The MLP of the paper: 40 → 100 → 100 → 10 with ReLU and a residual connection in the middle.
final class MLP: Module, @unchecked Sendable {
  let input: Linear
  let hidden: Linear
  let output: Linear

  /// Creates the model with PyTorch's initialization, drawn from `generator`.
  init(generator: RandomGenerator = .global) {
    input = Linear(40, 100, generator: generator)
    hidden = Linear(100, 100, generator: generator)
    output = Linear(100, 10, generator: generator)
  }

  /// The logits [n, 10] of signals [n, 40].
  override func callAsFunction(_ x: Tensor) -> Tensor {
    let h = input(x).relu()
    return output(h + hidden(h).relu())
  }
}

/// The GRU of the paper: a bidirectional GRU with 6 hidden units reads the 40 samples one at a
/// time, and a linear layer maps all of its outputs (40 steps × 2 directions × 6) to 10 logits.
final class GRUClassifier: Module, @unchecked Sendable {
  let gru: GRU
  let output: Linear

  /// Creates the model with PyTorch's initialization, drawn from `generator`.
  init(generator: RandomGenerator = .global) {
    gru = GRU(
      inputSize: 1, hiddenSize: 6, batchFirst: true, bidirectional: true, generator: generator)
    output = Linear(2 * 6 * 40, 10, generator: generator)
  }

  /// The logits [n, 10] of signals [n, 40].
  override func callAsFunction(_ x: Tensor) -> Tensor {
    let n = x.shape[0]
    let states = gru(x.reshaped([n, x.shape[1], 1]))  // [n, 40, 12]
    return output(states.reshaped([n, -1]))
  }
}

/// The CNN of the paper: three 1-D convolutions (1 → 25 channels, kernels 5, 3, 3, stride 2,
/// padding 1) with ReLU take the 40 samples to 25 channels of length 5, and a linear layer maps
/// those 125 features to 10 logits.
final class CNN: Module, @unchecked Sendable {
  let conv1: Conv1D
  let conv2: Conv1D
  let conv3: Conv1D
  let output: Linear

  /// Creates the model with PyTorch's initialization, drawn from `generator`.
  init(generator: RandomGenerator = .global) {
    conv1 = Conv1D(1, 25, kernelSize: 5, stride: 2, padding: 1, generator: generator)
    conv2 = Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1, generator: generator)
    conv3 = Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1, generator: generator)
    output = Linear(125, 10, generator: generator)
  }

  /// The logits [n, 10] of signals [n, 40].
  override func callAsFunction(_ x: Tensor) -> Tensor {
    let n = x.shape[0]
    let h1 = conv1(x.reshaped([n, 1, x.shape[1]])).relu()  // [n, 25, 19]
    let h3 = conv3(conv2(h1).relu()).relu()  // [n, 25, 5]
    return output(h3.reshaped([n, -1]))
  }
}

/// The model called `name` on the command line, or nil for an unknown name.
func makeModel(_ name: String, generator: RandomGenerator = .global) -> Module? {
  switch name {
  case "logistic": return Linear(40, 10, generator: generator)
  case "mlp": return MLP(generator: generator)
  case "cnn": return CNN(generator: generator)
  case "gru": return GRUClassifier(generator: generator)
  default: return nil
  }
}

/// The MNIST-1D arrays: 4000 training and 1000 test signals of 40 samples, with their labels.
struct MNIST1D {
  var trainX: Tensor
  var trainY: Tensor
  var testX: Tensor
  var testY: Tensor

  /// Reads `x_train.npy`, `y_train.npy`, `x_test.npy` and `y_test.npy` from `directory`.
  init(directory: URL) throws {
    func load(_ name: String) throws -> Tensor {
      try Tensor(numpyFile: directory.appendingPathComponent("\(name).npy"))
    }
    (trainX, trainY, testX, testY) = (
      try load("x_train"), try load("y_train"), try load("x_test"), try load("y_test")
    )
  }

  /// The paper's schedule of training batches from batch `step` on, epoch after epoch: a loader
  /// over the training rows in order, 100 at a time, so batch i holds the rows
  /// (100·i mod 4000) ..< +100.
  ///
  /// Prefetching is off: each batch is one contiguous copy, cheaper than a hand-off between
  /// threads.
  func batches(from step: Int, size: Int = 100) -> some Sequence<(Tensor, Tensor)> {
    let loader = DataLoader(TensorDataset(trainX, trainY), batchSize: size, prefetch: 0)
    return (0...).lazy.flatMap { _ in loader }.dropFirst(step % loader.count)
  }

  /// The percentage of test signals `model` classifies right.
  func testAccuracy(of model: Module) -> Double {
    100 * NablaTraining.accuracy(withoutGradients { model(testX) }, labels: testY)
  }
}

/// One Adam step of cross-entropy on a batch of signals and labels; returns the loss.
@discardableResult
func trainStep(_ model: Module, _ optimizer: Optimizer, _ batch: (Tensor, Tensor)) -> Double {
  let (x, y) = batch
  let loss = crossEntropy(model(x), classIndices: y)
  optimizer.zeroGradients()
  loss.backward()
  optimizer.step()
  return loss.item
}

/// One data-parallel Adam step: this process's share of the batch (NumPy's `array_split` of the
/// rows), its loss weighted by its share so that the averaged gradients are those of the whole
/// batch's mean loss. Returns the whole batch's loss.
@discardableResult
func shardedStep(
  _ model: Module, _ optimizer: Optimizer, _ batch: (Tensor, Tensor), _ world: ProcessGroup
) -> Double {
  let (x, y) = batch
  let rows = x.shape[0]
  let counts = (0..<world.size).map { rows / world.size + ($0 < rows % world.size ? 1 : 0) }
  let start = counts[..<world.rank].reduce(0, +)
  let share = Double(counts[world.rank] * world.size) / Double(rows)
  let loss =
    crossEntropy(
      model(x.narrowed(alongAxis: 0, start: start, length: counts[world.rank])),
      classIndices: y.narrowed(alongAxis: 0, start: start, length: counts[world.rank])) * share
  optimizer.zeroGradients()
  loss.backward()
  optimizer.step()
  return world.allReduce(loss.detached(), .mean).item
}
