import Foundation

extension Tensor {
  /// Reads a tensor from a NumPy `.npy` file, as written by `numpy.save`.
  ///
  /// Supported: little-endian `float32` (`'<f4'`), `float64` (`'<f8'`) and `int64` (`'<i8'`)
  /// arrays in C order, format versions 1.0, 2.0 and 3.0, any rank including 0.
  ///
  /// ```swift
  /// let weights = try Tensor(numpyFile: URL(fileURLWithPath: "weights.npy"))
  /// ```
  ///
  /// - Parameter url: The file to read.
  /// - Throws: `TensorFileError` naming the file and the problem when it cannot be read, is not a
  ///   `.npy` file, is truncated, or holds another element type or layout.
  public init(numpyFile url: URL) throws {
    self = try NumPyFormat.read(FileReader(url: url))
  }

  /// Reads a tensor from the `.npy` file at `path`, as `init(numpyFile:)` with a URL does.
  ///
  /// - Parameter path: The file's path, absolute or relative to the working directory.
  /// - Throws: `TensorFileError` naming the file and what is wrong.
  public init(numpyFile path: String) throws {
    try self.init(numpyFile: URL(fileURLWithPath: path))
  }

  /// Writes the tensor to a NumPy `.npy` file (format version 1.0, C order, little-endian), with
  /// the same bytes `numpy.save` writes, so that `numpy.load` reads it.
  ///
  /// The file is replaced atomically: if saving fails, a previous file at `url` is left intact.
  ///
  /// ```swift
  /// try Tensor([1, 2, 3]).writeNumPy(to: URL(fileURLWithPath: "x.npy"))
  /// ```
  ///
  /// - Parameter url: The file to write.
  /// - Throws: `TensorFileError` when the file cannot be written.
  public func writeNumPy(to url: URL) throws {
    guard dtype != .bfloat16 else {
      throw TensorFileError(
        url: url,
        problem: "cannot be saved: NumPy has no bfloat16 type; convert the tensor with "
          + "converted(to: .float32) first")
    }
    let header = NumPyFormat.header(shape: shape, dtype: dtype)
    try AtomicFileWriter.write(to: url) { writer in
      try writer.write(header)
      try writeLittleEndian(to: writer)
    }
  }

  /// Writes the tensor to the `.npy` file at `path`, as `writeNumPy(to:)` with a URL does.
  ///
  /// - Parameter path: The file's path, absolute or relative to the working directory.
  /// - Throws: `TensorFileError` when the file cannot be written.
  public func writeNumPy(to path: String) throws {
    try writeNumPy(to: URL(fileURLWithPath: path))
  }
}

/// The `.npy` format: a magic string, a version, a header length, a Python dictionary literal
/// describing the array, then the raw elements.
enum NumPyFormat {
  /// `\x93NUMPY`.
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
  /// The header is padded so that the data starts at a multiple of this.
  static let alignment = 64
  /// numpy leaves room for the first dimension to grow to this many digits.
  static let growthDigits = 21

  /// The kind and size of each element type NumPy has, as in `f4` (numpy has no bfloat16).
  static let kinds: [(DType, String)] = [
    (.float32, "f4"), (.float64, "f8"), (.int64, "i8"), (.float16, "f2"), (.int32, "i4"),
    (.uint8, "u1"), (.int8, "i1"), (.bool, "b1"),
  ]

  /// The descriptor numpy writes for `dtype`: little-endian, or `|` for one-byte types.
  static func descriptor(of dtype: DType) -> String {
    (dtype.byteCount == 1 ? "|" : "<") + kinds.first { $0.0 == dtype }!.1
  }

  /// The magic string, version, header length and padded header, as numpy writes them.
  static func header(shape: [Int], dtype: DType) -> [UInt8] {
    let shapeText =
      switch shape.count {
      case 0: "()"
      case 1: "(\(shape[0]),)"
      default: "(" + shape.map(String.init).joined(separator: ", ") + ")"
      }
    var text =
      "{'descr': '\(descriptor(of: dtype))', 'fortran_order': False, 'shape': \(shapeText), }"
    if let first = shape.first {
      text += String(repeating: " ", count: max(0, growthDigits - String(first).count))
    }
    let dictionary = Array(text.utf8)
    // Version 1.0 stores the header length in 2 bytes; longer headers need version 2.0 (4 bytes).
    for (major, lengthSize) in [(UInt8(1), 2), (UInt8(2), 4)] {
      let prefixLength = magic.count + 2 + lengthSize
      let unpadded = dictionary.count + 1  // the final newline
      let padding = alignment - (prefixLength + unpadded) % alignment
      let headerLength = unpadded + padding
      if lengthSize == 2 && headerLength > Int(UInt16.max) { continue }
      var bytes = magic + [major, 0]
      if lengthSize == 2 {
        appendLittleEndian(UInt16(headerLength), to: &bytes)
      } else {
        appendLittleEndian(UInt32(truncatingIfNeeded: headerLength), to: &bytes)
      }
      bytes += dictionary
      bytes += [UInt8](repeating: 0x20, count: padding)
      bytes.append(0x0A)
      return bytes
    }
    fatalError("unreachable: version 2.0 fits any header")
  }

