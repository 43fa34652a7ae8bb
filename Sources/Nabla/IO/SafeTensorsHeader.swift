/// Parsing a safetensors header straight from its bytes.
///
/// The header is JSON of a known shape: an object whose keys are tensor names, each mapping to
/// `{"dtype": string, "shape": [sizes], "data_offsets": [begin, end]}`, plus an optional
/// `"__metadata__"` object of strings. The parser reads it with a `JSONScanner`, builds only the
/// entries it keeps, and checks each entry as soon as it is read, so that the first wrong one
/// throws. A hostile header cannot make it allocate much more than the header's own size:
///
/// - An entry costs no data when its tensor has no elements, so the number of entries is
///   limited by the data: see `maximumTensorCount(dataLength:)`.
/// - A shape holds at most `maximumRank` sizes; integers must fit in `Int`.
/// - `__metadata__` holds at most `maximumMetadataCount` strings.
/// - Keys of an entry other than `dtype`, `shape` and `data_offsets` are checked and passed
///   over (as the reference implementation ignores them) without being kept, nested at most
///   `JSONScanner.maximumDepth` deep.
extension SafeTensorsLayout {
  /// How many tensors of zero bytes a file may list beyond what its data could hold.
  static let zeroSizeTensorAllowance = 4096
  /// The most dimensions a shape may have (as NumPy 2 allows).
  static let maximumRank = 64
  /// The most entries `__metadata__` may hold.
  static let maximumMetadataCount = 65_536
  /// The length of the shortest possible entry,
  /// `"":{"dtype":"F32","shape":[],"data_offsets":[0,0]}`.
  static let minimumEntryLength = 50

  /// The most tensors a header may list for `dataLength` bytes of data.
  ///
  /// Every tensor with elements takes at least one byte (one element of a one-byte type), and
  /// the tensors tile the data, so a valid file holds at most `dataLength` of them; a tensor with no elements takes no data, and `zeroSizeTensorAllowance` of those
  /// are allowed on top. One million tensors of zero bytes and no data are refused after the
  /// first 4096 of them have been read.
  static func maximumTensorCount(dataLength: Int) -> Int {
    zeroSizeTensorAllowance + dataLength
  }

  /// Parses `bytes`, the header of the file `reader` reads, whose first byte (at byte 8 of the
  /// file) is `{`, into `entries` and `metadata`, checking each entry against the
  /// `dataLength` bytes of data.
  mutating func parseHeader(_ bytes: [UInt8], dataLength: Int, reader: FileReader) throws {
    var scanner = JSONScanner(bytes: bytes, start: 8, reader: reader)
    scanner.open()
    let maximumCount = Self.maximumTensorCount(dataLength: dataLength)
    // Room for as many entries as the header can hold, so that neither grows by copying.
    let capacity = min(maximumCount, bytes.count / Self.minimumEntryLength)
    entries.reserveCapacity(capacity)
    var names = Set<String>(minimumCapacity: capacity)
    var hasMetadata = false
    var isFirst = true
    while let key = try scanner.nextKey(isFirst: &isFirst) {
      let name = scanner.text(of: key)
      if name == SafeTensors.metadataKey {
        guard !hasMetadata else {
          throw scanner.error("'\(SafeTensors.metadataKey)' appears twice", at: key.position)
        }
        hasMetadata = true
        metadata = try Self.parseMetadata(&scanner)
        continue
      }
      guard entries.count < maximumCount else {
        throw scanner.error(
          "the header lists more tensors than the \(dataLength) bytes of data can hold (at "
            + "most \(maximumCount): \(Self.zeroSizeTensorAllowance) of zero bytes, and one "
            + "more for each byte of data)",
          at: key.position)
      }
      guard names.insert(name).inserted else {
        throw scanner.error("tensor \(quotedForError(name)) appears twice", at: key.position)
      }
      entries.append(try Self.parseEntry(named: name, &scanner, dataLength: dataLength))
    }
    try scanner.expectEnd()
  }

  /// Reads the `__metadata__` object that is next.
  private static func parseMetadata(_ scanner: inout JSONScanner) throws -> [String: String] {
    let key = SafeTensors.metadataKey
    guard try scanner.nextValue() == UInt8(ascii: "{") else {
      throw scanner.error("'\(key)' is not an object")
    }
    scanner.open()
    var metadata: [String: String] = [:]
    var isFirst = true
    while let token = try scanner.nextKey(isFirst: &isFirst) {
      guard metadata.count < maximumMetadataCount else {
        throw scanner.error(
          "'\(key)' holds more than \(maximumMetadataCount) entries", at: token.position)
      }
      let name = scanner.text(of: token)
      guard try scanner.nextValue() == UInt8(ascii: "\"") else {
        throw scanner.error("'\(key)' entry \(quotedForError(name)) is not a string")
      }
      let value = scanner.text(of: try scanner.scanString())
      guard metadata.updateValue(value, forKey: name) == nil else {
        throw scanner.error(
          "'\(key)' entry \(quotedForError(name)) appears twice", at: token.position)
      }
    }
    return metadata
  }

  /// The keys of a tensor's entry that the reader uses.
  private enum Field: String, CaseIterable {
    case dtype
    case shape
    case dataOffsets = "data_offsets"
  }

