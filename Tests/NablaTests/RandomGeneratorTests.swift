import Testing

@testable import Nabla

/// `RandomGenerator` as a Swift `RandomNumberGenerator`, and the bounded draws and permutations
/// that data loaders shuffle with.
@Suite struct RandomGeneratorTests {
  @Test func drivesTheStandardLibraryDeterministically() {
    var first = RandomGenerator(seed: 42)
    var second = RandomGenerator(seed: 42)
    let items = Array(0..<50)
    let shuffled = items.shuffled(using: &first)
    #expect(shuffled == items.shuffled(using: &second))
    #expect(shuffled.sorted() == items)
    #expect(shuffled != items)
    let draws = (0..<20).map { _ in Int.random(in: 0..<1000, using: &first) }
    #expect(draws == (0..<20).map { _ in Int.random(in: 0..<1000, using: &second) })
    var other = RandomGenerator(seed: 43)
    #expect(items.shuffled(using: &other) != items.shuffled(using: &first))
  }

  @Test func aCopyOfTheReferenceMovesTheSameStream() {
    func draw(_ generator: inout some RandomNumberGenerator) -> UInt64 { generator.next() }
    let reference = RandomGenerator(seed: 5)
    let (first, second) = (reference.next(), reference.next())
    let generator = RandomGenerator(seed: 5)
    var copy = generator
    #expect(draw(&copy) == first)
    #expect(generator.next() == second)
  }

  @Test func nextIntIsTheHighHalfOfTheProduct() {
    // MT19937 seeded with 0 starts 2357136044, 2546248239 (as PyTorch's and C++'s std::mt19937).
    let draw = UInt64(2_357_136_044) << 32 | 2_546_248_239
    #expect(RandomGenerator(seed: 0).next() == draw)
    #expect(RandomGenerator(seed: 0).nextInt(below: 10) == 5)  // 0.5488... * 10
    #expect(RandomGenerator(seed: 0).nextInt(below: 1) == 0)
    let bound = 1_000_003
    #expect(
      RandomGenerator(seed: 0).nextInt(below: bound)
        == Int(UInt64(bound).multipliedFullWidth(by: draw).high))
    let generator = RandomGenerator(seed: 9)
    let counts = (0..<3000).reduce(into: [0, 0, 0]) { counts, _ in
      counts[generator.nextInt(below: 3)] += 1
    }
    #expect(counts.allSatisfy { $0 > 900 && $0 < 1100 })
  }

  @Test func permutationIsFisherYatesOverNextInt() {
    let order = RandomGenerator(seed: 3).permutation(count: 6)
    // The same algorithm written out: swap i with a draw below i + 1, from the end.
    let generator = RandomGenerator(seed: 3)
    var expected = Array(0..<6)
    for i in (1..<6).reversed() { expected.swapAt(i, generator.nextInt(below: i + 1)) }
    #expect(order == expected)
    #expect(order.sorted() == Array(0..<6))
    #expect(RandomGenerator(seed: 3).permutation(count: 0) == [])
    #expect(RandomGenerator(seed: 3).permutation(count: 1) == [0])
    let big = RandomGenerator(seed: 3).permutation(count: 100)
    #expect(big.sorted() == Array(0..<100) && big != Array(0..<100))
    #expect(big != RandomGenerator(seed: 4).permutation(count: 100))
  }
}
