import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// `checkpointed { }` recomputes its body in backward: the same values and gradients as the plain
/// run, bit for bit (dropout included), random streams left where the plain run leaves them, and
/// less memory at the peak.
@Suite struct CheckpointingTests {
  /// Two blocks of Linear, GELU and dropout drawing from `generator`, then a head.
  static func model(_ generator: RandomGenerator) -> (Sequential, Sequential, Linear) {
    func block(_ seed: UInt64) -> Sequential {
      Sequential {
        Linear(6, 6, dtype: .float64, generator: RandomGenerator(seed: seed))
        GELU()
        Dropout(probability: 0.3, generator: generator)
      }
    }
    return (block(1), block(2), Linear(6, 1, dtype: .float64, generator: RandomGenerator(seed: 3)))
  }

  /// The loss, the gradients of every parameter and of the input, and the next draw of the
  /// dropout generator after backward, with the blocks checkpointed or not.
  static func run(checkpointing: Bool) -> [[Double]] {
    let generator = RandomGenerator(seed: 11)
    let (first, second, head) = model(generator)
    let x = Tensor.randomNormal([4, 6], dtype: .float64, generator: RandomGenerator(seed: 5))
      .requiringGrad()
    let hidden =
      checkpointing
      ? checkpointed { second(checkpointed { first(x) }) } : second(first(x))
    let loss = (head(hidden) * head(hidden)).mean()
    loss.backward()
    let parameters = [first, second, head].flatMap { $0.parameters() }
    return [loss.scalars, x.grad!.scalars] + parameters.map { $0.grad!.scalars }
      + [generator.uniformDoubles(3)]
  }

  @Test func gradientsAndRandomStreamsAreThoseOfThePlainRun() {
    let plain = Self.run(checkpointing: false)
    let recomputed = Self.run(checkpointing: true)
    #expect(plain.count == 9)
    #expect(recomputed == plain)
  }

  @Test func withoutGradientsTheBodyJustRuns() {
    let x = Tensor([1, 2], dtype: .float64)
    #expect(withoutGradients { checkpointed { x * 3 } }.scalars == [3, 6])
    let y = checkpointed { x * 3 }  // nothing requires gradients
    #expect(y.scalars == [3, 6] && !y.requiresGrad)
  }

  @Test func gradientsMatchCentralDifferences() {
    let w = Tensor.randomNormal([3, 3], dtype: .float64, generator: RandomGenerator(seed: 8))
    let x = Tensor.randomNormal([2, 3], dtype: .float64, generator: RandomGenerator(seed: 9))
    expectGradients([x, w]) { inputs in
      let (x, w) = (inputs[0], inputs[1])
      let inner = checkpointed { x.matmul(w).tanh().matmul(w) }
      return (inner * x).sum() + checkpointed { inner.exp() }.sum()
    }
  }

  /// A 16-layer MLP with the layers checkpointed in groups of four keeps about a quarter of the
  /// activations at the peak of forward and backward. Measured in a process of its own, so that
  /// no other test's tensors count.
  @Test func thePeakMemoryFalls() async {
    await #expect(processExitsWith: .success) {
      func peak(checkpointing: Bool) -> Int {
        let layers = (0..<16).map { _ in
          Sequential {
            Linear(256, 256)
            ReLU()
          }
        }
        let x = Tensor.randomNormal([2048, 256])
        BufferCache.resetPeak()
        let start = BufferCache.bytesInUse
        var h = x
        for group in stride(from: 0, to: 16, by: 4) {
          let block = Sequential(Array(layers[group..<group + 4]))
          h = checkpointing ? checkpointed { [h] in block(h) } : block(h)
        }
        h.sum().backward()
        return BufferCache.peakBytesInUse - start
      }
      let plain = peak(checkpointing: false)
      let recomputed = peak(checkpointing: true)
      print("peak bytes: plain \(plain), checkpointed \(recomputed)")
      exit(recomputed * 2 < plain ? 0 : 1)
    }
  }
}