  /// What is wrong with an array that should hold non-negative integers.
  private enum IntegerArrayProblem {
    case notAnArray
    case notAnInteger
    case tooLong
  }

  /// Reads and checks the entry of tensor `name`, which is next.
  private static func parseEntry(
    named name: String, _ scanner: inout JSONScanner, dataLength: Int
  ) throws -> Entry {
    let reader = scanner.reader
    func failure(_ problem: String, at position: Int) -> TensorFileError {
      reader.error("header at byte \(position): tensor \(quotedForError(name)): \(problem)")
    }
    let shapeProblem = { (problem: IntegerArrayProblem, position: Int) in
      switch problem {
      case .notAnArray: failure("'shape' is missing or not an array", at: position)
      case .notAnInteger: failure("'shape' must hold non-negative integers", at: position)
      case .tooLong: failure("'shape' has more than \(maximumRank) dimensions", at: position)
      }
    }
    let offsetsProblem = { (_: IntegerArrayProblem, position: Int) in
      failure("'data_offsets' must be two non-negative integers [begin, end]", at: position)
    }
    guard try scanner.nextValue() == UInt8(ascii: "{") else {
      throw failure("the entry is not an object", at: scanner.position)
    }
    let start = scanner.position
    scanner.open()
    var (dtype, shape, offsets): (DType?, [Int]?, [Int]?) = (nil, nil, nil)
    var isFirst = true
    while let key = try scanner.nextKey(isFirst: &isFirst) {
      let field = Field.allCases.first { scanner.text(of: key, is: $0.rawValue) }
      let isRepeated =
        switch field {
        case .dtype: dtype != nil
        case .shape: shape != nil
        case .dataOffsets: offsets != nil
        case nil: false
        }
      if isRepeated, let field {
        throw failure("the key '\(field.rawValue)' appears twice", at: key.position)
      }
      _ = try scanner.nextValue()
      let valuePosition = scanner.position
      switch field {
      case .dtype: dtype = try parseDtype(&scanner, failure)
      case .shape:
        shape = try parseIntegers(&scanner, atMost: maximumRank, otherwise: shapeProblem)
      case .dataOffsets:
        offsets = try parseIntegers(&scanner, atMost: 2, otherwise: offsetsProblem)
        if offsets?.count != 2 { throw offsetsProblem(.tooLong, valuePosition) }
      case nil: try scanner.skipValue()
      }
    }
    guard let dtype else { throw failure("'dtype' is missing or not a string", at: start) }
    guard let shape else { throw shapeProblem(.notAnArray, start) }
    guard let offsets else { throw offsetsProblem(.notAnArray, start) }
    return try checkedEntry(
      named: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1],
      dataLength: dataLength
    ) { failure($0, at: start) }
  }

  /// Reads the dtype string that is next, which must name a supported type.
  private static func parseDtype(
    _ scanner: inout JSONScanner, _ failure: (String, Int) -> TensorFileError
  ) throws -> DType {
    guard try scanner.nextValue() == UInt8(ascii: "\"") else {
      throw failure("'dtype' is missing or not a string", scanner.position)
    }
    let token = try scanner.scanString()
    let name = scanner.text(of: token)
    guard let dtype = SafeTensors.dtype(named: name) else {
      throw failure(
        "unsupported dtype \(quotedForError(name)) (supported: "
          + SafeTensors.names.map(\.1).joined(separator: ", ") + ")", token.position)
    }
    return dtype
  }

  /// Reads the array of at most `limit` non-negative integers that is next; throws what
  /// `problem` makes of the first thing wrong and where it is.
  private static func parseIntegers(
    _ scanner: inout JSONScanner, atMost limit: Int,
    otherwise problem: (IntegerArrayProblem, Int) -> TensorFileError
  ) throws -> [Int] {
    guard try scanner.nextValue() == UInt8(ascii: "[") else {
      throw problem(.notAnArray, scanner.position)
    }
    scanner.open()
    var values: [Int] = []
    var isFirst = true
    while try scanner.nextElement(isFirst: &isFirst) {
      _ = try scanner.nextValue()
      let position = scanner.position
      guard let value = try scanner.scanNonNegativeInteger() else {
        throw problem(.notAnInteger, position)
      }
      guard values.count < limit else { throw problem(.tooLong, position) }
      values.append(value)
    }
    return values
  }

  /// Checks that an entry's byte range lies in the data and holds its shape.
  private static func checkedEntry(
    named name: String, dtype: DType, shape: [Int], begin: Int, end: Int, dataLength: Int,
    failure: (String) -> TensorFileError
  ) throws -> Entry {
    guard begin <= end else {
      throw failure("data_offsets [\(begin), \(end)] end before they begin")
    }
    guard end <= dataLength else {
      throw failure(
        "data_offsets [\(begin), \(end)] go beyond the \(dataLength) bytes of data "
          + "(the file may be truncated)")
    }
    guard let byteCount = checkedByteCount(shape, dtype: dtype) else {
      throw failure("shape \(describe(shape)) is too large")
    }
    guard end - begin == byteCount else {
      throw failure(
        "data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but shape "
          + "\(describe(shape)) of \(SafeTensors.name(of: dtype)) needs \(byteCount)")
    }
    return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
  }
}
