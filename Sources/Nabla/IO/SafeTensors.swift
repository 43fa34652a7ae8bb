import Foundation

/// Reads and writes the safetensors format of Hugging Face: an 8-byte little-endian header
/// length, a JSON header mapping each tensor's name to its dtype, shape and byte range, an
/// optional `__metadata__` object of strings, then the raw little-endian data.
///
/// Files are checked completely before any tensor is allocated: a truncated, malformed or
/// hostile file throws a `TensorFileError` naming the file and the problem, never traps.
///
/// ```swift
/// let url = URL(fileURLWithPath: "model.safetensors")
/// try SafeTensors.write(["weight": Tensor.ones([2, 3])], metadata: ["epoch": "3"], to: url)
/// let (tensors, metadata) = try SafeTensors.read(from: url)
/// ```
public enum SafeTensors {
  /// The largest header the reference implementation accepts.
  static let maximumHeaderLength = 100_000_000
  /// The key of the header entry holding the metadata.
  static let metadataKey = "__metadata__"

  /// The format's name for each element type, in the order of the reference implementation's
  /// `Dtype` enumeration (which decides where a type's tensors go in the file).
  static let names: [(DType, String)] = [
    (.bool, "BOOL"), (.uint8, "U8"), (.int8, "I8"), (.float16, "F16"), (.bfloat16, "BF16"),
    (.int32, "I32"), (.float32, "F32"), (.float64, "F64"), (.int64, "I64"),
  ]

  /// The format's name for `dtype`.
  static func name(of dtype: DType) -> String { names.first { $0.0 == dtype }!.1 }

  /// The element type named `name` in a header, if it is supported.
  static func dtype(named name: String) -> DType? { names.first { $0.1 == name }?.0 }

  /// Where the reference implementation places a dtype: later types in its enumeration first.
  static func writingRank(of dtype: DType) -> Int { names.firstIndex { $0.0 == dtype }! }

  /// Reads every tensor and the metadata of a safetensors file.
  ///
  /// Supported dtypes are `F32`, `F64` and `I64`; a file holding any other type throws. As the
  /// reference implementation does, the tensors' byte ranges must exactly tile the data: no
  /// overlaps, no gaps, nothing after the last tensor. So that a hostile header cannot cost
  /// much more memory or time than its size, the header is checked as it is parsed and may
  /// list at most 4096 tensors of zero bytes beyond one per 4 bytes of data, shapes of at most
  /// 64 dimensions, and at most 65,536 metadata entries.
  ///
  /// - Parameter url: The file to read.
  /// - Returns: The tensors by name, and the `__metadata__` strings (empty when absent).
  /// - Throws: `TensorFileError` naming the file and what is wrong.
  public static func read(from url: URL) throws -> (
    tensors: [String: Tensor], metadata: [String: String]
  ) {
    let reader = try FileReader(url: url)
    let layout = try SafeTensorsLayout(reading: reader)
    var tensors: [String: Tensor] = [:]
    for entry in layout.entries {
      tensors[entry.name] = try Tensor(
        reading: reader, at: layout.dataStart + entry.begin, shape: entry.shape,
        dtype: entry.dtype, for: "the data of tensor \(quotedForError(entry.name))")
    }
    return (tensors, layout.metadata)
  }

  /// Reads every tensor and the metadata of the safetensors file at `path`, as
  /// `read(from:)` with a URL does.
  ///
  /// - Parameter path: The file's path, absolute or relative to the working directory.
  /// - Returns: The tensors by name, and the `__metadata__` strings (empty when absent).
  /// - Throws: `TensorFileError` naming the file and what is wrong.
  public static func read(from path: String) throws -> (
    tensors: [String: Tensor], metadata: [String: String]
  ) {
    try read(from: URL(fileURLWithPath: path))
  }

