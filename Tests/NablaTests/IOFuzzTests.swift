import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

/// Thousands of random and mutated files through every reader: each must either read or throw a
/// `TensorFileError`, never trap, hang or allocate what the file does not hold.
@Suite struct IOFuzzTests {
  typealias Generator = FuzzGenerator

  /// A random JSON value, nested at most `depth` deep.
  static func randomJSON(_ random: inout Generator, depth: Int = 3) -> String {
    switch random.below(depth > 0 ? 7 : 4) {
    case 0: return random.pick(FuzzGenerator.interestingIntegers)
    case 1:
      return random.pick([
        "\"F32\"", "\"F64\"", "\"I64\"", "\"BF16\"", "\"\"", "\"__metadata__\"", "\"x\"",
      ])
    case 2:
      return random.pick([
        "true", "false", "null", "-0.0", "1e400", #""\u0000""#, #""\ud83d\ude00""#, #""\ud83d""#,
        #""\ude00x""#, #""\u00e""#, #""\x""#, "\"\u{1}\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]",
      ])
    case 3: return "\"\(random.below(100))\""
    case 4, 5:
      return "["
        + (0..<random.below(4)).map { _ in randomJSON(&random, depth: depth - 1) }.joined(
          separator: ",") + "]"
    default:
      let keys = ["dtype", "shape", "data_offsets", "__metadata__", "t", "u"]
      return "{"
        + (0..<random.below(4)).map { _ in
          "\"\(random.pick(keys))\":" + randomJSON(&random, depth: depth - 1)
        }.joined(separator: ",") + "}"
    }
  }

  /// A random safetensors header that looks nearly right, with random data after it.
  static func randomSafeTensors(_ random: inout Generator) -> [UInt8] {
    var entries: [String] = []
    for index in 0..<random.below(4) {
      let shape =
        "["
        + (0..<random.below(3)).map { _ in
          random.below(4) == 0
            ? random.pick(FuzzGenerator.interestingIntegers) : String(random.below(5))
        }.joined(separator: ",") + "]"
      let begin =
        random.below(3) == 0
        ? random.pick(FuzzGenerator.interestingIntegers) : String(random.below(40))
      let end =
        random.below(3) == 0
        ? random.pick(FuzzGenerator.interestingIntegers) : String(random.below(60))
      let dtype = random.pick(["\"F32\"", "\"F64\"", "\"I64\"", "\"U8\"", "1"])
      // Sometimes a name again, spelt the same or with an escape.
      let name = random.pick(["t\(index)", "t\(index)", "t\(index)", "t0", #"\u0074\#(index)"#])
      entries.append(
        random.below(8) == 0
          ? "\"\(name)\":\(randomJSON(&random))"
          : "\"\(name)\":{\"dtype\":\(dtype),\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
      )
    }
    if random.below(3) == 0 { entries.append("\"__metadata__\":\(randomJSON(&random))") }
    let header =
      random.below(10) == 0 ? randomJSON(&random) : "{" + entries.joined(separator: ",") + "}"
    return safeTensorsBytes(header: header, data: random.bytes(random.below(64)))
  }

  /// A random `.npy` header that looks nearly right, with random data after it.
  static func randomNumPy(_ random: inout Generator) -> [UInt8] {
    let values = [
      "'<f4'", "'<f8'", "'<i8'", "'>f4'", "True", "False", "None", "()", "(2,)", "(1, 2)",
      "(0, 3)", "[1]", "{}", "(-1,)", "(3)", "(99999999999999999999,)", "(4294967296, 4294967296)",
      "'", "((((((", "2L",
    ]
    let keys = ["'descr'", "'fortran_order'", "'shape'", "'other'", "1"]
    let header =
      "{"
      + (0..<random.below(5)).map { _ in "\(random.pick(keys)): \(random.pick(values))" }.joined(
        separator: random.pick([", ", ",", " "]))
      + random.pick(["}", ", }", "", "}}"]) + String(repeating: " ", count: random.below(8))
    return numpyBytes(
      header: header, data: random.bytes(random.below(48)), major: UInt8(1 + random.below(3)))
  }

  /// Runs `read` on `bytes` written to `url`; anything but success or a `TensorFileError` fails.
  static func expectReadsOrThrows(_ bytes: [UInt8], at url: URL, _ read: (URL) throws -> Void)
    throws
  {
    try Data(bytes).write(to: url)
    do {
      try read(url)
    } catch let error as TensorFileError {
      #expect(error.url == url && !error.problem.isEmpty)
    } catch {
      Issue.record("unexpected error \(error) for bytes \(bytes.prefix(200))")
    }
  }

  @Test func numpyReaderSurvivesHostileFiles() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("fuzz.npy")
    var seeds: [[UInt8]] = []
    for (index, shape) in [[], [3], [2, 3], [0, 2]].enumerated() {
      let seedURL = directory.file("seed\(index).npy")
      try sampleTensor(shape, dtype: DType.allCases[index % 3]).writeNumPy(to: seedURL)
      seeds.append([UInt8](try Data(contentsOf: seedURL)))
    }
    seeds.append(
      numpyBytes(
        header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}",
        data: [UInt8](repeating: 0, count: 8), major: 2))
    var random = Generator(state: 1)
    for round in 0..<3000 {
      let bytes =
        round % 4 == 3
        ? Self.randomNumPy(&random)
        : mutated(random.pick(seeds), &random, lengthField: 8..<(round % 2 == 0 ? 10 : 12))
      try Self.expectReadsOrThrows(bytes, at: url) { url in
        let tensor = try Tensor(numpyFile: url)
        #expect(tensor.scalarCount * tensor.dtype.byteCount <= bytes.count)
      }
    }
  }