  /// Reads the tensor in an `.npy` file.
  static func read(_ reader: FileReader) throws -> Tensor {
    let prefixLength = magic.count + 2
    guard reader.byteCount >= prefixLength else {
      throw reader.error(
        "truncated: the file has \(reader.byteCount) bytes, fewer than the \(prefixLength) of "
          + "the .npy magic string and version")
    }
    let prefix = try reader.bytes(prefixLength, at: 0, for: "the magic string and version")
    guard Array(prefix[0..<magic.count]) == magic else {
      throw reader.error("is not a .npy file: it does not start with the magic string \\x93NUMPY")
    }
    let (major, minor) = (prefix[6], prefix[7])
    let lengthSize: Int
    switch (major, minor) {
    case (1, 0): lengthSize = 2
    case (2, 0), (3, 0): lengthSize = 4
    default:
      throw reader.error(
        "unsupported .npy format version \(major).\(minor) at byte 6 (supported: 1.0, 2.0, 3.0)")
    }
    let lengthBytes = try reader.bytes(lengthSize, at: prefixLength, for: "the header length")
    let headerStart = prefixLength + lengthSize
    guard let headerLength = Int(exactly: littleEndianValue(lengthBytes)),
      headerLength <= reader.byteCount - headerStart
    else {
      throw reader.error(
        "header length \(littleEndianValue(lengthBytes)) (at byte \(prefixLength)) goes beyond "
          + "the end of the file (\(reader.byteCount) bytes)")
    }
    let headerBytes = try reader.bytes(headerLength, at: headerStart, for: "the header")
    let header = try NumPyHeader(parsing: headerBytes, startingAt: headerStart, of: reader)

    let dataStart = headerStart + headerLength
    let available = reader.byteCount - dataStart
    let typeName = "\(header.dtype) array of shape \(describe(header.shape))"
    guard let needed = checkedByteCount(header.shape, dtype: header.dtype) else {
      throw reader.error("the shape \(describe(header.shape)) in the header is too large")
    }
    guard needed <= available else {
      throw reader.error(
        "truncated: the \(typeName) needs \(needed) bytes of data after the header "
          + "(from byte \(dataStart)), but only \(available) remain")
    }
    guard needed == available else {
      throw reader.error(
        "has \(available - needed) unexpected bytes after the data of the \(typeName) "
          + "(which ends at byte \(dataStart + needed))")
    }
    let tensor = try Tensor(
      reading: reader, at: dataStart, shape: header.shape, dtype: header.dtype,
      for: "the data of the \(typeName)")
    if header.isBigEndian { tensor.storage.swapBytes() }
    return tensor
  }
}

/// The fields of an `.npy` header, parsed from its Python dictionary literal.
struct NumPyHeader {
  var dtype: DType
  var shape: [Int]
  /// Whether the elements are stored big-endian (`>` in the descriptor).
  var isBigEndian = false

