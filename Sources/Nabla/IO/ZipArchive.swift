// A reader of zip archives as `torch.save` writes them: entries stored without compression, the
// central directory at the end, zip64 records when the archive is large. Nothing is read until
// asked for, and every offset and length is checked against the file before it is used.

/// One file inside a zip archive.
struct ZipEntry {
  /// The entry's path inside the archive.
  let name: String
  /// The compression method (0 is stored, 8 deflate).
  let method: Int
  /// The general-purpose flags (bit 0: encrypted).
  let flags: Int
  /// The CRC-32 of the uncompressed bytes.
  let checksum: UInt32
  /// The size of the stored bytes.
  let compressedSize: Int
  /// The size of the entry's contents.
  let size: Int
  /// Where the entry's local header starts.
  let headerOffset: Int
}

/// The entries of a zip archive, read from its central directory.
struct ZipArchive {
  let reader: FileReader
  /// The entries, in the order of the central directory.
  let entries: [ZipEntry]

  /// The largest number of entries an archive may list.
  static let maximumEntryCount = 1 << 20

  /// Whether the file starts as a zip archive does (a local file header).
  static func looksLikeZip(_ reader: FileReader) -> Bool {
    guard reader.byteCount >= 4, let magic = try? reader.bytes(4, at: 0, for: "the magic number")
    else { return false }
    return magic == [0x50, 0x4B, 0x03, 0x04]
  }

