/// Reads a JSON document (RFC 8259) from its UTF-8 bytes one token at a time, for a parser that
/// knows the shape it expects and keeps only what it needs: no tree of the document is built.
///
/// Strings are checked (escapes, surrogate pairs, UTF-8, control characters) without being
/// decoded; a caller decodes the few it keeps with `text(of:)`. Values the caller does not want
/// are checked and passed over by `skipValue()`, which allocates nothing and refuses nesting
/// deeper than `maximumDepth`, so a hostile document can neither exhaust the stack nor make the
/// scanner allocate more than the caller asks for.
///
/// Errors name the file and the byte of the file where the problem is:
/// "header at byte 27 is not valid JSON: expected ':' after a key, found '}'".
struct JSONScanner {
  /// A string of the document, located but not decoded.
  struct StringToken {
    /// The bytes between the quotes, as indices of `bytes`.
    var contents: Range<Int>
    /// Whether the string holds escape sequences (without them, its bytes are its text).
    var isEscaped: Bool
    /// The position of the opening quote in the file.
    var position: Int
  }

  /// The deepest nesting of arrays and objects that `skipValue()` accepts.
  static let maximumDepth = 64

  /// The document.
  let bytes: [UInt8]
  /// The position of `bytes` in the file, so that errors give positions in the file.
  let start: Int
  /// The file, for errors.
  let reader: FileReader
  /// The index in `bytes` of the next byte to read.
  private(set) var index = 0

  /// A scanner at the start of `bytes`, which lie at byte `start` of the file `reader` reads.
  init(bytes: [UInt8], start: Int, reader: FileReader) {
    self.bytes = bytes
    self.start = start
    self.reader = reader
  }

  /// The position in the file of the next byte to read.
  var position: Int { start + index }

  /// An error about the document at `position` (the next byte when nil).
  func error(_ problem: String, at position: Int? = nil) -> TensorFileError {
    reader.error("header at byte \(position ?? self.position): \(problem)")
  }

  /// An error saying the document is not JSON, at the next byte.
  func invalid(_ problem: String) -> TensorFileError {
    reader.error("header at byte \(position) is not valid JSON: \(problem)")
  }

  /// An error saying what was expected at the next byte, and what is there instead.
  func expected(_ what: String) -> TensorFileError {
    invalid("expected \(what), found \(describeByte(in: bytes, at: index))")
  }

