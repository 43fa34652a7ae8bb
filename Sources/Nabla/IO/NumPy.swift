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
