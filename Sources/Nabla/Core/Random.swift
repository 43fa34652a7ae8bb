import Foundation

/// A seedable source of random numbers: the 32-bit Mersenne Twister (MT19937) that PyTorch's
/// CPU generator uses, seeded the same way, so that one seed fixes initial weights, dropout masks
/// and shuffles. Uniform draws match PyTorch's: with the same seed, `Tensor.randomUniform` gives
/// what `uniform_` gives, and so do the linear, convolution and recurrent layers' default
/// initializations. Normal draws (Box-Muller) are Nabla's own.
///
/// Pass one explicitly for a stream of your own, or use the global one that `manualSeed(_:)`
/// resets. A generator is safe to share between threads.
///
/// ```swift
/// let generator = RandomGenerator(seed: 7)
/// let noise = Tensor.randomNormal([4, 4], generator: generator)
/// ```
///
/// It is a Swift `RandomNumberGenerator`, so the standard library's random APIs can draw from
/// it. They take the generator `inout`; as it is a class, a `var` copy of the reference will do,
/// and drawing through the copy moves the one stream on:
///
/// ```swift
/// var g = generator
/// let order = names.shuffled(using: &g)
/// let pick = Int.random(in: 0..<10, using: &g)
/// ```
///
/// For one seed these give the same results on every platform, but the algorithms behind them
/// (`shuffled(using:)`, `random(in:using:)`) belong to the standard library and could change
/// between Swift versions. `nextInt(below:)` and `permutation(count:)` are Nabla's own, with the
/// algorithms documented, and stay fixed: data loaders shuffle with them.
public final class RandomGenerator: RandomNumberGenerator, @unchecked Sendable {
  private static let stateSize = 624
  private var state = [UInt32](repeating: 0, count: RandomGenerator.stateSize)
  private var position = RandomGenerator.stateSize
  private let lock = NSLock()

  /// The generator used when no other is given; `manualSeed(_:)` reseeds it.
  public static let global = RandomGenerator(seed: 0)

  /// Creates a generator whose stream is fixed by `seed`.
  public init(seed: UInt64) { reseed(seed) }

  /// The generator's place in its stream, to come back to (see `Recomputation`).
  func place() -> (state: [UInt32], position: Int) {
    lock.lock()
    defer { lock.unlock() }
    return (state, position)
  }

  /// Goes back to a place `place()` returned.
  func move(to place: (state: [UInt32], position: Int)) {
    lock.lock()
    defer { lock.unlock() }
    (state, position) = place
  }

  /// Restarts the stream from `seed` (its low 32 bits, as PyTorch's CPU generator takes them).
  public func reseed(_ seed: UInt64) {
    lock.lock()
    defer { lock.unlock() }
    state[0] = UInt32(truncatingIfNeeded: seed)
    for i in 1..<Self.stateSize {
      let previous = state[i - 1]
      state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
    }
    position = Self.stateSize
  }

  /// The next 32 random bits.
  private func next32Unlocked() -> UInt32 {
    if position == Self.stateSize { refill() }
    var y = state[position]
    position += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C_5680
    y ^= (y << 15) & 0xEFC6_0000
    return y ^ (y >> 18)
  }

  /// Moves the whole state on at once (the twist), in place; indices wrap around the end.
  private func refill() {
    let n = Self.stateSize
    state.withUnsafeMutableBufferPointer { mt in
      for i in 0..<n {
        let bits = (mt[i] & 0x8000_0000) | (mt[i + 1 < n ? i + 1 : 0] & 0x7FFF_FFFF)
        let far = i + 397 < n ? i + 397 : i + 397 - n
        mt[i] = mt[far] ^ (bits >> 1) ^ (bits & 1 == 0 ? 0 : 0x9908_B0DF)
      }
    }
    position = 0
  }

  /// 64 random bits from two draws, the first giving the high half (as PyTorch's `random64`).
  private func nextUnlocked() -> UInt64 {
    let high = UInt64(next32Unlocked())
    return high << 32 | UInt64(next32Unlocked())
  }

  /// The next 64 random bits (two 32-bit draws, the first giving the high half).
  ///
  /// This is the requirement of `RandomNumberGenerator` that Swift's random APIs draw from.
  public func next() -> UInt64 {
    lock.lock()
    Recomputation.current?.note(self, state, position)
    defer { lock.unlock() }
    return nextUnlocked()
  }

  /// A number uniform in `0..<bound`, without bias.
  ///
  /// The algorithm is fixed (Lemire's multiply-and-reject): `bound` times a 64-bit draw, as a
  /// 128-bit product; the high half is the result, unless the low half falls below
  /// `2^64 mod bound`, in which case the draw is made again. Most calls take one draw.
  ///
  /// - Parameter bound: The number of possible results; must be positive.
  public func nextInt(below bound: Int) -> Int {
    require(bound > 0, "nextInt(below:): bound \(bound) must be positive")
    lock.lock()
    Recomputation.current?.note(self, state, position)
    defer { lock.unlock() }
    return nextIntUnlocked(below: bound)
  }

  /// `nextInt(below:)` for a caller that holds the lock.
  private func nextIntUnlocked(below bound: Int) -> Int {
    let bound = UInt64(bound)
    var product = bound.multipliedFullWidth(by: nextUnlocked())
    if product.low < bound {
      let threshold = (0 &- bound) % bound
      while product.low < threshold { product = bound.multipliedFullWidth(by: nextUnlocked()) }
    }
    return Int(product.high)
  }

  /// A random ordering of `0..<count`, the same for one seed on every platform and Swift version.
  ///
  /// The algorithm is fixed (Fisher-Yates): starting from `[0, 1, ..., count - 1]`, for `i` from
  /// `count - 1` down to 1, element `i` is swapped with element `nextInt(below: i + 1)`. The
  /// result is not the one `torch.randperm` gives for the same seed.
  ///
  /// ```swift
  /// let order = RandomGenerator(seed: 1).permutation(count: 5)  // 0...4 in some order
  /// ```
  ///
  /// - Parameter count: How many indices to order; must not be negative.
  public func permutation(count: Int) -> [Int] {
    require(count >= 0, "permutation(count:): count \(count) must not be negative")
    lock.lock()
    Recomputation.current?.note(self, state, position)
    defer { lock.unlock() }
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(i, nextIntUnlocked(below: i + 1))
    }
    return order
  }

  /// `count` numbers uniform in [0, 1), each with 53 random bits (the low 53 of 64, as PyTorch
  /// draws doubles).
  public func uniformDoubles(_ count: Int) -> [Double] {
    lock.lock()
    Recomputation.current?.note(self, state, position)
    defer { lock.unlock() }
    return (0..<count).map { _ in Double(nextUnlocked() & ((1 << 53) - 1)) * 0x1p-53 }
  }

  /// `count` numbers uniform in [0, 1), each with 24 random bits from one 32-bit draw (the
  /// precision of a float, as PyTorch draws floats).
  public func uniformSingles(_ count: Int) -> [Double] {
    lock.lock()
    Recomputation.current?.note(self, state, position)
    defer { lock.unlock() }
    return (0..<count).map { _ in Double(next32Unlocked() & 0xFF_FFFF) * 0x1p-24 }
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