  @Test func safeTensorsReaderSurvivesHostileFiles() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("fuzz.safetensors")
    let seedURL = directory.file("seed.safetensors")
    try SafeTensors.write(
      [
        "w": sampleTensor([2, 3], dtype: .float32), "b": sampleTensor([3], dtype: .float64),
        "n": sampleTensor([], dtype: .int64), "e": Tensor.zeros([0, 5]),
      ],
      metadata: ["epoch": "3", "note": "fuzz"], to: seedURL)
    let seeds = [[UInt8](try Data(contentsOf: seedURL)), safeTensorsBytes(header: "{}")]
    var random = Generator(state: 2)
    for round in 0..<3000 {
      let bytes =
        round % 4 == 3
        ? Self.randomSafeTensors(&random)
        : mutated(random.pick(seeds), &random, lengthField: 0..<8)
      try Self.expectReadsOrThrows(bytes, at: url) { url in
        let (tensors, _) = try SafeTensors.read(from: url)
        let total = tensors.values.reduce(0) { $0 + $1.scalarCount * $1.dtype.byteCount }
        #expect(total <= bytes.count)
      }
    }
  }

  @Test func checkpointLoaderSurvivesHostileFiles() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("fuzz.ckpt")
    let seedURL = directory.file("seed.ckpt")
    func parts() -> [String: any Checkpointable] {
      [
        "model": FakePart(tensors: ["w": Tensor.zeros([2, 2]), "n": Tensor(indices: [1])]),
        "optimizer": FakePart(tensors: ["m": Tensor([0])], values: ["step": 0, "lr": 0]),
      ]
    }
    try Checkpoint.save(
      [
        "model": FakePart(tensors: [
          "w": Tensor([1, 2, 3, 4], shape: [2, 2]), "n": Tensor(indices: [7]),
        ]),
        "optimizer": FakePart(tensors: ["m": Tensor([1])], values: ["step": 10, "lr": .nan]),
      ],
      step: 42, to: seedURL)
    let seed = [UInt8](try Data(contentsOf: seedURL))
    var random = Generator(state: 3)
    for _ in 0..<2000 {
      try Self.expectReadsOrThrows(mutated(seed, &random, lengthField: 0..<8), at: url) { url in
        try Checkpoint.load(from: url, into: parts())
      }
    }
    // Well-formed files with random metadata, to reach the checkpoint's own checks.
    let (tensors, metadata) = try SafeTensors.read(from: seedURL)
    for _ in 0..<500 {
      var changed = metadata
      for key in ["format", "format_version", "step", "values"] where random.below(3) == 0 {
        changed[key] =
          random.below(4) == 0
          ? nil
          : random.below(2) == 0
            ? Self.randomJSON(&random)
            : String(
              decoding: mutated(Array((metadata[key] ?? "").utf8), &random, lengthField: 0..<0),
              as: UTF8.self)
      }
      try SafeTensors.write(tensors, metadata: changed, to: url)
      let bytes = [UInt8](try Data(contentsOf: url))
      try Self.expectReadsOrThrows(bytes, at: url) { url in
        try Checkpoint.load(from: url, into: parts())
      }
    }
  }

  /// Headers that cost a parser building the whole JSON document gigabytes and seconds before
  /// anything is checked (issue 19).
  enum AmplifyingHeader: String, CaseIterable, Codable, Sendable {
    /// 200,000 tensors of zero bytes and no data (Python's safetensors loads a million).
    case zeroSizeTensors
    /// A million empty objects as tensor entries.
    case emptyEntries
    /// A million metadata strings.
    case metadataStrings
    /// A tensor entry that is an array nested a million deep.
    case nestedEntry
    /// A tensor entry with an unknown key holding arrays nested a million deep.
    case nestedUnknownKey

    /// What the error must say.
    var expectedProblem: String {
      switch self {
      case .zeroSizeTensors:
        "header at byte 232371: the header lists more tensors than the 0 bytes of data can hold"
      case .emptyEntries: "header at byte 13: tensor '0': 'dtype' is missing"
      case .metadataStrings: "'__metadata__' holds more than 65536 entries"
      case .nestedEntry: "header at byte 13: tensor 'x': the entry is not an object"
      case .nestedUnknownKey: "header at byte 100: arrays and objects are nested too deeply"
      }
    }

    /// Writes the header, piece by piece, through `write`.
    func writeHeader(_ write: (String) throws -> Void) throws {
      switch self {
      case .zeroSizeTensors:
        for index in 0..<200_000 {
          try write(
            (index == 0 ? "{" : ",")
              + #""t\#(index)":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"#)
        }
        try write("}")
      case .emptyEntries:
        for index in 0..<1_000_000 { try write((index == 0 ? "{" : ",") + "\"\(index)\":{}") }
        try write("}")
      case .metadataStrings:
        try write(#"{"__metadata__":{"#)
        for index in 0..<1_000_000 { try write((index == 0 ? "" : ",") + "\"\(index)\":\"\"") }
        try write("}}")
      case .nestedEntry, .nestedUnknownKey:
        try write(self == .nestedEntry ? #"{"x":"# : #"{"x":{"dtype":"F32","extra":"#)
        try write(String(repeating: "[", count: 1_000_000))
        try write(String(repeating: "]", count: 1_000_000))
        try write(self == .nestedEntry ? "}" : "}}")
      }
    }
  }

  /// The peak resident memory of this process so far, in bytes.
  static func peakResidentBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
      getrusage(RUSAGE_SELF.rawValue, &usage)
      return usage.ru_maxrss * 1024  // kilobytes on Linux, bytes on Darwin
    #else
      getrusage(RUSAGE_SELF, &usage)
      return Int(usage.ru_maxrss)
    #endif
  }

  /// Writes `header` as a file with no data, a megabyte at a time, so that making the file
  /// takes little memory, then reads it; prints the header's length, how much reading raised
  /// the peak resident memory, the seconds it took, and the error.
  static func measureReading(_ header: AmplifyingHeader) throws {
    let directory = try TemporaryDirectory()
    let url = try directory.write([UInt8](repeating: 0, count: 8), to: "amplifying.safetensors")
    let handle = try FileHandle(forWritingTo: url)
    try handle.seekToEnd()
    var buffer: [UInt8] = []
    var length = 0
    func flush() throws {
      try handle.write(contentsOf: buffer)
      length += buffer.count
      buffer.removeAll(keepingCapacity: true)
    }
    try header.writeHeader { piece in
      buffer += piece.utf8
      if buffer.count >= 1 << 20 { try flush() }
    }
    try flush()
    try handle.seek(toOffset: 0)
    try handle.write(contentsOf: littleEndianBytes(UInt64(length)))
    try handle.close()

    let before = peakResidentBytes()
    let start = ContinuousClock.now
    var problem = "no error"
    do { _ = try SafeTensors.read(from: url) } catch { problem = "\(error)" }
    let elapsed = ContinuousClock.now - start
    let seconds =
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let growth = peakResidentBytes() - before
    print("measured \(length) \(growth) \(seconds) \(problem.split(separator: "\n").joined())")
  }

  /// Each amplifying header throws what is wrong within seconds (in a debug build; the aim in a
  /// release build is one second), raising the peak memory by less than 10 times the header's
  /// size; measured in a child process, away from the tests running in parallel.
  @Test(arguments: AmplifyingHeader.allCases)
  func amplifyingHeadersFailFastInLittleMemory(_ header: AmplifyingHeader) async throws {
    let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
      [header] in try IOFuzzTests.measureReading(header)
    }
    let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
    let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("measured ") })
    let fields = line.split(separator: " ", maxSplits: 4).map(String.init)
    try #require(fields.count == 5)
    let (length, growth, seconds) = (Int(fields[1]) ?? 0, Int(fields[2]) ?? .max, fields[3])
    let problem = fields[4]
    #expect(length > 1_000_000)
    #expect(
      growth < 10 * length,
      "reading a header of \(length) bytes raised the peak memory by \(growth) bytes")
    #expect((Double(seconds) ?? .infinity) < 5, "reading took \(seconds) s")
    #expect(problem.contains(header.expectedProblem), "the error was: \(problem.prefix(1000))")
    #expect(problem.count < 500)
  }
}