  /// Parses a header such as `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
  ///
  /// - Parameters:
  ///   - bytes: The header, without the magic string and length.
  ///   - start: The header's position in the file, for error messages.
  init(parsing bytes: [UInt8], startingAt start: Int, of reader: FileReader) throws {
    var parser = PythonLiteralParser(bytes: bytes, start: start, reader: reader)
    let value = try parser.parseValue()
    try parser.expectEnd()
    guard case .dictionary(let entries) = value.kind else {
      throw reader.error("header at byte \(start): expected a dictionary, found \(value.kind.name)")
    }
    var fields: [String: PythonLiteral] = [:]
    for (key, entry) in entries {
      guard case .string(let name) = key.kind else {
        throw reader.error(
          "header at byte \(key.position): keys must be strings, found \(key.kind.name)")
      }
      guard ["descr", "fortran_order", "shape"].contains(name) else {
        throw reader.error("header at byte \(key.position): unexpected key \(quotedForError(name))")
      }
      guard fields.updateValue(entry, forKey: name) == nil else {
        throw reader.error(
          "header at byte \(key.position): the key \(quotedForError(name)) appears twice")
      }
    }
    func field(_ name: String) throws -> PythonLiteral {
      guard let value = fields[name] else {
        throw reader.error("header at byte \(start): the key '\(name)' is missing")
      }
      return value
    }

    let descr = try field("descr")
    switch descr.kind {
    case .string(let text):
      let order = text.first ?? " "
      guard
        let kind = NumPyFormat.kinds.first(where: {
          "<>|=".contains(order) && $0.1 == text.dropFirst()
        })
      else {
        throw reader.error(
          "header at byte \(descr.position): unsupported dtype \(quotedForError(text)); supported: "
            + NumPyFormat.kinds.map { "'\($0.1)' (\($0.0))" }.joined(separator: ", ")
            + ", little- or big-endian")
      }
      dtype = kind.0
      isBigEndian = kind.0.byteCount > 1 && order == ">"
    case .list:
      throw reader.error(
        "header at byte \(descr.position): unsupported dtype: structured arrays (a list of "
          + "fields) are not supported")
    default:
      throw reader.error(
        "header at byte \(descr.position): 'descr' must be a string, found \(descr.kind.name)")
    }

    let order = try field("fortran_order")
    switch order.kind {
    case .boolean(false): break
    case .boolean(true):
      throw reader.error(
        "header at byte \(order.position): Fortran-order (column-major) arrays are not "
          + "supported; save numpy.ascontiguousarray(a) instead")
    default:
      throw reader.error(
        "header at byte \(order.position): 'fortran_order' must be True or False, found "
          + order.kind.name)
    }

    let shapeValue = try field("shape")
    guard case .tuple(let sizes) = shapeValue.kind else {
      throw reader.error(
        "header at byte \(shapeValue.position): 'shape' must be a tuple, found "
          + shapeValue.kind.name)
    }
    shape = try sizes.map { size in
      guard case .integer(let value) = size.kind, value >= 0 else {
        throw reader.error(
          "header at byte \(size.position): shape sizes must be non-negative integers, found "
            + size.kind.name)
      }
      return value
    }
  }
}

/// A value of a Python literal, with its position in the file.
struct PythonLiteral {
  /// The kinds of value an `.npy` header can hold.
  indirect enum Kind {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dictionary([(key: PythonLiteral, value: PythonLiteral)])

    /// A description for error messages.
    var name: String {
      switch self {
      case .string(let text): "the string \(quotedForError(text))"
      case .integer(let value): "the integer \(value)"
      case .boolean(let value): value ? "True" : "False"
      case .none: "None"
      case .tuple: "a tuple"
      case .list: "a list"
      case .dictionary: "a dictionary"
      }
    }
  }

  var kind: Kind
  var position: Int
}

/// Parses the subset of Python literal syntax that `.npy` headers use (strings, integers,
/// `True`/`False`/`None`, tuples, lists, dictionaries), without evaluating anything. Nesting
/// is limited, so a hostile header cannot exhaust the stack.
struct PythonLiteralParser {
  let bytes: [UInt8]
  /// The position of `bytes` in the file.
  let start: Int
  let reader: FileReader
  var index = 0
  static let maximumDepth = 32

  init(bytes: [UInt8], start: Int, reader: FileReader) {
    self.bytes = bytes
    self.start = start
    self.reader = reader
  }

  /// An error at the current position.
  func error(_ problem: String) -> TensorFileError {
    reader.error("header at byte \(start + index): \(problem)")
  }

  /// What is at the current position, for error messages.
  var found: String { describeByte(in: bytes, at: index) }

