import Foundation

/// A seedable source of random numbers (xoshiro256**), so that one seed fixes initial weights,
/// dropout masks and shuffles.
///
/// Pass one explicitly for a stream of your own, or use the global one that `manualSeed(_:)`
/// resets. A generator is safe to share between threads.
///
/// ```swift
/// let generator = RandomGenerator(seed: 7)
/// let noise = Tensor.randomNormal([4, 4], generator: generator)
/// ```
public final class RandomGenerator: @unchecked Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
  private let lock = NSLock()

  /// The generator used when no other is given; `manualSeed(_:)` reseeds it.
  public static let global = RandomGenerator(seed: 0)

  /// Creates a generator whose stream is fixed by `seed`.
  public init(seed: UInt64) { reseed(seed) }

  /// Restarts the stream from `seed`.
  public func reseed(_ seed: UInt64) {
    lock.lock()
    defer { lock.unlock() }
    var mixer = seed
    func splitMix() -> UInt64 {
      mixer &+= 0x9E37_79B9_7F4A_7C15
      var z = mixer
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  private func nextUnlocked() -> UInt64 {
    let result = rotate(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotate(state.3, 45)
    return result
  }

  private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// The next 64 random bits.
  public func next() -> UInt64 {
    lock.lock()
    defer { lock.unlock() }
    return nextUnlocked()
  }

  /// `count` numbers uniform in [0, 1), each with 53 random bits.
  public func uniformDoubles(_ count: Int) -> [Double] {
    lock.lock()
    defer { lock.unlock() }
    return (0..<count).map { _ in Double(nextUnlocked() >> 11) * 0x1p-53 }
  }

  /// `count` numbers from the standard normal distribution (Box-Muller).
  public func normalDoubles(_ count: Int) -> [Double] {
    let uniforms = uniformDoubles(count + count % 2)
    var result = [Double]()
    result.reserveCapacity(uniforms.count)
    for pair in stride(from: 0, to: uniforms.count, by: 2) {
      let radius = (-2 * Foundation.log(1 - uniforms[pair])).squareRoot()
      let angle = 2 * Double.pi * uniforms[pair + 1]
      result.append(radius * Foundation.cos(angle))
      result.append(radius * Foundation.sin(angle))
    }
    return Array(result.prefix(count))
  }
}

/// Reseeds the global random generator, as `torch.manual_seed` does: the same seed gives the same
/// initial weights, dropout masks and shuffles.
public func manualSeed(_ seed: UInt64) {
  RandomGenerator.global.reseed(seed)
}
