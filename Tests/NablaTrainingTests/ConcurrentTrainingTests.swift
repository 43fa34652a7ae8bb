import Foundation
import NablaOptimizers
import NablaTraining
import Testing

/// Two models trained at the same time on two threads, each from a prefetching loader, end as
/// each does trained alone: the kernels' thread pool, the buffer cache and the per-thread
/// recording state are shared safely. `scripts/thread-sanitizer.sh` runs this suite under
/// ThreadSanitizer.
@Suite struct ConcurrentTrainingTests {
  /// Trains a small MLP for a few steps from `seed` and returns its parameters' values.
  static func train(seed: UInt64) -> [[Double]] {
    let generator = RandomGenerator(seed: seed)
    let inputs = Tensor(generator.normalDoubles(64 * 8), shape: [64, 8], dtype: .float32)
    let labels = Tensor(indices: (0..<64).map { _ in generator.nextInt(below: 3) })
    let model = Sequential([
      Linear(8, 32, generator: generator), ReLU(), Linear(32, 3, generator: generator),
    ])
    let optimizer = Adam(model.parameters(), learningRate: 1e-2)
    let loader = DataLoader(
      TensorDataset(inputs, labels), batchSize: 16, shuffle: true, generator: generator,
      prefetch: 2)
    for _ in 0..<3 {
      for (x, y) in loader {
        optimizer.zeroGradients()
        crossEntropy(model(x), classIndices: y).backward()
        optimizer.step()
      }
    }
    return model.parameters().map(\.value.scalars)
  }

  @Test func twoModelsTrainedAtOnceEndAsTrainedAlone() {
    let alone = [Self.train(seed: 1), Self.train(seed: 2)]
    let results = Results()
    DispatchQueue.concurrentPerform(iterations: 2) { index in
      results.set(index, Self.train(seed: UInt64(index + 1)))
    }
    #expect(results.values == alone)
  }
}

/// What the threads of the concurrent test return, behind a lock.
private final class Results: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [Int: [[Double]]] = [:]

  func set(_ index: Int, _ value: [[Double]]) { lock.withLock { stored[index] = value } }
  var values: [[[Double]]] { lock.withLock { [stored[0] ?? [], stored[1] ?? []] } }
}
