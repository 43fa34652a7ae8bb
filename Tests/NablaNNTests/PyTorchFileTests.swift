import Foundation
import NablaTestSupport
import Testing

@testable import Nabla
@testable import NablaNN

/// Files written by `torch.save` (Fixtures/make_pytorch_files.py, PyTorch 2.15), read by
/// `PyTorchFile` and compared with the values the script wrote to expected.json.
@Suite struct PyTorchFileTests {
  /// A tensor as the script recorded it.
  struct Expected: Decodable {
    let dtype: String
    let shape: [Int]
    let values: [Double]
  }

  static func fixture(_ name: String) throws -> URL {
    let resources = try #require(Bundle.module.resourceURL)
    return resources.appendingPathComponent("Fixtures/pytorch/\(name)")
  }

  static let expected: [String: Expected] = {
    guard let url = try? fixture("expected.json"), let data = try? Data(contentsOf: url),
      let decoded = try? JSONDecoder().decode([String: Expected].self, from: data)
    else { return [:] }
    return decoded
  }()

  /// Checks `tensor` against the recorded tensor `name`: dtype, shape and every value exactly.
  static func expectRecorded(
    _ tensor: Tensor?, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard let expected = expected[name] else {
      Issue.record("expected.json has no \(name)", sourceLocation: sourceLocation)
      return
    }
    guard let tensor else {
      Issue.record("no tensor for \(name)", sourceLocation: sourceLocation)
      return
    }
    #expect(tensor.dtype.rawValue == expected.dtype, "\(name)", sourceLocation: sourceLocation)
    #expect(tensor.shape == expected.shape, "\(name)", sourceLocation: sourceLocation)
    #expect(tensor.scalars == expected.values, "\(name)", sourceLocation: sourceLocation)
  }

