/// The protocol-buffer wire types that TensorBoard's `Event` messages use.
enum WireType: UInt8 {
  case varint = 0
  case fixed64 = 1
  case lengthDelimited = 2
  case fixed32 = 5
}

/// Encodes protocol-buffer fields by hand: varints, fixed-width numbers and length-delimited
/// strings and messages, appended to `bytes` in the order written.
struct ProtobufWriter {
  /// The encoded message so far.
  private(set) var bytes: [UInt8] = []

  /// Appends `value` as a base-128 varint, low groups first.
  mutating func appendVarint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(rest & 0x7F) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }

  /// Appends a field's key: its number and wire type.
  mutating func appendKey(_ field: Int, _ type: WireType) {
    appendVarint(UInt64(field) << 3 | UInt64(type.rawValue))
  }

  /// Appends an `int64` field (negative values take ten bytes, as protobuf's two's complement).
  mutating func appendInt64(_ field: Int, _ value: Int64) {
    appendKey(field, .varint)
    appendVarint(UInt64(bitPattern: value))
  }

  /// Appends a `double` field, little-endian.
  mutating func appendDouble(_ field: Int, _ value: Double) {
    appendKey(field, .fixed64)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
  }

  /// Appends a `float` field, little-endian.
  mutating func appendFloat(_ field: Int, _ value: Float) {
    appendKey(field, .fixed32)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
  }

  /// Appends a length-delimited field: a string's UTF-8 or an embedded message.
  mutating func appendBytes(_ field: Int, _ value: some Collection<UInt8>) {
    appendKey(field, .lengthDelimited)
    appendVarint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }
}

/// A problem decoding a protocol-buffer message, with the byte offset inside the message.
struct ProtobufError: Error, CustomStringConvertible {
  /// What is wrong, with its offset.
  let description: String
}

/// Decodes protocol-buffer fields one at a time from a message's bytes, checking every length
/// against what is left, so that a corrupt message throws instead of reading past its end.
struct ProtobufReader {
  private let bytes: [UInt8]
  private(set) var offset = 0

  /// A reader of the message `bytes`.
  init(_ bytes: some Collection<UInt8>) { self.bytes = Array(bytes) }

  /// The next field's number and wire type, or nil at the end of the message.
  mutating func nextKey() throws -> (field: Int, type: WireType)? {
    guard offset < bytes.count else { return nil }
    let start = offset
    let key = try readVarint()
    guard let type = WireType(rawValue: UInt8(key & 7)) else {
      throw ProtobufError(description: "byte \(start): unsupported wire type \(key & 7)")
    }
    guard key >> 3 > 0, key >> 3 <= UInt64(Int32.max) else {
      throw ProtobufError(description: "byte \(start): invalid field number \(key >> 3)")
    }
    return (Int(key >> 3), type)
  }

  /// Reads a base-128 varint of at most ten bytes.
  mutating func readVarint() throws -> UInt64 {
    var value: UInt64 = 0
    for shift in stride(from: 0, to: 70, by: 7) {
      guard offset < bytes.count else {
        throw ProtobufError(description: "byte \(offset): the message ends inside a varint")
      }
      let byte = bytes[offset]
      offset += 1
      value |= UInt64(byte & 0x7F) << UInt64(shift)
      if byte < 0x80 { return value }
    }
    throw ProtobufError(description: "byte \(offset): a varint longer than ten bytes")
  }

  /// Reads `count` raw bytes.
  mutating func readRaw(_ count: Int) throws -> ArraySlice<UInt8> {
    guard count >= 0, count <= bytes.count - offset else {
      throw ProtobufError(
        description: "byte \(offset): a field of \(count) bytes but \(bytes.count - offset) left")
    }
    defer { offset += count }
    return bytes[offset..<offset + count]
  }

  /// Reads a little-endian fixed-width number of `width` bytes.
  mutating func readFixed(_ width: Int) throws -> UInt64 {
    try readRaw(width).reversed().reduce(0) { $0 << 8 | UInt64($1) }
  }

  /// Reads a length-delimited field's contents.
  mutating func readLengthDelimited() throws -> ArraySlice<UInt8> {
    let length = try readVarint()
    guard length <= UInt64(Int.max) else {
      throw ProtobufError(description: "byte \(offset): length \(length) is too large")
    }
    return try readRaw(Int(length))
  }

  /// Skips a field of wire type `type` whose key has just been read.
  mutating func skip(_ type: WireType) throws {
    switch type {
    case .varint: _ = try readVarint()
    case .fixed64: _ = try readRaw(8)
    case .lengthDelimited: _ = try readLengthDelimited()
    case .fixed32: _ = try readRaw(4)
    }
  }
}
