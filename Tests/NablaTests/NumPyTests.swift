import Foundation
import Testing

@testable import Nabla

@Suite struct NumPyTests {
  /// The header numpy writes for `descr` and `shape`, padded to a multiple of 64 bytes as
  /// numpy 2 pads it (with room for the first dimension to grow to 21 digits).
  func numpyHeader(_ descr: String, _ shape: String, firstSize: String? = nil) -> String {
    var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    if let firstSize { text += String(repeating: " ", count: 21 - firstSize.count) }
    let padding = 64 - (10 + text.utf8.count + 1) % 64
    return text + String(repeating: " ", count: padding) + "\n"
  }

  /// A hostile header's strings are quoted in part: a descr of a megabyte gives a short message.
  @Test func errorsQuoteAtMostAHundredCharactersOfTheFile() throws {
    let directory = try TemporaryDirectory()
    let huge = String(repeating: "x", count: 1_000_000)
    let cases = [
      ("descr.npy", "{'descr': '\(huge)', 'fortran_order': False, 'shape': (1,), }\n"),
      ("key.npy", "{'\(huge)': 1, 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n"),
      ("value.npy", "{'descr': '<f4', 'fortran_order': '\(huge)', 'shape': (1,), }\n"),
    ]
    for (name, header) in cases {
      let url = try directory.write(numpyBytes(header: header, major: 2), to: name)
      let error = expectFileError(url, "'xxxxxxxxxx", "(and 999900 more characters)") {
        _ = try Tensor(numpyFile: url)
      }
      #expect(
        (error?.description.count ?? .max) < 400, "\(name): \(error?.description.prefix(500) ?? "")"
      )
    }
  }

  @Test(arguments: DType.allCases.filter { $0 != .bfloat16 })
  func roundTripsEveryShape(dtype: DType) throws {
    let directory = try TemporaryDirectory()
    for shape in sampleShapes {
      let tensor = sampleTensor(shape, dtype: dtype)
      let url = directory.file("t.npy")
      try tensor.writeNumPy(to: url)
      expectIdentical(try Tensor(numpyFile: url), tensor)
    }
  }

  @Test func writesTheBytesNumPyWrites() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("m.npy")
    try Tensor([1, -2, 0.5, 3.25, 0, 8], shape: [2, 3]).writeNumPy(to: url)
    let expected = numpyBytes(
      header: numpyHeader("<f4", "(2, 3)", firstSize: "2"),
      data: littleEndianBytes([1, -2, 0.5, 3.25, 0, 8] as [Float]))
    let written = [UInt8](try Data(contentsOf: url))
    #expect(written == expected)
    #expect(written.count == 128 + 24)
    #expect(written[8] == 118 && written[9] == 0)  // the header length, little-endian

    try Tensor(scalar: 2.5, dtype: .float64).writeNumPy(to: url)
    #expect(
      [UInt8](try Data(contentsOf: url))
        == numpyBytes(header: numpyHeader("<f8", "()"), data: littleEndianBytes([2.5] as [Double])))

    try Tensor(indices: [7, -1, 3]).writeNumPy(to: url)
    #expect(
      [UInt8](try Data(contentsOf: url))
        == numpyBytes(
          header: numpyHeader("<i8", "(3,)", firstSize: "3"),
          data: [7, -1, 3].flatMap { littleEndianBytes(Int64($0)) }))
  }

  @Test func longHeadersUseVersionTwo() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("long.npy")
    let shape = [Int](repeating: 1, count: 22_000)  // about 66,000 header characters
    let tensor = Tensor.full(shape, value: 4)
    try tensor.writeNumPy(to: url)
    let bytes = [UInt8](try Data(contentsOf: url))
    #expect(bytes[6] == 2 && bytes[7] == 0)
    #expect((bytes.count - 4) % 64 == 0)
    expectIdentical(try Tensor(numpyFile: url), tensor)
  }

  @Test func readsHeadersWrittenOtherWays() throws {
    let directory = try TemporaryDirectory()
    let data = littleEndianBytes([1.5, -2] as [Double])
    let headers: [(String, UInt8)] = [
      ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", 1),
      ("{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f8\"}", 1),  // any order
      ("{'descr':'<f8','fortran_order':False,'shape':(2L,)}\t\r\n   ", 1),  // Python 2's 2L
      ("  {'descr': '<f8', 'fortran_order': False, 'shape': ( 2 , ) }  \n", 2),
      ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", 3),
    ]
    for (header, major) in headers {
      let url = try directory.write(
        numpyBytes(header: header, data: data, major: major), to: "h.npy")
      let tensor = try Tensor(numpyFile: url)
      #expect(tensor.shape == [2] && tensor.dtype == .float64 && tensor.scalars == [1.5, -2])
    }
    let url = try directory.write(
      numpyBytes(header: "{'descr': '<i8', 'fortran_order': False, 'shape': (0, 3)}"), to: "e.npy")
    #expect(try Tensor(numpyFile: url).shape == [0, 3])
  }

  /// Each malformed file throws an error naming the file and the problem.
  @Test func rejectsMalformedFiles() throws {
    let directory = try TemporaryDirectory()
    let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    let data = littleEndianBytes([1, 2] as [Float])
    func check(
      _ bytes: [UInt8], _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
      let url = try directory.write(bytes, to: "bad.npy")
      for fragment in fragments {
        expectFileError(url, fragment, sourceLocation: sourceLocation) {
          _ = try Tensor(numpyFile: url)
        }
      }
    }
    func header(_ text: String) -> [UInt8] { numpyBytes(header: text, data: data) }

    try check([], "truncated: the file has 0 bytes")
    try check([0x93, 0x4E, 0x55], "truncated: the file has 3 bytes")
    try check(Array("PK\u{3}\u{4}zipfile".utf8), "is not a .npy file")
    try check(numpyBytes(header: good, data: data, major: 4), "unsupported .npy format version 4.0")
    try check(
      numpyBytes(header: good, data: data).prefix(9).map { $0 }, "truncated", "header length")
    var lying = numpyBytes(header: good, data: data)
    lying[8] = 0xFF
    lying[9] = 0xFF
    try check(lying, "header length 65535 (at byte 8) goes beyond the end of the file")
    var lyingV2 = numpyBytes(header: good, data: data, major: 2)
    lyingV2.replaceSubrange(8..<12, with: [0xFF, 0xFF, 0xFF, 0xFF])
    try check(lyingV2, "header length 4294967295")
    try check(header("['descr', '<f4']"), "expected a dictionary, found a list")
    try check(header("{'descr': '<f4', 'shape': (2,)}"), "the key 'fortran_order' is missing")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}"),
      "unexpected key 'extra'")
    try check(
      header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}"),
      "the key 'descr' appears twice")
    try check(header("{1: '<f4'}"), "keys must be strings")
    try check(
      header("{'descr': '<u2', 'fortran_order': False, 'shape': (2,)}"), "unsupported dtype '<u2'")
    try check(
      header("{'descr': '>c8', 'fortran_order': False, 'shape': (2,)}"), "unsupported dtype '>c8'")
    try check(
      header("{'descr': '|V2', 'fortran_order': False, 'shape': (2,)}"), "unsupported dtype '|V2'")
    try check(
      header("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,)}"),
      "structured arrays")
    try check(
      header("{'descr': 4, 'fortran_order': False, 'shape': (2,)}"), "'descr' must be a string")
    try check(
      header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}"), "Fortran-order")
    try check(
      header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}"),
      "'fortran_order' must be True or False")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}"),
      "'shape' must be a tuple, found the integer 2")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}"), "'shape' must be a tuple")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}"),
      "shape sizes must be non-negative integers")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}"),
      "shape sizes must be non-negative integers")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}"),
      "only decimal integers are supported")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
      "the integer is too large")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 0)}"),
      "is too large")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,)}"),
      "truncated: the float32 array of shape [1000000000000] needs 4000000000000 bytes")
    try check(
      header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}"),
      "needs 12 bytes of data after the header", "only 8 remain")
    try check(
      numpyBytes(header: good, data: data + [0, 0, 0]), "has 3 unexpected bytes after the data")
    try check(header("{'descr': '<f4"), "the string is not closed")
    try check(header("{'descr': '<\\x66'}"), "escape sequences")
    try check(header("{'descr' '<f4'}"), "expected ':' after a key, found '''")
    try check(header("{'descr': '<f4' 'shape': (2,)}"), "expected ',' or '}'")
    try check(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x"), "unexpected 'x'")
    try check(header("{'descr': '<f4', 'fortran_order': false}"), "unexpected name 'false'")
    try check(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,"), "found the end")
    try check(
      numpyBytes(header: String(repeating: "(", count: 100_000), major: 2), "nested too deeply")
    try check(header("{'descr': \u{1}}"), "found byte 0x1")
    try check(header(""), "expected a value, found the end of the header")
  }

  @Test func reportsWhereInTheHeader() throws {
    let directory = try TemporaryDirectory()
    let url = try directory.write(numpyBytes(header: "{'descr' x"), to: "where.npy")
    // The header starts at byte 10; the 'x' is its 10th character.
    expectFileError(url, "header at byte 19: expected ':' after a key, found 'x'") {
      _ = try Tensor(numpyFile: url)
    }
  }

  @Test func rejectsPathsThatAreNotFiles() throws {
    let directory = try TemporaryDirectory()
    let missing = directory.file("missing.npy")
    expectFileError(missing, "cannot be opened: No such file or directory") {
      _ = try Tensor(numpyFile: missing)
    }
    expectFileError(directory.url, "is a directory") { _ = try Tensor(numpyFile: directory.url) }
    let remote = try #require(URL(string: "https://example.com/x.npy"))
    expectFileError(remote, "is not a file URL") { _ = try Tensor(numpyFile: remote) }
  }

  /// A failed save leaves the previous file as it was and no temporary file behind.
  @Test func failedSaveKeepsThePreviousFile() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("keep.npy")
    try Tensor([1, 2, 3]).writeNumPy(to: url)
    let before = try Data(contentsOf: url)

    // The target is a directory: the rename fails after the data is written.
    let blocked = directory.file("blocked.npy")
    try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: false)
    expectFileError(blocked, "cannot be saved", "cannot replace the file") {
      try Tensor([4, 5]).writeNumPy(to: blocked)
    }
    // The parent is a file.
    let impossible = url.appendingPathComponent("inside.npy")
    expectFileError(impossible, "cannot be saved", "cannot create a temporary file") {
      try Tensor([4, 5]).writeNumPy(to: impossible)
    }
    #expect(try Data(contentsOf: url) == before)
    #expect(try directory.contents() == ["blocked.npy", "keep.npy"])
  }
}
