import Foundation
import Testing

@testable import Nabla

@Suite struct SafeTensorsTests {
  @Test func roundTripsEveryDtypeAndShapeWithMetadata() throws {
    let directory = try TemporaryDirectory()
    var tensors: [String: Tensor] = [:]
    for dtype in DType.allCases {
      for (index, shape) in sampleShapes.enumerated() {
        tensors["\(dtype).\(index)"] = sampleTensor(shape, dtype: dtype)
      }
    }
    tensors["odd \"name\"\n\\ é ✓ \u{1}"] = Tensor([1])
    tensors[""] = Tensor(indices: [5])
    let metadata = ["epoch": "3", "quote\"": "line\nbreak\t\u{7}\\ ünïcode", "": ""]
    let url = directory.file("all.safetensors")
    try SafeTensors.write(tensors, metadata: metadata, to: url)
    let (read, readMetadata) = try SafeTensors.read(from: url)
    #expect(readMetadata == metadata)
    #expect(Set(read.keys) == Set(tensors.keys))
    for (name, tensor) in tensors { expectIdentical(read[name], tensor) }
  }

  @Test func emptyFilesRoundTrip() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("empty.safetensors")
    try SafeTensors.write([:], to: url)
    #expect([UInt8](try Data(contentsOf: url)) == safeTensorsBytes(header: "{}      "))
    let (tensors, metadata) = try SafeTensors.read(from: url)
    #expect(tensors.isEmpty && metadata.isEmpty)
  }

  /// The layout of the reference implementation: `I64`, then `F64`, then `F32` tensors, each
  /// group by name; metadata first; compact JSON; header padded with spaces to 8 bytes.
  @Test func writesTheReferenceLayout() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("layout.safetensors")
    try SafeTensors.write(
      [
        "b": Tensor([1, 2]), "a": Tensor([0.5], shape: [1, 1], dtype: .float64),
        "c": Tensor(indices: [3]), "z": Tensor(scalar: -1), "e": Tensor.zeros([0, 3]),
      ],
      metadata: ["k": "v\""], to: url)
    let header =
      #"{"__metadata__":{"k":"v\""},"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"#
      + #""a":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]},"#
      + #""b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"#
      + #""e":{"dtype":"F32","shape":[0,3],"data_offsets":[24,24]},"#
      + #""z":{"dtype":"F32","shape":[],"data_offsets":[24,28]}}"#
    #expect(header.utf8.count == 303)
    let padded = header + " "
    let data =
      littleEndianBytes(Int64(3)) + littleEndianBytes([0.5] as [Double])
      + littleEndianBytes([1, 2, -1] as [Float])
    #expect([UInt8](try Data(contentsOf: url)) == safeTensorsBytes(header: padded, data: data))
  }

  @Test func readsHandMadeFiles() throws {
    let directory = try TemporaryDirectory()
    // Whitespace, any key order, extra keys and a metadata object are all fine.
    let header = """
      { "x" : { "shape": [2, 1], "data_offsets": [8, 16], "dtype": "F32", "extra": null },
        "__metadata__": {"a": "b"},
        "n": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]} }
      """
    let data = littleEndianBytes(Int64(-9)) + littleEndianBytes([1.5, -3] as [Float])
    let url = try directory.write(safeTensorsBytes(header: header, data: data), to: "h.safetensors")
    let (tensors, metadata) = try SafeTensors.read(from: url)
    #expect(metadata == ["a": "b"])
    #expect(tensors["x"]?.shape == [2, 1] && tensors["x"]?.scalars == [1.5, -3])
    #expect(tensors["n"]?.shape == [] && tensors["n"]?.dtype == .int64 && tensors["n"]?.item == -9)
  }

  /// Each malformed file throws an error naming the file and the problem.
  @Test func rejectsMalformedFiles() throws {
    let directory = try TemporaryDirectory()
    let four = littleEndianBytes([1, 2, 3, 4] as [Float])
    func check(
      _ bytes: [UInt8], _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
      let url = try directory.write(bytes, to: "bad.safetensors")
      for fragment in fragments {
        expectFileError(url, fragment, sourceLocation: sourceLocation) {
          _ = try SafeTensors.read(from: url)
        }
      }
    }
    func entry(_ body: String, data: [UInt8] = four) -> [UInt8] {
      safeTensorsBytes(header: #"{"t":{"# + body + "}}", data: data)
    }
    let good = #""dtype":"F32","shape":[2,2],"data_offsets":[0,16]"#
    let url = try directory.write(entry(good), to: "good.safetensors")
    #expect(try SafeTensors.read(from: url).tensors["t"]?.scalars == [1, 2, 3, 4])

    try check([], "truncated: the file has 0 bytes, fewer than the 8 of the header length")
    try check([1, 0, 0], "the file has 3 bytes")
    try check(
      littleEndianBytes(UInt64(100)) + Array("{}".utf8),
      "header length 100 (at byte 0) goes beyond the end of the file (10 bytes)")
    try check(
      littleEndianBytes(UInt64.max) + Array("{}".utf8), "header length 18446744073709551615")
    try check(entry(good).dropLast(3).map { $0 }, "go beyond the 13 bytes of data", "truncated")
    try check(safeTensorsBytes(header: "[1, 2]"), "does not start with '{'")
    try check(safeTensorsBytes(header: " {}"), "does not start with '{'")
    try check(safeTensorsBytes(header: ""), "does not start with '{'")
    try check(safeTensorsBytes(header: #"{"t": {"dtype": "F32",}"#), "is not valid JSON")
    try check(safeTensorsBytes(header: "{}\u{0}\u{0}"), "is not valid JSON")
    try check([2, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF], "is not valid JSON")
    try check(safeTensorsBytes(header: #"{"t": [1, 2]}"#), "tensor 't': the entry is not an object")
    try check(safeTensorsBytes(header: #"{"t": "F32"}"#), "tensor 't': the entry is not an object")
    try check(entry(#""shape":[2,2],"data_offsets":[0,16]"#), "'dtype' is missing or not a string")
    try check(entry(#""dtype":32,"shape":[2,2],"data_offsets":[0,16]"#), "'dtype' is missing")
    try check(
      entry(
        #""dtype":"U16","shape":[4],"data_offsets":[0,8]"#, data: [UInt8](repeating: 0, count: 8)),
      "tensor 't': unsupported dtype 'U16' (supported: BOOL, U8, I8, F16, BF16, I32, F32, F64, I64)"
    )
    try check(
      entry(#""dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]"#), "unsupported dtype 'F8_E4M3'")
    try check(entry(#""dtype":"F32","data_offsets":[0,16]"#), "'shape' is missing or not an array")
    try check(entry(#""dtype":"F32","shape":"4","data_offsets":[0,16]"#), "'shape' is missing")
    try check(
      entry(#""dtype":"F32","shape":[-4],"data_offsets":[0,16]"#),
      "'shape' must hold non-negative integers")
    try check(
      entry(#""dtype":"F32","shape":[4.0],"data_offsets":[0,16]"#),
      "'shape' must hold non-negative integers")
    try check(
      entry(#""dtype":"F32","shape":[2.5],"data_offsets":[0,16]"#),
      "'shape' must hold non-negative integers")
    try check(
      entry(#""dtype":"F32","shape":[true],"data_offsets":[0,16]"#),
      "'shape' must hold non-negative integers")
    try check(
      entry(#""dtype":"F32","shape":[1e30],"data_offsets":[0,16]"#),
      "'shape' must hold non-negative integers")
    try check(
      entry(#""dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,16]"#),
      "'shape' must hold non-negative integers")
    try check(
      entry(#""dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]"#, data: []),
      "shape [4294967296, 4294967296, 0] is too large")
    try check(
      entry(#""dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,16]"#),
      "is too large")
    try check(
      entry(#""dtype":"F32","shape":[4]"#), "'data_offsets' must be two non-negative integers")
    try check(entry(#""dtype":"F32","shape":[4],"data_offsets":[0]"#), "'data_offsets' must be two")
    try check(
      entry(#""dtype":"F32","shape":[4],"data_offsets":[0,16,16]"#), "'data_offsets' must be two")
    try check(
      entry(#""dtype":"F32","shape":[4],"data_offsets":[-16,0]"#), "'data_offsets' must be two")
    try check(
      entry(#""dtype":"F32","shape":[4],"data_offsets":{"0":16}"#), "'data_offsets' must be two")
    try check(
      entry(#""dtype":"F32","shape":[4],"data_offsets":[16,0]"#),
      "data_offsets [16, 0] end before they begin")
    try check(
      entry(#""dtype":"F32","shape":[4],"data_offsets":[0,1000000000000]"#),
      "data_offsets [0, 1000000000000] go beyond the 16 bytes of data")
    try check(
      entry(#""dtype":"F32","shape":[3],"data_offsets":[0,16]"#),
      "data_offsets [0, 16] hold 16 bytes, but shape [3] of F32 needs 12")
    try check(
      entry(#""dtype":"F64","shape":[3],"data_offsets":[0,16]"#), "shape [3] of F64 needs 24")
    try check(
      safeTensorsBytes(
        header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"#
          + #""b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}"#, data: four),
      "tensors 'a' (data_offsets [0, 12]) and 'b' ([4, 16]) overlap")
    try check(
      safeTensorsBytes(
        header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"#
          + #""b":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: four),
      "overlap")
    try check(
      safeTensorsBytes(
        header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
          + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, data: four),
      "data bytes 4 to 8 belong to no tensor (a gap before 'b')")
    try check(
      entry(#""dtype":"F32","shape":[1],"data_offsets":[4,8]"#, data: four),
      "data bytes 0 to 4 belong to no tensor")
    try check(
      entry(#""dtype":"F32","shape":[3],"data_offsets":[0,12]"#),
      "the last 4 bytes of data (from data byte 12) belong to no tensor")
    try check(safeTensorsBytes(header: "{}", data: [0]), "the last 1 bytes of data")
    try check(safeTensorsBytes(header: #"{"__metadata__":[]}"#), "'__metadata__' is not an object")
    try check(
      safeTensorsBytes(header: #"{"__metadata__":{"a":"b","n":1}}"#),
      "'__metadata__' entry 'n' is not a string")
  }

  /// A header length above the format's 100 MB limit is refused before the header is read.
  @Test func rejectsHugeHeaders() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("huge.safetensors")
    let handle = try FileHandle(forWritingTo: try directory.write([], to: "huge.safetensors"))
    try handle.write(contentsOf: littleEndianBytes(UInt64(100_000_001)))
    try handle.truncate(atOffset: 100_000_016)  // sparse: no disk space used
    try handle.close()
    expectFileError(url, "header length 100000001 exceeds the format's limit") {
      _ = try SafeTensors.read(from: url)
    }
  }

  @Test func rejectsReservedNamesWithoutTouchingTheFile() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("keep.safetensors")
    try SafeTensors.write(["a": Tensor([1])], to: url)
    let before = try Data(contentsOf: url)
    expectFileError(url, "'__metadata__' is reserved") {
      try SafeTensors.write(["__metadata__": Tensor([1])], to: url)
    }
    #expect(try Data(contentsOf: url) == before)
  }

  /// However a save fails, the previous file stays as it was and no temporary file is left.
  @Test func failedSaveKeepsThePreviousFile() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("model.safetensors")
    try SafeTensors.write(["w": Tensor([1, 2, 3])], to: url)
    let before = try Data(contentsOf: url)

    // Failing halfway through writing.
    struct Interrupted: Error {}
    #expect(throws: Interrupted.self) {
      try AtomicFileWriter.write(to: url) { writer in
        try writer.write([1, 2, 3, 4])
        throw Interrupted()
      }
    }
    // The parent is a file.
    let impossible = url.appendingPathComponent("x.safetensors")
    expectFileError(impossible, "cannot be saved") {
      try SafeTensors.write(["w": Tensor([4])], to: impossible)
    }
    // The target is a directory.
    let folder = directory.file("folder")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
    expectFileError(folder, "cannot be saved") {
      try SafeTensors.write(["w": Tensor([4])], to: folder)
    }
    #expect(try Data(contentsOf: url) == before)
    #expect(try directory.contents() == ["folder", "model.safetensors"])
  }

  /// In a directory the process cannot write to (not testable as root, who can write anywhere).
  @Test(.enabled(if: getuid() != 0))
  func failedSaveInAReadOnlyDirectoryKeepsThePreviousFile() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("model.safetensors")
    try SafeTensors.write(["w": Tensor([1, 2, 3])], to: url)
    let before = try Data(contentsOf: url)
    try FileManager.default.setAttributes(
      [.posixPermissions: 0o500], ofItemAtPath: directory.url.path)
    defer {
      try? FileManager.default.setAttributes(
        [.posixPermissions: 0o700], ofItemAtPath: directory.url.path)
    }
    expectFileError(url, "cannot be saved", "Permission denied") {
      try SafeTensors.write(["w": Tensor([4])], to: url)
    }
    #expect(try Data(contentsOf: url) == before)
  }

  @Test func replacingKeepsPermissions() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("shared.safetensors")
    try SafeTensors.write(["w": Tensor([1])], to: url)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    try SafeTensors.write(["w": Tensor([2])], to: url)
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    #expect(try SafeTensors.read(from: url).tensors["w"]?.scalars == [2])
  }
}