  mutating func skipWhitespace() {
    while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D, 0x0C].contains(bytes[index]) {
      index += 1
    }
  }

  /// Skips whitespace, then consumes `byte` if it is next.
  mutating func consume(_ byte: UInt8) -> Bool {
    skipWhitespace()
    guard index < bytes.count, bytes[index] == byte else { return false }
    index += 1
    return true
  }

  /// Throws unless only whitespace remains.
  mutating func expectEnd() throws {
    skipWhitespace()
    guard index == bytes.count else { throw error("unexpected \(found) after the dictionary") }
  }

  mutating func parseValue(depth: Int = 0) throws -> PythonLiteral {
    guard depth < Self.maximumDepth else { throw error("values are nested too deeply") }
    skipWhitespace()
    let position = start + index
    guard index < bytes.count else { throw error("expected a value, found the end of the header") }
    let byte = bytes[index]
    switch byte {
    case UInt8(ascii: "'"), UInt8(ascii: "\""):
      return PythonLiteral(kind: .string(try parseString()), position: position)
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"):
      return PythonLiteral(kind: .integer(try parseInteger()), position: position)
    case UInt8(ascii: "("):
      index += 1
      let (items, hadComma) = try parseSequence(until: UInt8(ascii: ")"), depth: depth)
      // "(3)" is the integer 3; only "()", "(3,)" and "(3, 4)" are tuples.
      if items.count == 1 && !hadComma { return items[0] }
      return PythonLiteral(kind: .tuple(items), position: position)
    case UInt8(ascii: "["):
      index += 1
      let (items, _) = try parseSequence(until: UInt8(ascii: "]"), depth: depth)
      return PythonLiteral(kind: .list(items), position: position)
    case UInt8(ascii: "{"):
      index += 1
      return PythonLiteral(kind: .dictionary(try parseDictionary(depth: depth)), position: position)
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
      var end = index
      while end < bytes.count,
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[end])
          || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[end])
      {
        end += 1
      }
      let word = String(decoding: bytes[index..<end], as: UTF8.self)
      let kind: PythonLiteral.Kind
      switch word {
      case "True": kind = .boolean(true)
      case "False": kind = .boolean(false)
      case "None": kind = .none
      default: throw error("unexpected name \(quotedForError(word))")
      }
      index = end
      return PythonLiteral(kind: kind, position: position)
    default:
      throw error("expected a value, found \(found)")
    }
  }

  /// Parses items separated by commas up to `closing`; reports whether a comma was seen.
  mutating func parseSequence(until closing: UInt8, depth: Int) throws -> ([PythonLiteral], Bool) {
    var items: [PythonLiteral] = []
    var hadComma = false
    while true {
      if consume(closing) { return (items, hadComma) }
      items.append(try parseValue(depth: depth + 1))
      if consume(UInt8(ascii: ",")) {
        hadComma = true
        continue
      }
      guard consume(closing) else {
        throw error("expected ',' or '\(Character(Unicode.Scalar(closing)))', found \(found)")
      }
      return (items, hadComma)
    }
  }

  mutating func parseDictionary(depth: Int) throws -> [(key: PythonLiteral, value: PythonLiteral)] {
    var entries: [(key: PythonLiteral, value: PythonLiteral)] = []
    while true {
      if consume(UInt8(ascii: "}")) { return entries }
      let key = try parseValue(depth: depth + 1)
      guard consume(UInt8(ascii: ":")) else {
        throw error("expected ':' after a key, found \(found)")
      }
      let value = try parseValue(depth: depth + 1)
      entries.append((key, value))
      if consume(UInt8(ascii: ",")) { continue }
      guard consume(UInt8(ascii: "}")) else { throw error("expected ',' or '}', found \(found)") }
      return entries
    }
  }

  /// A quoted string without escape sequences (header strings never need them).
  mutating func parseString() throws -> String {
    let quote = bytes[index]
    let contentStart = index + 1
    var end = contentStart
    while end < bytes.count, bytes[end] != quote {
      guard bytes[end] != UInt8(ascii: "\\") else {
        index = end
        throw error("escape sequences in strings are not supported")
      }
      guard bytes[end] != 0x0A else {
        index = end
        throw error("the string is not closed before the end of the line")
      }
      end += 1
    }
    guard end < bytes.count else { throw error("the string is not closed") }
    index = end + 1
    // Headers are Latin-1 (versions 1 and 2) or UTF-8 (version 3); the supported descriptors are
    // ASCII, so decoding bytes one to one is enough to compare and report them.
    return String(String.UnicodeScalarView(bytes[contentStart..<end].map { Unicode.Scalar($0) }))
  }

  /// A decimal integer, optionally signed, optionally followed by Python 2's `L`.
  mutating func parseInteger() throws -> Int {
    var negative = false
    if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
      negative = bytes[index] == UInt8(ascii: "-")
      index += 1
    }
    let digitsStart = index
    var value = 0
    while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
      let digit = Int(bytes[index] - UInt8(ascii: "0"))
      let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = times10.addingReportingOverflow(digit)
      guard !overflow1 && !overflow2 else {
        index = digitsStart
        throw error("the integer is too large")
      }
      value = sum
      index += 1
    }
    guard index > digitsStart else { throw error("expected digits, found \(found)") }
    if index < bytes.count, bytes[index] == UInt8(ascii: "L") || bytes[index] == UInt8(ascii: "l") {
      index += 1
    }
    if index < bytes.count,
      bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e")
        || bytes[index] == UInt8(ascii: "E") || bytes[index] == UInt8(ascii: "_")
        || bytes[index] == UInt8(ascii: "x")
    {
      throw error("only decimal integers are supported, found \(found)")
    }
    return negative ? -value : value
  }
}
