// What the fuzz tests of the file readers share: a reproducible generator and mutations of
// valid files.

/// A small deterministic generator (SplitMix64), so a failure can be reproduced.
public struct FuzzGenerator {
  public var state: UInt64

  /// A generator that starts from `state`.
  public init(state: UInt64) { self.state = state }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A number in `0..<bound` (`bound` > 0).
  public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

  /// One of `options` (not empty).
  public mutating func pick<Element>(_ options: [Element]) -> Element {
    options[below(options.count)]
  }

  /// `count` random bytes.
  public mutating func bytes(_ count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
  }

  /// Bytes that mean something to the formats read: JSON punctuation, digits, UTF-8 leads.
  public static let interestingBytes: [UInt8] =
    Array("{}[](),:\"' -0123456789eE.LTrueFalse\\u".utf8) + [0, 0x80, 0xFF, 0x0A, 0xC3, 0xED]

  /// Integers that break careless arithmetic.
  public static let interestingIntegers: [String] = [
    "0", "1", "-1", "2", "7", "8", "16", "255", "65535", "4294967295", "4294967296",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "18446744073709551615", "18446744073709551616", "1e3", "2.5", "true", "null", "\"4\"",
  ]
}

/// `seed` changed in one to three random ways: bits flipped, bytes replaced, truncated or
/// extended, a lying length written into `lengthField`, ranges deleted or repeated, numbers
/// (as digits) changed.
public func mutated(
  _ seed: [UInt8], _ random: inout FuzzGenerator, lengthField: Range<Int>
) -> [UInt8] {
  var bytes = seed
  for _ in 0...random.below(3) {
    switch random.below(9) {
    case 0:  // flip bits
      guard !bytes.isEmpty else { continue }
      for _ in 0...random.below(8) {
        bytes[random.below(bytes.count)] ^= 1 << UInt8(random.below(8))
      }
    case 1:  // an interesting byte
      guard !bytes.isEmpty else { continue }
      bytes[random.below(bytes.count)] = random.pick(FuzzGenerator.interestingBytes)
    case 2:  // truncate
      bytes = Array(bytes.prefix(random.below(bytes.count + 1)))
    case 3:  // append
      bytes += random.bytes(random.below(64))
    case 4:  // a lying length field
      guard bytes.count >= lengthField.upperBound else { continue }
      let value: UInt64 = random.pick([
        0, 1, 2, 7, UInt64(bytes.count), UInt64(max(0, bytes.count - lengthField.upperBound)),
        UInt64(max(0, bytes.count - lengthField.upperBound - 1)), UInt64.max, 1 << 32, 1 << 63,
        random.next(), UInt64(random.below(1 << 16)),
      ])
      for (offset, index) in lengthField.enumerated() {
        bytes[index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(offset)))
      }
    case 5:  // delete a range
      guard !bytes.isEmpty else { continue }
      let start = random.below(bytes.count)
      bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.below(16)))
    case 6:  // duplicate a range
      guard !bytes.isEmpty else { continue }
      let start = random.below(bytes.count)
      let range = start..<min(bytes.count, start + 1 + random.below(16))
      bytes.insert(contentsOf: bytes[range], at: random.below(bytes.count + 1))
    case 7:  // change a digit (shapes, offsets, lengths)
      let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
      guard !digits.isEmpty else { continue }
      bytes[random.pick(digits)] = UInt8(0x30 + random.below(10))
    default:  // replace a number by an interesting one
      let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
      guard let start = digits.isEmpty ? nil : random.pick(digits) else { continue }
      var end = start
      while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
      bytes.replaceSubrange(
        start..<end, with: Array(random.pick(FuzzGenerator.interestingIntegers).utf8))
    }
  }
  return bytes
}