  /// Writes tensors and metadata to a safetensors file that the Python `safetensors` library
  /// reads.
  ///
  /// Tensors are laid out as the reference implementation lays them out: by dtype (`I64`, then
  /// `F64`, then `F32`), then by name (in UTF-8 byte order); the header is compact JSON padded
  /// with spaces to a multiple of 8 bytes. The bytes are those Python writes for the same
  /// tensors, except that metadata entries are sorted by key (Python's order is arbitrary).
  /// The file is replaced atomically: if saving fails, a previous file at `url` is left intact.
  ///
  /// - Parameters:
  ///   - tensors: The tensors by name; `__metadata__` is reserved and cannot be a name.
  ///   - metadata: Free-form strings stored in the header's `__metadata__` (omitted when empty).
  ///   - url: The file to write.
  /// - Throws: `TensorFileError` when a name is reserved or the file cannot be written.
  public static func write(
    _ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL
  ) throws {
    guard tensors[metadataKey] == nil else {
      throw TensorFileError(
        url: url, problem: "cannot be saved: '\(metadataKey)' is reserved and cannot name a tensor")
    }
    let ordered = tensors.sorted { left, right in
      let (leftRank, rightRank) = (
        writingRank(of: left.value.dtype), writingRank(of: right.value.dtype)
      )
      return leftRank != rightRank
        ? leftRank > rightRank : left.key.utf8.lexicographicallyPrecedes(right.key.utf8)
    }
    var fields: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map {
        jsonQuoted($0.key) + ":" + jsonQuoted($0.value)
      }
      fields.append(jsonQuoted(metadataKey) + ":{" + pairs.joined(separator: ",") + "}")
    }
    var offset = 0
    for (name, tensor) in ordered {
      let byteCount = tensor.scalarCount * tensor.dtype.byteCount
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      fields.append(
        jsonQuoted(name) + ":{\"dtype\":\"\(Self.name(of: tensor.dtype))\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(offset),\(offset + byteCount)]}")
      offset += byteCount
    }
    var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
    header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
    var prefix: [UInt8] = []
    appendLittleEndian(UInt64(header.count), to: &prefix)
    try AtomicFileWriter.write(to: url) { writer in
      try writer.write(prefix + header)
      for (_, tensor) in ordered { try tensor.writeLittleEndian(to: writer) }
    }
  }

  /// Writes tensors and metadata to the safetensors file at `path`, as `write(_:metadata:to:)`
  /// with a URL does.
  ///
  /// - Parameters:
  ///   - tensors: The tensors by name.
  ///   - metadata: Free-form strings stored in the header's `__metadata__`.
  ///   - path: The file's path, absolute or relative to the working directory.
  /// - Throws: `TensorFileError` when a name is reserved or the file cannot be written.
  public static func write(
    _ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String
  ) throws {
    try write(tensors, metadata: metadata, to: URL(fileURLWithPath: path))
  }

  /// `text` as a JSON string, escaped as serde_json (which the reference implementation uses)
  /// escapes it.
  static func jsonQuoted(_ text: String) -> String {
    var result = "\""
    let hexDigits = Array("0123456789abcdef".unicodeScalars)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case "\u{08}": result += "\\b"
      case "\u{0C}": result += "\\f"
      case _ where scalar.value < 0x20:
        result += "\\u00"
        result.unicodeScalars.append(hexDigits[Int(scalar.value >> 4)])
        result.unicodeScalars.append(hexDigits[Int(scalar.value & 0xF)])
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}

/// The checked header of a safetensors file: where each tensor's bytes are.
struct SafeTensorsLayout {
  /// One tensor's entry in the header.
  struct Entry {
    var name: String
    var dtype: DType
    var shape: [Int]
    /// The byte range within the data, relative to `dataStart`.
    var begin: Int
    var end: Int
  }

  var entries: [Entry] = []
  var metadata: [String: String] = [:]
  /// The position of the data in the file.
  var dataStart: Int

  /// Reads and checks the header of the file `reader` reads.
  init(reading reader: FileReader) throws {
    guard reader.byteCount >= 8 else {
      throw reader.error(
        "truncated: the file has \(reader.byteCount) bytes, fewer than the 8 of the header "
          + "length")
    }
    let declaredLength = littleEndianValue(try reader.bytes(8, at: 0, for: "the header length"))
    guard declaredLength <= UInt64(reader.byteCount - 8),
      let headerLength = Int(exactly: declaredLength)
    else {
      throw reader.error(
        "header length \(declaredLength) (at byte 0) goes beyond the end of the file "
          + "(\(reader.byteCount) bytes)")
    }
    guard headerLength <= SafeTensors.maximumHeaderLength else {
      throw reader.error(
        "header length \(headerLength) exceeds the format's limit of "
          + "\(SafeTensors.maximumHeaderLength) bytes")
    }
    dataStart = 8 + headerLength
    let headerBytes = try reader.bytes(headerLength, at: 8, for: "the header")
    guard headerBytes.first == UInt8(ascii: "{") else {
      throw reader.error("header at byte 8: the JSON header does not start with '{'")
    }
    let dataLength = reader.byteCount - dataStart
    try parseHeader(headerBytes, dataLength: dataLength, reader: reader)
    entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    try checkTiling(dataLength: dataLength, reader: reader)
  }

  /// Checks that the tensors' byte ranges, sorted by position, cover the data exactly once, as
  /// the reference implementation requires.
  private func checkTiling(dataLength: Int, reader: FileReader) throws {
    var position = 0
    var previous: Entry?
    for entry in entries {
      if entry.begin < position, let previous {
        throw reader.error(
          "header: tensors \(quotedForError(previous.name)) (data_offsets [\(previous.begin), "
            + "\(previous.end)]) and \(quotedForError(entry.name)) ([\(entry.begin), "
            + "\(entry.end)]) overlap")
      }
      guard entry.begin == position else {
        throw reader.error(
          "header: data bytes \(position) to \(entry.begin) belong to no tensor (a gap before "
            + "\(quotedForError(entry.name)))")
      }
      position = entry.end
      previous = entry
    }
    guard position == dataLength else {
      throw reader.error(
        "the last \(dataLength - position) bytes of data (from data byte \(position)) belong "
          + "to no tensor")
    }
  }
}
