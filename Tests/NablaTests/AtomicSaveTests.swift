import Foundation
import Testing

@testable import Nabla

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Saves that are killed, long names, symbolic links, and the temporary files saving leaves.
@Suite struct AtomicSaveTests {
  /// Starts replacing the file at `path` with a megabyte, then kills the process mid-save.
  static func killMidSave(_ path: String, named: Bool) {
    AtomicFileWriter.usesUnnamedFiles = !named
    try? AtomicFileWriter.write(to: URL(fileURLWithPath: path)) { writer in
      try writer.write([UInt8](repeating: 7, count: 1 << 20))
      kill(getpid(), SIGKILL)
    }
  }

  /// The temporary files Nabla's saves leave in `directory`.
  static func temporaryFiles(in directory: TemporaryDirectory) throws -> [String] {
    try directory.contents().filter { $0.hasSuffix(".tmp") }
  }

  @Test func aSaveKilledMidwayLeavesNoFileBehind() async throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("model.safetensors")
    try SafeTensors.write(["w": Tensor([1, 2, 3])], to: url)
    let path = url.path
    await #expect(processExitsWith: .signal(SIGKILL)) { [path = path as String] in
      AtomicSaveTests.killMidSave(path, named: false)
    }
    #if os(Linux)
      #expect(try directory.contents() == ["model.safetensors"])
    #endif
    #expect(try SafeTensors.read(from: url).tensors["w"]?.scalars == [1, 2, 3])
  }

  @Test func aSaveKilledByTheFileSizeLimitLeavesNoFileBehind() async throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("big.npy")
    try Tensor([1, 2]).writeNumPy(to: url)
    let path = url.path
    await #expect(processExitsWith: .signal(SIGXFSZ)) { [path = path as String] in
      // The test runner may ignore or block the signal; then the write would only fail.
      signal(SIGXFSZ, SIG_DFL)
      var signals = sigset_t()
      sigemptyset(&signals)
      sigaddset(&signals, SIGXFSZ)
      pthread_sigmask(SIG_UNBLOCK, &signals, nil)
      var limit = rlimit(rlim_cur: 1 << 16, rlim_max: 1 << 16)
      #if os(Linux)
        setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit)
      #else
        setrlimit(RLIMIT_FSIZE, &limit)
      #endif
      try? Tensor.zeros([1 << 16]).writeNumPy(to: URL(fileURLWithPath: path))
    }
    #if os(Linux)
      #expect(try directory.contents() == ["big.npy"])
    #endif
    #expect(try Tensor(numpyFile: url).scalars == [1, 2])
  }

  /// Where temporary files are named from the start, the next save of the same target removes
  /// what a killed save left.
  @Test func theNextSaveRemovesWhatAKilledNamedSaveLeft() async throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("model.safetensors")
    try SafeTensors.write(["w": Tensor([1])], to: url)
    let path = url.path
    await #expect(processExitsWith: .signal(SIGKILL)) { [path = path as String] in
      AtomicSaveTests.killMidSave(path, named: true)
    }
    let leftovers = try Self.temporaryFiles(in: directory)
    #expect(leftovers.count == 1)
    #expect(leftovers.allSatisfy { $0.hasPrefix(".nabla-") && $0.utf8.count < 40 })

    try SafeTensors.write(["w": Tensor([2])], to: url)
    #expect(try directory.contents() == ["model.safetensors"])
    #expect(try SafeTensors.read(from: url).tensors["w"]?.scalars == [2])
  }

  /// Leftovers of earlier versions' names go too, but not those of a live process or of another
  /// target.
  @Test func onlyTheLeftoversOfDeadProcessesForTheSameTargetAreRemoved() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("model.safetensors")
    let other = TemporaryName(target: directory.file("other.safetensors"))
    let deadProcess = 4_194_305  // above Linux's largest pid_max, so no process has it
    let names = [
      ".model.safetensors.\(deadProcess).1f2e.tmp",  // an earlier version's name: removed
      ".nabla-\(TemporaryName(target: url).tag)-\(deadProcess)-ab.tmp",  // removed
      ".nabla-\(TemporaryName(target: url).tag)-1-ab.tmp",  // process 1 is alive: kept
      ".nabla-\(other.tag)-\(deadProcess)-ab.tmp",  // another target's: kept
    ]
    for name in names { _ = try directory.write([1, 2, 3], to: name) }
    try SafeTensors.write(["w": Tensor([1])], to: url)
    #expect(try directory.contents() == [names[2], names[3], "model.safetensors"].sorted())
  }

  @Test func namesOfTheLongestLegalLengthCanBeSaved() throws {
    let directory = try TemporaryDirectory()
    let name = String(repeating: "n", count: 255 - ".safetensors".utf8.count) + ".safetensors"
    #expect(name.utf8.count == 255)
    let url = directory.file(name)
    try SafeTensors.write(["w": Tensor([1, 2])], to: url)
    try Tensor([3]).writeNumPy(to: directory.file(String(repeating: "m", count: 251) + ".npy"))
    #expect(try SafeTensors.read(from: url).tensors["w"]?.scalars == [1, 2])
    #expect(try Self.temporaryFiles(in: directory).isEmpty)
  }

  /// Saving to a symbolic link replaces the file it points to and keeps the link, through a
  /// chain of links and relative ones; a link to a file not yet there creates that file.
  @Test func savingThroughASymbolicLinkReplacesItsTarget() throws {
    let directory = try TemporaryDirectory()
    let manager = FileManager.default
    try manager.createDirectory(at: directory.file("runs"), withIntermediateDirectories: false)
    let target = directory.file("runs/weights.safetensors")
    try SafeTensors.write(["w": Tensor([1])], to: target)
    try manager.createSymbolicLink(
      atPath: directory.file("middle").path, withDestinationPath: "runs/weights.safetensors")
    try manager.createSymbolicLink(
      atPath: directory.file("latest").path, withDestinationPath: directory.file("middle").path)

    try SafeTensors.write(["w": Tensor([2])], to: directory.file("latest"))
    for link in ["latest", "middle"] {
      let kind = try manager.attributesOfItem(atPath: directory.file(link).path)[.type]
      #expect(kind as? FileAttributeType == .typeSymbolicLink)
    }
    #expect(try SafeTensors.read(from: target).tensors["w"]?.scalars == [2])
    #expect(try SafeTensors.read(from: directory.file("latest")).tensors["w"]?.scalars == [2])

    try manager.createSymbolicLink(
      atPath: directory.file("dangling").path, withDestinationPath: "runs/new.npy")
    try Tensor([5]).writeNumPy(to: directory.file("dangling"))
    #expect(try Tensor(numpyFile: directory.file("runs/new.npy")).scalars == [5])
    #expect(
      try manager.contentsOfDirectory(atPath: directory.file("runs").path).sorted() == [
        "new.npy", "weights.safetensors",
      ])
  }

  @Test func aLoopOfSymbolicLinksIsAnError() throws {
    let directory = try TemporaryDirectory()
    try FileManager.default.createSymbolicLink(
      atPath: directory.file("a").path, withDestinationPath: "b")
    try FileManager.default.createSymbolicLink(
      atPath: directory.file("b").path, withDestinationPath: "a")
    expectFileError(directory.file("a"), "cannot be saved", "too many levels of symbolic links") {
      try SafeTensors.write(["w": Tensor([1])], to: directory.file("a"))
    }
  }
}