  /// Reads the central directory of the archive `reader` opened.
  init(reading reader: FileReader) throws {
    self.reader = reader
    let (count, directorySize, directoryOffset) = try Self.directoryLocation(reader)
    guard count <= Self.maximumEntryCount else {
      throw reader.error(
        "zip archive lists \(count) entries, more than the \(Self.maximumEntryCount) read")
    }
    try reader.checkRange(directorySize, at: directoryOffset, for: "the zip central directory")
    let directory = try reader.bytes(
      directorySize, at: directoryOffset, for: "the zip central directory")
    var entries: [ZipEntry] = []
    var position = 0
    for index in 0..<count {
      let at = directoryOffset + position
      let fields = ZipFields(directory, position)
      guard fields.has(46), fields.u32(0) == 0x0201_4B50 else {
        throw reader.error(
          "zip central directory entry \(index) at byte \(at) is not a directory record")
      }
      let (nameLength, extraLength, commentLength) = (
        fields.u16(28), fields.u16(30), fields.u16(32)
      )
      guard fields.has(46 + nameLength + extraLength + commentLength) else {
        throw reader.error(
          "zip central directory entry \(index) at byte \(at) runs past the directory")
      }
      let name = String(
        decoding: directory[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
      // Sizes and offsets that do not fit 32 bits are 0xFFFFFFFF, their values in the zip64
      // extra field, in this order: size, compressed size, local header offset.
      var values = [fields.u32(24), fields.u32(20), fields.u32(42)]
      var extra = ZipFields(directory, position + 46 + nameLength)
      var extraLeft = extraLength
      while extraLeft >= 4 {
        let (tag, length) = (extra.u16(0), extra.u16(2))
        guard length + 4 <= extraLeft else { break }
        if tag == 1 {
          var field = 4
          for index in values.indices where values[index] == 0xFFFF_FFFF {
            guard field + 8 <= length + 4, let value = Int(exactly: extra.u64(field)) else {
              throw reader.error("zip entry '\(name)': its zip64 extra field is too short")
            }
            values[index] = value
            field += 8
          }
        }
        extra = ZipFields(directory, extra.start + 4 + length)
        extraLeft -= 4 + length
      }
      entries.append(
        ZipEntry(
          name: name, method: fields.u16(10), flags: fields.u16(8),
          checksum: UInt32(fields.u32(16)),
          compressedSize: values[1], size: values[0], headerOffset: values[2]))
      position += 46 + nameLength + extraLength + commentLength
    }
    self.entries = entries
  }

  /// The number of entries and the size and offset of the central directory, from the end of
  /// central directory record (and its zip64 form when the archive needs one).
  private static func directoryLocation(_ reader: FileReader) throws -> (Int, Int, Int) {
    // The record is 22 bytes plus a comment of at most 65,535 bytes, at the end of the file.
    let tailLength = min(reader.byteCount, 22 + 65_535)
    let tail = try reader.bytes(
      tailLength, at: reader.byteCount - tailLength, for: "the zip end record")
    guard
      let start = stride(from: tailLength - 22, through: 0, by: -1).first(where: {
        ZipFields(tail, $0).u32(0) == 0x0605_4B50
      })
    else {
      throw reader.error(
        "truncated, or not a zip archive: no end of central directory record in its last "
          + "\(tailLength) bytes")
    }
    let record = ZipFields(tail, start)
    var (count, size, offset) = (record.u16(10), record.u32(12), record.u32(16))
    let recordOffset = reader.byteCount - tailLength + start
    if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
      // The zip64 locator sits just before the record and points to the zip64 end record.
      guard recordOffset >= 20 else { throw reader.error("zip64 archive without a zip64 locator") }
      let locator = try reader.bytes(20, at: recordOffset - 20, for: "the zip64 locator")
      guard ZipFields(locator, 0).u32(0) == 0x0706_4B50,
        let recordAt = Int(exactly: ZipFields(locator, 0).u64(8))
      else { throw reader.error("zip64 archive: no zip64 locator before byte \(recordOffset)") }
      let zip64 = try reader.bytes(56, at: recordAt, for: "the zip64 end record")
      let fields = ZipFields(zip64, 0)
      guard fields.u32(0) == 0x0606_4B50, let entryCount = Int(exactly: fields.u64(32)),
        let directorySize = Int(exactly: fields.u64(40)),
        let directoryOffset = Int(exactly: fields.u64(48))
      else { throw reader.error("zip64 end record at byte \(recordAt) is malformed") }
      (count, size, offset) = (entryCount, directorySize, directoryOffset)
    }
    return (count, size, offset)
  }

  /// Where the stored bytes of `entry` start in the file, after checking that the entry is
  /// stored uncompressed and unencrypted and lies inside the file.
  func dataOffset(of entry: ZipEntry) throws -> Int {
    let what = "zip entry '\(entry.name)'"
    guard entry.flags & 1 == 0 else { throw reader.error("\(what) is encrypted") }
    guard entry.method == 0 else {
      throw reader.error(
        "\(what) is compressed (method \(entry.method)\(entry.method == 8 ? ", deflate" : "")); "
          + "torch.save stores entries uncompressed, and only such entries are read")
    }
    guard entry.compressedSize == entry.size else {
      throw reader.error(
        "\(what) is stored but its sizes differ (\(entry.compressedSize) and \(entry.size))")
    }
    let header = try reader.bytes(30, at: entry.headerOffset, for: "the local header of \(what)")
    let fields = ZipFields(header, 0)
    guard fields.u32(0) == 0x0403_4B50 else {
      throw reader.error("\(what): no local header at byte \(entry.headerOffset)")
    }
    let start = entry.headerOffset + 30 + fields.u16(26) + fields.u16(28)
    try reader.checkRange(entry.size, at: start, for: "the contents of \(what)")
    return start
  }

  /// The contents of `entry`, checked against its CRC-32.
  func contents(of entry: ZipEntry) throws -> [UInt8] {
    let bytes = try reader.bytes(
      entry.size, at: try dataOffset(of: entry), for: "zip entry '\(entry.name)'")
    try checkChecksum(of: entry, bytes.withUnsafeBytes { crc32($0) })
    return bytes
  }

  /// Throws unless `checksum` is the one the directory lists for `entry`.
  func checkChecksum(of entry: ZipEntry, _ checksum: UInt32) throws {
    guard checksum == entry.checksum else {
      throw reader.error(
        "zip entry '\(entry.name)' is corrupt: its CRC-32 is 0x\(String(checksum, radix: 16)), "
          + "the directory says 0x\(String(entry.checksum, radix: 16))")
    }
  }
}

/// Little-endian fields of a byte array, from `start` on; reads past the end give zero.
struct ZipFields {
  let bytes: [UInt8]
  let start: Int

  init(_ bytes: [UInt8], _ start: Int) { (self.bytes, self.start) = (bytes, start) }

  /// Whether `count` bytes from `start` lie inside the array.
  func has(_ count: Int) -> Bool { start >= 0 && start + count <= bytes.count }

  func value(_ offset: Int, _ width: Int) -> UInt64 {
    guard has(offset + width) else { return 0 }
    return littleEndianValue(bytes[(start + offset)..<(start + offset + width)])
  }
  func u16(_ offset: Int) -> Int { Int(value(offset, 2)) }
  func u32(_ offset: Int) -> Int { Int(value(offset, 4)) }
  func u64(_ offset: Int) -> UInt64 { value(offset, 8) }
}

/// The CRC-32 (IEEE, as zip uses) of `bytes`.
func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  crc32Table.withUnsafeBufferPointer { table in
    for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
  }
  return ~crc
}

/// The CRC-32 of each byte value, for `crc32`.
private let crc32Table: [UInt32] = (0..<256).map { value in
  (0..<8).reduce(UInt32(value)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
}