  /// Asserts that reading `url` throws a `TensorFileError` naming it whose text holds each of
  /// `fragments`.
  static func expectRefused(
    _ url: URL, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
  ) {
    do {
      let value = try PyTorchFile.read(from: url)
      Issue.record("read \(value) from \(url.lastPathComponent)", sourceLocation: sourceLocation)
    } catch let error as TensorFileError {
      #expect(error.url == url, sourceLocation: sourceLocation)
      for fragment in fragments {
        #expect(error.problem.contains(fragment), "\(error)", sourceLocation: sourceLocation)
      }
    } catch {
      Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test func stateDictHasPyTorchsValues() throws {
    let state = try #require(PyTorchFile.read(from: Self.fixture("model.pt")).tensors)
    let names = Self.expected.keys.filter { $0.hasPrefix("model/") }.map { String($0.dropFirst(6)) }
    #expect(Set(state.keys) == Set(names))
    #expect(names.count == 13)
    for (name, tensor) in state { Self.expectRecorded(tensor, "model/\(name)") }
  }

  @Test func checkpointIsATreeOfValues() throws {
    let checkpoint = try PyTorchFile.read(from: Self.fixture("checkpoint.pt"))
    #expect(checkpoint["epoch"]?.integer == 3)
    #expect(checkpoint["loss"]?.double == 0.25)
    #expect(checkpoint["name"]?.string == "run-7")
    #expect(checkpoint["big"]?.integer == 1 << 40)
    #expect(checkpoint["negative"]?.integer == -5)
    let flags = try #require(checkpoint["flags"])
    guard case .tuple(let items) = flags else {
      Issue.record("flags is \(flags), not a tuple")
      return
    }
    #expect(items.count == 3 && items[0].bool == true && items[1].bool == false && items[2].isNone)
    #expect(flags.description == "(True, False, None)")
    for key in ["ids", "scalar", "empty"] {
      Self.expectRecorded(checkpoint[key]?.tensor, "checkpoint/\(key)")
    }
    Self.expectRecorded(
      checkpoint["model"]?["linear.weight"]?.tensor, "checkpoint/model/linear.weight")
    #expect(checkpoint["model"]?.tensors?.count == 13)
    // The optimizer's state is keyed by parameter index, and its groups are a list of dicts.
    let optimizer = try #require(checkpoint["optimizer"])
    Self.expectRecorded(optimizer["state"]?[0]?["momentum_buffer"]?.tensor, "checkpoint/momentum0")
    let group = try #require(optimizer["param_groups"]?[0])
    #expect(group["lr"]?.double == 0.1)
    #expect(group["momentum"]?.double == 0.9)
    #expect(group["nesterov"]?.bool == false)
    #expect(group["params"]?.elements?.compactMap(\.integer) == Array(0..<10))
    #expect(checkpoint.tensors == nil)
    #expect(
      checkpoint["missing"] == nil && checkpoint[0] == nil && checkpoint["epoch"]?["x"] == nil)
  }

  @Test func viewsComeOutWithTheirValues() throws {
    let views = try PyTorchFile.read(from: Self.fixture("views.pt"))
    for name in ["transposed", "sliced", "shared_a", "shared_b", "shared_c"] {
      Self.expectRecorded(views[name]?.tensor, "views/\(name)")
    }
  }

  @Test func everyStorageTypeLoads() throws {
    let file = try PyTorchFile.read(from: Self.fixture("dtypes.pt"))
    for name in ["half", "ids", "pixels", "signed", "mask"] {
      Self.expectRecorded(file[name]?.tensor, "dtypes/\(name)")
    }
    let linear = try #require(file["linear"]?.tensors)
    #expect(linear.count == 2)
    for (name, tensor) in linear { Self.expectRecorded(tensor, "dtypes/linear.\(name)") }
    // A bfloat16 state dict loads into a float32 module, rounded as a float64 file would be.
    let model = Linear(2, 2)
    try model.loadStateDict(linear)
    #expect(model.weight.value.dtype == .float32)
    #expect(model.weight.value.scalars == linear["weight"]?.scalars)
  }

  @Test func moduleLoadsATorchSaveStateDict() throws {
    final class Model: Module, @unchecked Sendable {
      let linear = Linear(3, 4)
      let conv = Conv1D(2, 3, kernelSize: 3)
      let lstm = LSTM(3, 5)
      let norm = BatchNorm1D(3)
    }
    let model = Model()
    try model.load(from: Self.fixture("model.pt"))
    for (name, tensor) in model.stateDict() { Self.expectRecorded(tensor, "model/\(name)") }
    // A checkpoint is not a state dict; the error points at the one inside it.
    let url = try Self.fixture("checkpoint.pt")
    do {
      try model.load(from: url)
      Issue.record("a checkpoint loaded as a state dict")
    } catch let error as TensorFileError {
      #expect(error.problem.contains("'epoch'") && error.problem.contains("['model']"), "\(error)")
    }
  }

  @Test func refusesWhatItCannotOrMustNotRead() throws {
    Self.expectRefused(try Self.fixture("int16.pt"), "int16", "shape [2, 2]")
    Self.expectRefused(try Self.fixture("os_system.pt"), "'posix.system'", "not allowed")
    Self.expectRefused(try Self.fixture("unknown_global.pt"), "'__main__.Thing'", "not allowed")
    Self.expectRefused(try Self.fixture("truncated.pt"), "truncated")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nabla-pt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
      let url = directory.appendingPathComponent(name)
      try Data(bytes).write(to: url)
      return url
    }
    let pickle = try Self.entries(of: "model.pt").first { $0.name.hasSuffix("data.pkl") }!.bytes
    Self.expectRefused(try file("legacy.pt", [0x80, 0x02] + pickle), "before PyTorch 1.6")
    Self.expectRefused(try file("text.pt", Array("hello".utf8)), "not a torch.save file")
    Self.expectRefused(
      try file("script.pt", Self.zip([("m/data.pkl", pickle), ("m/constants.pkl", pickle)])),
      "TorchScript")
    Self.expectRefused(try file("other.zip", Self.zip([("m/readme.txt", [1])])), "no data.pkl")
    Self.expectRefused(
      try file("deflated.pt", Self.zip([("m/data.pkl", pickle)], method: 8)), "compressed")
    // One bit flipped inside a real file's first storage, so its CRC-32 no longer matches.
    let archive = try ZipArchive(reading: FileReader(url: Self.fixture("model.pt")))
    let storage = try #require(archive.entries.first { $0.name == "model/data/0" })
    var corrupt = [UInt8](try Data(contentsOf: Self.fixture("model.pt")))
    corrupt[try archive.dataOffset(of: storage)] ^= 1
    Self.expectRefused(try file("corrupt.pt", corrupt), "CRC-32")
    // Pickles that would nest without bound, share one list exponentially, or hold a cycle.
    let nested =
      [0x80, 0x02, UInt8(ascii: ")")] + [UInt8](repeating: 0x85, count: 1 << 20) + [0x2E]
    Self.expectRefused(
      try file("nested.pt", Self.zip([("m/data.pkl", nested)])), "nested more than 1000")
    var doubling: [UInt8] = [0x80, 0x02, UInt8(ascii: "]")]
    for _ in 0..<40 { doubling += [UInt8(ascii: "q"), 0, UInt8(ascii: "h"), 0, 0x86] }
    Self.expectRefused(
      try file("shared.pt", Self.zip([("m/data.pkl", doubling + [0x2E])])), "values")
    let cycle: [UInt8] =
      [0x80, 0x02, UInt8(ascii: "]"), UInt8(ascii: "q"), 0, UInt8(ascii: "h"), 0]
      + [UInt8(ascii: "a"), 0x2E]
    Self.expectRefused(
      try file("cycle.pt", Self.zip([("m/data.pkl", cycle)])), "nested more than 1000")
  }

