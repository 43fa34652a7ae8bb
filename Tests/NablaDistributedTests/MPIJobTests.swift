import Foundation
import Testing

/// Runs nabla-distributed-checks under `mpirun` on this machine's loopback: every collective,
/// DDP, SyncBatchNorm, the sampler and checkpoints with 2 and 3 ranks, and the fault scenarios.
/// Without `mpirun` the suite says so in one line and skips, unless NABLA_REQUIRE_MPI=1 (CI),
/// where a missing `mpirun` fails.
@Suite(.serialized) struct MPIJobTests {
  /// The directory of the built products, beside this test binary.
  static let productsDirectory = URL(fileURLWithPath: CommandLine.arguments[0])
    .deletingLastPathComponent()

  static let mpirun: URL? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let found = path.split(separator: ":").map {
      URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun")
    }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    if found == nil {
      let required = ProcessInfo.processInfo.environment["NABLA_REQUIRE_MPI"] == "1"
      print(
        "MPIJobTests: mpirun not found; the multi-process tests are \(required ? "required (NABLA_REQUIRE_MPI=1)" : "skipped")"
      )
    }
    return found
  }()

  struct Outcome {
    var status: Int32
    var output: String
    var seconds: Double
  }

  /// Runs the checks under `mpirun -np ranks`, or nil when there is no mpirun (failing the test
  /// when MPI is required).
  func run(ranks: Int, _ arguments: [String] = []) throws -> Outcome? {
    guard let mpirun = Self.mpirun else {
      #expect(ProcessInfo.processInfo.environment["NABLA_REQUIRE_MPI"] != "1", "mpirun is required")
      return nil
    }
    let process = Process()
    process.executableURL = mpirun
    process.arguments =
      [
        "--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)",
        Self.productsDirectory.appendingPathComponent("nabla-distributed-checks").path,
      ] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"  // no ptrace in containers
    environment["SWIFT_BACKTRACE"] = "enable=no"
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let start = Date()
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(
      status: process.terminationStatus, output: String(decoding: data, as: UTF8.self),
      seconds: Date().timeIntervalSince(start))
  }

  /// Under a launcher's environment, a library that does not load stops the program with one
  /// line naming the file tried (no mpirun needed).
  @Test func aMissingLibraryIsOneLineNamingTheFile() throws {
    let process = Process()
    process.executableURL = Self.productsDirectory.appendingPathComponent(
      "nabla-distributed-checks")
    var environment = ProcessInfo.processInfo.environment
    environment["OMPI_COMM_WORLD_SIZE"] = "2"
    environment["NABLA_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40"
    process.environment = environment
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 1)
    let lines = text.split(separator: "\n")
    #expect(
      lines.count == 1
        && text.contains("could not load Open MPI (tried /nonexistent/libmpi.so.40)"), "\(text)")
  }

  @Test(arguments: [2, 3]) func everyCheckPasses(ranks: Int) throws {
    guard let outcome = try run(ranks: ranks) else { return }
    #expect(outcome.status == 0, "\(outcome.output)")
    #expect(outcome.output.contains("distributed checks passed on \(ranks) ranks: Open MPI"))
  }

  @Test func mismatchedShapesStopEveryRankNamingThem() throws {
    guard let outcome = try run(ranks: 2, ["fault", "mismatched-shapes"]) else { return }
    #expect(outcome.status != 0)
    #expect(
      outcome.output.contains(
        "rank 0 called allReduce(sum) of float32 [3, 4]; rank 1 called allReduce(sum) of float32 [4, 4]"
      ),
      "\(outcome.output)")
  }

  @Test func aSkippedCollectiveIsCaught() throws {
    guard let outcome = try run(ranks: 2, ["fault", "skipped-collective"]) else { return }
    #expect(outcome.status != 0)
    #expect(
      outcome.output.contains(
        "rank 0 called allReduce(sum) of float32 [2]; rank 1 called allGather"),
      "\(outcome.output)")
  }

  @Test func aRankThatLeavesEarlyTimesOutWithAMessage() throws {
    guard let outcome = try run(ranks: 2, ["fault", "rank-leaves-early"]) else { return }
    #expect(outcome.status != 0)
    #expect(outcome.output.contains("waited 5 s for the other ranks"), "\(outcome.output)")
    #expect(outcome.seconds < 60)
  }

  @Test(arguments: ["rank-throws", "rank-crashes"]) func aFailingRankEndsTheJob(scenario: String)
    throws
  {
    guard let outcome = try run(ranks: 2, ["fault", scenario]) else { return }
    #expect(outcome.status != 0, "\(outcome.output)")
    #expect(!outcome.output.contains("finished without stopping"), "\(outcome.output)")
    #expect(outcome.seconds < 30, "took \(outcome.seconds) s")
  }
}