  /// Steps over whitespace and returns the next byte, or nil at the end of the document.
  mutating func nextByte() -> UInt8? {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x0A, 0x0D, 0x09: index += 1
      default: return bytes[index]
      }
    }
    return nil
  }

  /// Steps over whitespace, then over `byte` if it is next; returns whether it was.
  mutating func consume(_ byte: UInt8) -> Bool {
    guard nextByte() == byte else { return false }
    index += 1
    return true
  }

  /// Steps over whitespace and returns the first byte of the value that follows, without
  /// consuming it; throws when no value can start there.
  mutating func nextValue() throws -> UInt8 {
    guard let byte = nextByte() else { throw expected("a value") }
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "t"),
      UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "-"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      return byte
    default: throw expected("a value")
    }
  }

  /// Steps to the next member of an object whose `{` has been read, and returns its key, with
  /// the `:` after it read; returns nil after the closing `}`.
  ///
  /// - Parameter isFirst: True before the first member; set to false.
  mutating func nextKey(isFirst: inout Bool) throws -> StringToken? {
    if consume(UInt8(ascii: "}")) { return nil }
    if !isFirst {
      guard consume(UInt8(ascii: ",")) else { throw expected("',' or '}' after a value") }
    }
    isFirst = false
    guard nextByte() == UInt8(ascii: "\"") else { throw expected("a string key") }
    let key = try scanString()
    guard consume(UInt8(ascii: ":")) else { throw expected("':' after a key") }
    return key
  }

  /// Steps to the next element of an array whose `[` has been read; returns false after the
  /// closing `]`.
  ///
  /// - Parameter isFirst: True before the first element; set to false.
  mutating func nextElement(isFirst: inout Bool) throws -> Bool {
    if consume(UInt8(ascii: "]")) { return false }
    if !isFirst {
      guard consume(UInt8(ascii: ",")) else { throw expected("',' or ']' after a value") }
    }
    isFirst = false
    return true
  }

  /// Steps over the `{` or `[` that is next, which `nextValue()` has returned.
  mutating func open() { index += 1 }

  /// Throws unless only whitespace remains.
  mutating func expectEnd() throws {
    guard nextByte() == nil else { throw expected("only whitespace after the closing '}'") }
  }

  /// Reads the integer that is next, when it is a non-negative integer that fits in `Int`.
  ///
  /// Returns nil, consuming nothing, for any other value: a negative number, a fraction, an
  /// exponent, a number too large, or a value that is not a number.
  mutating func scanNonNegativeInteger() throws -> Int? {
    let first = try nextValue()
    guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return nil }
    let start = index
    var value = 0
    var end = index
    while end < bytes.count, let digit = decimalDigit(bytes[end]) {
      let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
      let (sum, carry) = times10.addingReportingOverflow(digit)
      if overflow || carry { return nil }
      value = sum
      end += 1
    }
    if first == UInt8(ascii: "0") && end - start > 1 {
      throw invalid("a number cannot start with the digit 0 followed by more digits")
    }
    if end < bytes.count,
      [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(
        bytes[end])
    {
      return nil
    }
    index = end
    return value
  }

  /// Checks and steps over the value that is next, however nested (up to `maximumDepth`),
  /// keeping nothing.
  mutating func skipValue(depth: Int = 0) throws {
    let first = try nextValue()
    switch first {
    case UInt8(ascii: "\""): _ = try scanString()
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      guard depth < Self.maximumDepth else {
        throw error(
          "arrays and objects are nested too deeply (more than \(Self.maximumDepth) levels)")
      }
      open()
      var isFirst = true
      if first == UInt8(ascii: "{") {
        while try nextKey(isFirst: &isFirst) != nil { try skipValue(depth: depth + 1) }
      } else {
        while try nextElement(isFirst: &isFirst) { try skipValue(depth: depth + 1) }
      }
    case UInt8(ascii: "t"): try scanWord("true")
    case UInt8(ascii: "f"): try scanWord("false")
    case UInt8(ascii: "n"): try scanWord("null")
    default: try scanNumber()
    }
  }

  /// Steps over `word` (`true`, `false` or `null`), which must be next.
  private mutating func scanWord(_ word: StaticString) throws {
    let length = word.utf8CodeUnitCount
    guard bytes.count - index >= length,
      bytes[index..<index + length].elementsEqual(
        UnsafeBufferPointer(start: word.utf8Start, count: length))
    else { throw expected("'\(word)'") }
    index += length
  }

  /// Checks and steps over the number that is next: `-`, an integer part without leading zeros,
  /// then an optional fraction and exponent.
  private mutating func scanNumber() throws {
    if bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard index < bytes.count, decimalDigit(bytes[index]) != nil else {
      throw expected("a digit")
    }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
    } else {
      try scanDigits()
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      index += 1
      try scanDigits()
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")
      {
        index += 1
      }
      try scanDigits()
    }
  }

  /// Steps over one or more decimal digits.
  private mutating func scanDigits() throws {
    guard index < bytes.count, decimalDigit(bytes[index]) != nil else {
      throw expected("a digit")
    }
    while index < bytes.count, decimalDigit(bytes[index]) != nil { index += 1 }
  }
}

