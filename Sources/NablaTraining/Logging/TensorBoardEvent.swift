/// One record of a TensorBoard event file: the protocol buffer `Event` with the fields a
/// scalar log uses (`wall_time` = 1, `step` = 2, `file_version` = 3, `summary` = 5), its
/// `Summary` holding `Value`s of `tag` = 1 and `simple_value` = 2.
struct TensorBoardEvent: Equatable {
  /// One scalar of the event's summary.
  struct Scalar: Equatable {
    /// The series' name.
    var tag: String
    /// Its value (TensorBoard stores scalars as 32-bit floats).
    var value: Float
  }

  /// Seconds since the Unix epoch when the event was written.
  var wallTime: Double
  /// The training step.
  var step: Int64
  /// The file format's version, `brain.Event:2`, set on a file's first event only.
  var fileVersion: String?
  /// The summary's scalars; values of other kinds (images, histograms, tensors) are skipped.
  var scalars: [Scalar] = []

  /// The event encoded as a protocol buffer.
  var encoded: [UInt8] {
    var event = ProtobufWriter()
    event.appendDouble(1, wallTime)
    event.appendInt64(2, step)
    if let fileVersion { event.appendBytes(3, Array(fileVersion.utf8)) }
    if !scalars.isEmpty {
      var summary = ProtobufWriter()
      for scalar in scalars {
        var value = ProtobufWriter()
        value.appendBytes(1, Array(scalar.tag.utf8))
        value.appendFloat(2, scalar.value)
        summary.appendBytes(1, value.bytes)
      }
      event.appendBytes(5, summary.bytes)
    }
    return event.bytes
  }

  /// Decodes an `Event`, skipping the fields it does not keep.
  init(decoding bytes: some Collection<UInt8>) throws {
    var reader = ProtobufReader(bytes)
    (wallTime, step) = (0, 0)
    while let (field, type) = try reader.nextKey() {
      switch (field, type) {
      case (1, .fixed64): wallTime = Double(bitPattern: try reader.readFixed(8))
      case (2, .varint): step = Int64(bitPattern: try reader.readVarint())
      case (3, .lengthDelimited):
        fileVersion = String(decoding: try reader.readLengthDelimited(), as: UTF8.self)
      case (5, .lengthDelimited): scalars += try Self.scalars(in: try reader.readLengthDelimited())
      default: try reader.skip(type)
      }
    }
  }

  /// Creates an event from its fields.
  init(wallTime: Double, step: Int64, fileVersion: String? = nil, scalars: [Scalar] = []) {
    self.wallTime = wallTime
    self.step = step
    self.fileVersion = fileVersion
    self.scalars = scalars
  }

  /// The `simple_value`s of a `Summary` message.
  private static func scalars(in summary: ArraySlice<UInt8>) throws -> [Scalar] {
    var reader = ProtobufReader(summary)
    var scalars: [Scalar] = []
    while let (field, type) = try reader.nextKey() {
      guard field == 1, type == .lengthDelimited else {
        try reader.skip(type)
        continue
      }
      var value = ProtobufReader(try reader.readLengthDelimited())
      var (tag, number): (String, Float?) = ("", nil)
      while let (field, type) = try value.nextKey() {
        switch (field, type) {
        case (1, .lengthDelimited):
          tag = String(decoding: try value.readLengthDelimited(), as: UTF8.self)
        case (2, .fixed32): number = Float(bitPattern: UInt32(try value.readFixed(4)))
        default: try value.skip(type)
        }
      }
      if let number { scalars.append(Scalar(tag: tag, value: number)) }
    }
    return scalars
  }
}

/// The record framing of TensorBoard event files (TFRecord): each record is its length as a
/// little-endian `UInt64`, the masked CRC-32C of those 8 bytes, the data, and the masked
/// CRC-32C of the data.
enum EventRecord {
  /// `data` framed as one record.
  static func framed(_ data: [UInt8]) -> [UInt8] {
    var record: [UInt8] = []
    record.reserveCapacity(data.count + 16)
    let length = littleEndianBytes(UInt64(data.count))
    record += length
    record += littleEndianBytes(CRC32C.masked(length))
    record += data
    record += littleEndianBytes(CRC32C.masked(data))
    return record
  }

  /// The bytes of `value`, least significant first.
  static func littleEndianBytes<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
    (0..<Value.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
  }

  /// The data of each record in `bytes`, both checksums verified.
  ///
  /// - Throws: A `ProtobufError` naming the byte offset of a truncated record or a checksum that
  ///   does not match.
  static func records(in bytes: [UInt8]) throws -> [ArraySlice<UInt8>] {
    var records: [ArraySlice<UInt8>] = []
    var offset = 0
    func number(_ width: Int, at position: Int) -> UInt64 {
      bytes[position..<position + width].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    while offset < bytes.count {
      guard bytes.count - offset >= 12 else {
        throw ProtobufError(description: "byte \(offset): a record header is cut short")
      }
      let length = number(8, at: offset)
      guard UInt32(number(4, at: offset + 8)) == CRC32C.masked(bytes[offset..<offset + 8]) else {
        throw ProtobufError(description: "byte \(offset): the length's checksum does not match")
      }
      let available = bytes.count - offset - 16
      guard available >= 0, length <= UInt64(available) else {
        throw ProtobufError(description: "byte \(offset): a record of \(length) bytes is cut short")
      }
      let data = bytes[(offset + 12)..<(offset + 12 + Int(length))]
      guard UInt32(number(4, at: data.endIndex)) == CRC32C.masked(data) else {
        throw ProtobufError(description: "byte \(offset): the data's checksum does not match")
      }
      records.append(data)
      offset = data.endIndex + 4
    }
    return records
  }
}