  // MARK: Fuzzing

  /// The entries of a fixture archive, in order.
  static func entries(of name: String) throws -> [(name: String, bytes: [UInt8])] {
    let archive = try ZipArchive(reading: FileReader(url: fixture(name)))
    return try archive.entries.map { ($0.name, try archive.contents(of: $0)) }
  }

  /// A zip archive of `entries`, each stored (or marked with another `method`), as torch.save
  /// writes one.
  static func zip(_ entries: [(name: String, bytes: [UInt8])], method: Int = 0) -> [UInt8] {
    var file: [UInt8] = []
    var directory: [UInt8] = []
    func fields(_ values: [(Int, Int)], _ into: inout [UInt8]) {
      for (value, width) in values {
        for byte in 0..<width { into.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) }
      }
    }
    for (name, bytes) in entries {
      let checksum = Int(bytes.withUnsafeBytes { crc32($0) })
      let shared = [(method, 2), (0, 4), (checksum, 4), (bytes.count, 4), (bytes.count, 4)]
      let offset = file.count
      fields([(0x0403_4B50, 4), (20, 2), (0, 2)] + shared + [(name.utf8.count, 2), (0, 2)], &file)
      file += Array(name.utf8) + bytes
      fields([(0x0201_4B50, 4), (20, 2), (20, 2), (0, 2)] + shared, &directory)
      fields(
        [(name.utf8.count, 2), (0, 2), (0, 2), (0, 2), (0, 2), (0, 4), (offset, 4)], &directory)
      directory += Array(name.utf8)
    }
    let start = file.count
    file += directory
    fields(
      [(0x0605_4B50, 4), (0, 2), (0, 2), (entries.count, 2), (entries.count, 2)]
        + [(directory.count, 4), (start, 4), (0, 2)], &file)
    return file
  }

  /// The number of tensor elements in `value`.
  static func elementCount(_ value: PyTorchValue) -> Int {
    switch value {
    case .tensor(let tensor): tensor.scalarCount
    case .list(let items), .tuple(let items): items.reduce(0) { $0 + elementCount($1) }
    case .dictionary(let entries): entries.reduce(0) { $0 + elementCount($1.value) }
    default: 0
    }
  }

  /// Reads `bytes` as a `.pt` file: it must read, with no more elements than the file can
  /// justify, or throw a `TensorFileError`.
  static func expectReadsOrThrows(_ bytes: [UInt8], at url: URL) throws {
    try Data(bytes).write(to: url)
    do {
      let value = try PyTorchFile.read(from: url)
      #expect(elementCount(value) <= 17 * bytes.count + (1 << 20))
    } catch let error as TensorFileError {
      #expect(error.url == url && !error.problem.isEmpty)
    } catch {
      Issue.record("unexpected error \(error) for bytes \(bytes.prefix(200))")
    }
  }

  static func temporaryFile() throws -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "nabla-fuzz-\(UUID().uuidString).pt")
  }

  @Test func zipReaderSurvivesMutatedFiles() throws {
    let url = try Self.temporaryFile()
    defer { try? FileManager.default.removeItem(at: url) }
    let seeds = try ["model.pt", "checkpoint.pt", "views.pt"].map {
      [UInt8](try Data(contentsOf: Self.fixture($0)))
    }
    var random = FuzzGenerator(state: 11)
    for round in 0..<10_000 {
      let seed = random.pick(seeds)
      // A lying count, size or offset in the end record, or anywhere else.
      let end = seed.count - 22
      let field = [end + 10..<end + 12, end + 12..<end + 16, end + 16..<end + 20, 0..<0][round % 4]
      try Self.expectReadsOrThrows(mutated(seed, &random, lengthField: field), at: url)
    }
  }

  /// A random pickle of the opcodes torch.save writes, with globals and storages among them.
  static func randomPickle(_ random: inout FuzzGenerator) -> [UInt8] {
    func text(_ string: String) -> [UInt8] {
      [0x58] + withUnsafeBytes(of: UInt32(string.utf8.count).littleEndian, Array.init)
        + Array(string.utf8)
    }
    let pieces: [[UInt8]] = [
      Array("(".utf8), Array(")".utf8), Array("]".utf8), Array("}".utf8), Array("N".utf8), [0x88],
      Array("K".utf8) + [3], Array("M".utf8) + [1, 1], Array("J".utf8) + [255, 255, 255, 255],
      [0x8A, 1, 0x80], Array("t".utf8), [0x85], [0x86], [0x87], Array("a".utf8), Array("e".utf8),
      Array("s".utf8), Array("u".utf8), Array("q".utf8) + [1], Array("h".utf8) + [1], [0x94],
      Array("R".utf8), Array("b".utf8), Array("Q".utf8), [0x93], text("storage"), text("0"),
      text("cpu"), Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8),
      Array("ccollections\nOrderedDict\n".utf8), Array("ctorch\nFloatStorage\n".utf8),
      Array("ctorch\nLongStorage\n".utf8), Array("G".utf8) + [0x40, 0, 0, 0, 0, 0, 0, 0],
    ]
    var bytes: [UInt8] = [0x80, 0x02]
    for _ in 0..<random.below(40) { bytes += random.pick(pieces) }
    return bytes + [0x2E]
  }

  @Test func unpicklerSurvivesMutatedPickles() throws {
    let url = try Self.temporaryFile()
    defer { try? FileManager.default.removeItem(at: url) }
    let archives = try ["model.pt", "checkpoint.pt", "views.pt"].map { try Self.entries(of: $0) }
    var random = FuzzGenerator(state: 12)
    for round in 0..<10_000 {
      var entries = random.pick(archives)
      let index = try #require(entries.firstIndex { $0.name.hasSuffix("/data.pkl") })
      entries[index].bytes =
        round % 4 == 3
        ? Self.randomPickle(&random) : mutated(entries[index].bytes, &random, lengthField: 0..<0)
      try Self.expectReadsOrThrows(Self.zip(entries), at: url)
    }
  }
}