/// The value of `byte` as a decimal digit, if it is one.
private func decimalDigit(_ byte: UInt8) -> Int? {
  (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
}

extension JSONScanner {
  /// Checks and steps over the string whose opening quote is next, without decoding it.
  ///
  /// Refuses what RFC 8259 refuses: unescaped control characters, unknown escapes, `\u`
  /// escapes of lone surrogates, bytes that are not UTF-8, and a missing closing quote.
  mutating func scanString() throws -> StringToken {
    let opening = index
    index += 1
    var isEscaped = false
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        return StringToken(
          contents: opening + 1..<index - 1, isEscaped: isEscaped, position: start + opening)
      case UInt8(ascii: "\\"):
        isEscaped = true
        try scanEscape()
      case 0..<0x20:
        throw invalid(
          "control character 0x\(String(byte, radix: 16)) in a string (it must be escaped)")
      case 0x20..<0x80: index += 1
      default: try scanUTF8Sequence()
      }
    }
    index = opening
    throw invalid("the string starting here is not closed")
  }

  /// The text of `string`, with its escape sequences decoded.
  func text(of string: StringToken) -> String {
    guard string.isEscaped else {
      return String(decoding: bytes[string.contents], as: UTF8.self)
    }
    var text: [UInt8] = []
    text.reserveCapacity(string.contents.count)
    var index = string.contents.lowerBound
    while index < string.contents.upperBound {
      let byte = bytes[index]
      guard byte == UInt8(ascii: "\\") else {
        text.append(byte)
        index += 1
        continue
      }
      let escaped = bytes[index + 1]
      index += 2
      switch escaped {
      case UInt8(ascii: "b"): text.append(0x08)
      case UInt8(ascii: "f"): text.append(0x0C)
      case UInt8(ascii: "n"): text.append(0x0A)
      case UInt8(ascii: "r"): text.append(0x0D)
      case UInt8(ascii: "t"): text.append(0x09)
      case UInt8(ascii: "u"):
        var value = hexValue(at: index) ?? 0
        index += 4
        if (0xD800..<0xDC00).contains(value) {
          // scanString has checked that a low surrogate follows.
          value = 0x10000 + (value - 0xD800) << 10 + ((hexValue(at: index + 2) ?? 0) - 0xDC00)
          index += 6
        }
        UTF8.encode(Unicode.Scalar(value) ?? "\u{FFFD}") { text.append($0) }
      default: text.append(escaped)  // '"', '\' or '/'
      }
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// Whether `string` is `literal`, compared without allocating when it has no escapes.
  func text(of string: StringToken, is literal: String) -> Bool {
    if string.isEscaped { return text(of: string) == literal }
    return string.contents.count == literal.utf8.count
      && bytes[string.contents].elementsEqual(literal.utf8)
  }

  /// Checks and steps over the escape sequence whose backslash is next.
  private mutating func scanEscape() throws {
    guard index + 1 < bytes.count else { throw invalid("the string ends inside an escape") }
    switch bytes[index + 1] {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
      UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
      index += 2
    case UInt8(ascii: "u"):
      guard let value = hexValue(at: index + 2) else {
        throw invalid("'\\u' must be followed by four hexadecimal digits")
      }
      switch value {
      case 0xD800..<0xDC00:
        guard bytes.count - index >= 12, bytes[index + 6] == UInt8(ascii: "\\"),
          bytes[index + 7] == UInt8(ascii: "u"), let low = hexValue(at: index + 8),
          (0xDC00..<0xE000).contains(low)
        else {
          throw invalid(
            "'\\u\(hex(value))' is a lone high surrogate (it must be followed by a low one, "
              + "\\uDC00 to \\uDFFF)")
        }
        index += 12
      case 0xDC00..<0xE000:
        throw invalid(
          "'\\u\(hex(value))' is a lone low surrogate (it must follow a high one, "
            + "\\uD800 to \\uDBFF)")
      default: index += 6
      }
    default:
      throw invalid(
        "invalid escape: '\\' followed by \(describeByte(in: bytes, at: index + 1)) in a string")
    }
  }

  /// The value of the four hexadecimal digits at `position` in `bytes`, if they are there.
  private func hexValue(at position: Int) -> UInt32? {
    guard position >= 0, bytes.count - position >= 4 else { return nil }
    var value: UInt32 = 0
    for byte in bytes[position..<position + 4] {
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: return nil
      }
      value = value << 4 | UInt32(digit)
    }
    return value
  }

  /// `value` as four upper-case hexadecimal digits.
  private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  /// Checks and steps over the UTF-8 sequence of two to four bytes whose first byte is next,
  /// refusing overlong forms, surrogates and values beyond U+10FFFF, as UTF-8 does.
  private mutating func scanUTF8Sequence() throws {
    let length: Int
    let second: ClosedRange<UInt8>
    switch bytes[index] {
    case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
    case 0xE0: (length, second) = (3, 0xA0...0xBF)
    case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
    case 0xED: (length, second) = (3, 0x80...0x9F)
    case 0xF0: (length, second) = (4, 0x90...0xBF)
    case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
    case 0xF4: (length, second) = (4, 0x80...0x8F)
    default:
      throw invalid("byte 0x\(String(bytes[index], radix: 16)) in a string is not UTF-8")
    }
    guard bytes.count - index >= length, second.contains(bytes[index + 1]),
      bytes[index + 2..<index + length].allSatisfy({ (0x80...0xBF).contains($0) })
    else {
      throw invalid(
        "the bytes of a string from here are not UTF-8 (a sequence starting with byte 0x"
          + "\(String(bytes[index], radix: 16)) is broken)")
    }
    index += length
  }
}
