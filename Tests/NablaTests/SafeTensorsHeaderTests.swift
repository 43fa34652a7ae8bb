import Foundation
import Testing

@testable import Nabla

/// The JSON of safetensors headers, parsed by Nabla's own parser: what RFC 8259 allows is read,
/// what it refuses is refused with the byte of the file where the problem is, and what the
/// format does not allow (duplicates, too many tensors for the data) is refused as it is read.
@Suite struct SafeTensorsHeaderTests {
  let directory: TemporaryDirectory

  init() throws { directory = try TemporaryDirectory() }

  /// An entry for tensor `t` of four float32 elements, with `shape` and `offsets` as given.
  static func entry(shape: String = "[4]", offsets: String = "[0,16]") -> String {
    #"{"t":{"dtype":"F32","shape":"# + shape + #","data_offsets":"# + offsets + "}}"
  }

  /// Four float32 elements.
  static let four = littleEndianBytes([1, 2, 3, 4] as [Float])

  /// The position in the file of the first `needle` in `header` (which starts at byte 8).
  static func position(of needle: String, in header: String) -> Int {
    let (bytes, target) = (Array(header.utf8), Array(needle.utf8))
    let index = (0...bytes.count - target.count).first {
      bytes[$0..<$0 + target.count].elementsEqual(target)
    }
    return 8 + (index ?? -8)
  }

  /// Reads a file made of `header` and `data`.
  func read(_ header: [UInt8], data: [UInt8] = []) throws -> (
    tensors: [String: Tensor], metadata: [String: String]
  ) {
    let url = try directory.write(
      littleEndianBytes(UInt64(header.count)) + header + data, to: "h.safetensors")
    return try SafeTensors.read(from: url)
  }

