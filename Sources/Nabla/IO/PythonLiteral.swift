// The Python literals of an `.npy` header (a dict of strings, booleans, integers and tuples) and
// their parser, which says where in the file a malformed one goes wrong.

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