  /// Checks that reading a file made of `header` and `data` throws an error holding
  /// `fragment`, and returns the error's text.
  @discardableResult
  func expectRefused(
    _ header: [UInt8], data: [UInt8] = [], _ fragment: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> String {
    let url = try directory.write(
      littleEndianBytes(UInt64(header.count)) + header + data, to: "bad.safetensors")
    let error = expectFileError(url, fragment, sourceLocation: sourceLocation) {
      _ = try SafeTensors.read(from: url)
    }
    return error?.description ?? ""
  }

  /// The same for a header given as text.
  @discardableResult
  func expectRefused(
    _ header: String, data: [UInt8] = [], _ fragment: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> String {
    try expectRefused(Array(header.utf8), data: data, fragment, sourceLocation: sourceLocation)
  }

  @Test func namesWithEscapesRoundTrip() throws {
    let names = [
      "line\nbreak", "tab\t", "quote\"", "back\\slash", "/", "\u{1}\u{1F}", "é", "😀", "\u{7F}",
      "\u{FFFF}", "\u{10FFFF}",
    ]
    var tensors: [String: Tensor] = [:]
    for (index, name) in names.enumerated() { tensors[name] = Tensor([Float(index)]) }
    let url = directory.file("escapes.safetensors")
    try SafeTensors.write(tensors, metadata: ["😀\n": "\u{0}é"], to: url)
    let (read, metadata) = try SafeTensors.read(from: url)
    #expect(metadata == ["😀\n": "\u{0}é"])
    #expect(Set(read.keys) == Set(names))
    for (name, tensor) in tensors { expectIdentical(read[name], tensor) }
  }

  @Test func decodesEveryEscape() throws {
    let name = #"\"\\\/\b\f\n\r\t\u00e9\u00E9\ud83d\ude00\uD83D\uDE00\u0000é😀"#
    let header = "{\"\(name)\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}"
    let (tensors, _) = try read(Array(header.utf8), data: littleEndianBytes([7] as [Float]))
    #expect(Array(tensors.keys) == ["\"\\/\u{8}\u{C}\n\r\téé😀😀\u{0}é😀"])
    // Escaped keys of an entry and of the metadata are the keys they spell.
    let escapedKeys =
      #"{"\u005f_metadata__":{"k":"v"},"t":{"d\u0074ype":"F32","shape":[],"#
      + #""data_offsets":[0,4]}}"#
    let (named, metadata) = try read(
      Array(escapedKeys.utf8), data: littleEndianBytes([1] as [Float]))
    #expect(named["t"]?.scalars == [1] && metadata == ["k": "v"])
  }

  @Test func readsWhitespaceWhereverJSONAllowsIt() throws {
    let header =
      "{ \t\n\r\"t\" \n:\t{ \"dtype\" :\r\"F32\" , \"shape\"\n: [ 2 ,\t2 ] ,\"data_offsets\": "
      + "[ 0 , 16 ] } \n} \t\r\n  "
    #expect(try read(Array(header.utf8), data: Self.four).tensors["t"]?.shape == [2, 2])
  }

  @Test func skipsUnknownKeysOfAnyValue() throws {
    let header =
      #"{"t":{"extra":{"a":[1,-2.5e-3,{"b":null}],"c":"\u00e9","d":[]},"dtype":"F32","#
      + #""more":[true,false,0,-0,1E+2,"x"],"shape":[4],"data_offsets":[0,16],"last":{}}}"#
    #expect(try read(Array(header.utf8), data: Self.four).tensors["t"]?.scalars == [1, 2, 3, 4])
    // What is skipped is still checked.
    let broken = #"{"t":{"extra":[1,],"dtype":"F32"}}"#
    try expectRefused(
      broken,
      "header at byte \(Self.position(of: "]", in: broken)) is not valid JSON: expected "
        + "a value, found ']'")
    try expectRefused(#"{"t":{"extra":01}}"#, "header at byte 23 is not valid JSON")
    try expectRefused(#"{"t":{"extra":1.}}"#, "header at byte 24 is not valid JSON")
    try expectRefused(#"{"t":{"extra":tru}}"#, "header at byte 22 is not valid JSON")
    // 64 nested arrays are fine; 65 are too deep.
    let nested = { (depth: Int) in
      #"{"t":{"x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        + #","dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
    }
    #expect(try read(Array(nested(64).utf8), data: Self.four).tensors.count == 1)
    try expectRefused(
      nested(65), "header at byte 82: arrays and objects are nested too deeply (more than 64")
  }

  @Test func refusesStringsThatAreNotJSON() throws {
    let cases: [(String, String)] = [
      (#"\x"#, #"invalid escape: '\' followed by 'x'"#),
      (#"\u12"#, #"'\u' must be followed by four hexadecimal digits"#),
      (#"\u12G4"#, #"'\u' must be followed by four hexadecimal digits"#),
      (#"\ud83d"#, #"'\uD83D' is a lone high surrogate"#),
      (#"\ud83d\u0041"#, #"'\uD83D' is a lone high surrogate"#),
      (#"\ud83dx\ude00"#, #"'\uD83D' is a lone high surrogate"#),
      (#"\ude00"#, #"'\uDE00' is a lone low surrogate"#),
      ("\u{1}", "control character 0x1 in a string (it must be escaped)"),
      ("\n", "control character 0xa in a string"),
      ("\t", "control character 0x9 in a string"),
    ]
    for (text, problem) in cases {
      try expectRefused(
        "{\"ab\(text)\":{}}", "header at byte 12 is not valid JSON: \(problem)")
    }
    try expectRefused(#"{"ab"#, "header at byte 9 is not valid JSON: the string starting here")
    try expectRefused(#"{"ab\"#, "header at byte 12 is not valid JSON: the string ends inside")
  }

  @Test func refusesBytesThatAreNotUTF8() throws {
    let sequences: [[UInt8]] = [
      [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
      [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],
      [0xE2, 0x82], [0xE2, 0x28, 0xA1], [0xC3],
    ]
    for sequence in sequences {
      let header = Array(#"{"ab"#.utf8) + sequence + Array(#"":{}}"#.utf8)
      try expectRefused(header, "header at byte 12 is not valid JSON: ")
      try expectRefused(header, "UTF-8")
    }
    // The largest of each length are UTF-8.
    let valid = Array(#"{"\#u{7F}\#u{7FF}\#u{FFFF}\#u{10FFFF}""#.utf8) + Array(#":{}}"#.utf8)
    try expectRefused(valid, "'dtype' is missing")
  }

  @Test func refusesNumbersThatAreNotSizes() throws {
    for value in [
      "1e3", "1E3", "2.5", "4.0", "-1", "-0", "18446744073709551616", "9223372036854775808",
      "true", "null", "\"4\"", "[4]", "{}",
    ] {
      let shape = Self.entry(shape: "[1,\(value)]")
      try expectRefused(
        shape, data: Self.four,
        "header at byte \(Self.position(of: value, in: shape)): tensor 't': 'shape' must hold "
          + "non-negative integers")
      let offsets = Self.entry(shape: "[2,2]", offsets: "[\(value),16]")
      try expectRefused(
        offsets, data: Self.four,
        "header at byte \(Self.position(of: value, in: offsets)): tensor 't': 'data_offsets' "
          + "must be two non-negative integers [begin, end]")
    }
    try expectRefused(Self.entry(shape: "[01]"), "header at byte 37 is not valid JSON")
    try expectRefused(
      Self.entry(shape: "[9223372036854775807]"), data: Self.four,
      "shape [9223372036854775807] is too large")
    try expectRefused(
      Self.entry(offsets: "[0]"), "header at byte 55: tensor 't': 'data_offsets' must be two")
    try expectRefused(
      Self.entry(offsets: "[0,16,16]"), "header at byte 61: tensor 't': 'data_offsets' must be")
  }

  @Test func limitsTheRank() throws {
    let ones = { (rank: Int) in Array(repeating: "1", count: rank).joined(separator: ",") }
    let largest = Self.entry(shape: "[\(ones(63)),4]")
    #expect(try read(Array(largest.utf8), data: Self.four).tensors["t"]?.shape.count == 64)
    let tooMany = Self.entry(shape: "[\(ones(64)),4]")
    try expectRefused(
      tooMany, data: Self.four,
      "header at byte \(Self.position(of: "4]", in: tooMany)): tensor 't': 'shape' has more "
        + "than 64 dimensions")
  }

  @Test func refusesDuplicates() throws {
    let tensor = #"{"dtype":"F32","shape":[4],"data_offsets":[0,16]}"#
    let twice = #"{"t":"# + tensor + #","t":"# + tensor + "}"
    try expectRefused(twice, data: Self.four, "header at byte 63: tensor 't' appears twice")
    // Spelt differently, the same name.
    let escaped = #"{"t":"# + tensor + #","\u0074":"# + tensor + "}"
    try expectRefused(escaped, data: Self.four, "header at byte 63: tensor 't' appears twice")
    for key in ["dtype", "shape", "data_offsets"] {
      let value = ["dtype": "\"F32\"", "shape": "[4]", "data_offsets": "[0,16]"][key] ?? ""
      let header =
        #"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16],""# + key + #"":"#
        + value + "}}"
      try expectRefused(
        header, data: Self.four,
        "header at byte 62: tensor 't': the key '\(key)' appears twice")
    }
    try expectRefused(
      #"{"__metadata__":{"k":"a","k":"b"}}"#,
      "header at byte 33: '__metadata__' entry 'k' appears twice")
    try expectRefused(
      #"{"__metadata__":{},"__metadata__":{}}"#, "header at byte 27: '__metadata__' appears twice")
  }

  @Test func refusesAnythingButWhitespaceAfterTheObject() throws {
    #expect(try read(Array("{} \n\t\r ".utf8)).tensors.isEmpty)
    for trailing in ["x", "}", ",{}", "{}", "\u{0}", "\u{C}"] {
      try expectRefused(
        "{} " + trailing,
        "header at byte 11 is not valid JSON: expected only whitespace after the closing '}'")
    }
  }

  @Test func refusesMalformedJSONWithItsPosition() throws {
    let cases: [(String, Int, String)] = [
      ("{", 9, "expected a string key, found the end of the header"),
      (#"{"t""#, 12, "expected ':' after a key, found the end of the header"),
      (#"{"t" {}}"#, 13, "expected ':' after a key, found '{'"),
      (#"{1:2}"#, 9, "expected a string key, found '1'"),
      (#"{"t":}"#, 13, "expected a value, found '}'"),
      (#"{"__metadata__":{}"b":{}}"#, 26, "expected ',' or '}' after a value, found '\"'"),
      (#"{"t":{"dtype":"F32",}}"#, 28, "expected a string key, found '}'"),
      (#"{"t":{"dtype":"F32","shape":[4 4]}}"#, 39, "expected ',' or ']' after a value"),
      (#"{"t":{"shape":[1,]}}"#, 25, "expected a value, found ']'"),
      (#"{,}"#, 9, "expected a string key, found ','"),
      (#"{"__metadata__":{"k":"v",}}"#, 33, "expected a string key, found '}'"),
    ]
    for (header, position, problem) in cases {
      try expectRefused(header, "header at byte \(position) is not valid JSON: \(problem)")
    }
  }

  /// A valid file may have 4096 tensors of zero bytes beyond one per byte of data; one more
  /// is refused as soon as it is read.
  @Test func limitsTheNumberOfTensorsByTheData() throws {
    func header(zeroSize: Int, scalars: Int) -> String {
      let empty = (0..<zeroSize).map {
        #""e\#($0)":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"#
      }
      let full = (0..<scalars).map {
        #""s\#($0)":{"dtype":"U8","shape":[],"data_offsets":[\#($0),\#($0 + 1)]}"#
      }
      return "{" + (empty + full).joined(separator: ",") + "}"
    }
    let data = [UInt8](repeating: 0, count: 10_000)
    let many = try read(Array(header(zeroSize: 4096, scalars: 10_000).utf8), data: data)
    #expect(many.tensors.count == 14_096 && many.tensors["s9999"]?.shape == [])
    let tooMany = header(zeroSize: 4097, scalars: 10_000)
    let message = try expectRefused(
      tooMany, data: data,
      "header at byte \(Self.position(of: #""s9999""#, in: tooMany)): the header lists more "
        + "tensors than the 10000 bytes of data can hold (at most 14096: 4096 of zero bytes, "
        + "and one more for each byte of data)")
    #expect(message.count < 500)
  }

  /// Names, dtypes and keys are quoted in errors by their first 100 characters, so a hostile
  /// file cannot make an error as long as itself.
  @Test func hugeNamesKeepErrorsShort() throws {
    let huge = String(repeating: "n", count: 10_000_000)
    let message = try expectRefused("{\"\(huge)\":{}}", "(and 9999900 more characters)")
    #expect(message.count < 500, "\(message.prefix(600))")
    // Every kind of error that quotes a name, a key or a dtype (a megabyte is enough, and quicker).
    let long = String(repeating: "n", count: 1_000_000)
    let tensor = #"{"dtype":"F32","shape":[4],"data_offsets":[0,16]}"#
    let headers = [
      "{\"\(long)\":[]}", "{\"\(long)\":\(tensor),\"\(long)\":\(tensor)}",
      #"{"t":{"dtype":""# + long + #"","shape":[4],"data_offsets":[0,16]}}"#,
      #"{"__metadata__":{""# + long + #"":1}}"#,
      #"{"__metadata__":{""# + long + #"":"","# + #"""# + long + #"":""}}"#,
      #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},""# + long + #"":"# + tensor + "}",
    ]
    for header in headers {
      let message = try expectRefused(header, data: Self.four, "(and 999900 more characters)")
      #expect(message.count < 500, "\(message.prefix(600))")
    }
  }
}
