import Foundation
import Nabla

/// One MPI communicator and the library it belongs to: the raw calls, each checked for errors,
/// split into pieces of at most `ProcessGroup.maximumCount` elements where MPI's 32-bit counts
/// require it. Calls are serialized by a lock (MPI is initialized with MPI_THREAD_SERIALIZED).
final class Communicator: @unchecked Sendable {
  let library: MPILibrary
  let handle: MPIHandle
  let rank: Int
  let size: Int
  let lock: NSLock

  private init(library: MPILibrary, handle: MPIHandle, lock: NSLock) {
    self.library = library
    self.handle = handle
    self.lock = lock
    var value: Int32 = 0
    _ = library.commRank(handle, &value)
    rank = Int(value)
    _ = library.commSize(handle, &value)
    size = Int(value)
    _ = library.setErrorHandler(handle, library.errorsReturn)
  }

  /// Loads Open MPI, initializes it and returns MPI_COMM_WORLD.
  static func world() throws(MPILoadError) -> Communicator {
    let library = try MPILibrary.load()
    var isInitialized: Int32 = 0
    _ = library.initialized(&isInitialized)
    if isInitialized == 0 {
      var provided: Int32 = 0
      let code = library.initThread(nil, nil, MPILibrary.threadSerialized, &provided)
      guard code == 0 else {
        throw MPILoadError(
          description: "NablaDistributed: MPI_Init_thread failed in \(library.path): "
            + library.message(for: code))
      }
      exitLibrary = library
      finalizeAtExit()
    }
    return Communicator(library: library, handle: library.commWorld, lock: NSLock())
  }

  /// The processes of this communicator on the same machine as this one.
  func splitByMachine() -> (rank: Int, size: Int) {
    var local: MPIHandle?
    check(
      "ProcessGroup",
      library.commSplitType(
        handle, MPILibrary.commTypeShared, Int32(rank), library.infoNull, &local)
    )
    let group = Communicator(library: library, handle: local!, lock: lock)
    return (group.rank, group.size)
  }

  /// A sub-communicator of the processes that pass the same `color`.
  func split(color: Int, key: Int) -> Communicator {
    var result: MPIHandle?
    lock.lock()
    check("split", library.commSplit(handle, Int32(color), Int32(key), &result))
    lock.unlock()
    return Communicator(library: library, handle: result!, lock: lock)
  }

  /// Stops the job when an MPI call failed.
  func check(_ op: String, _ code: Int32) {
    if code != 0 { abortJob("\(op): MPI failed: \(library.message(for: code))") }
  }

  /// Prints `message` with this process's rank and ends every process of the job.
  func abortJob(_ message: String) -> Never {
    FileHandle.standardError.write(Data("NablaDistributed [rank \(rank)]: \(message)\n".utf8))
    fflush(nil)
    _ = library.abort(library.commWorld, 1)
    exit(1)
  }

  /// Runs `body` with the communicator's lock held.
  func serialized<Result>(_ body: () -> Result) -> Result {
    lock.lock()
    defer { lock.unlock() }
    return body()
  }

  /// Calls `body` for consecutive pieces of `count` elements, each at most
  /// `ProcessGroup.maximumCount` long: (offset, length).
  static func forEachPiece(of count: Int, _ body: (Int, Int32) -> Void) {
    let limit = max(ProcessGroup.maximumCount, 1)
    var offset = 0
    repeat {
      let length = min(limit, count - offset)
      body(offset, Int32(length))
      offset += length
    } while offset < count
  }

  /// Waits for a request, polling so that a wait longer than `ProcessGroup.timeout` stops the
  /// job with `timeoutMessage` instead of hanging.
  func wait(_ request: inout MPIHandle?, op: String, timeoutMessage: @autoclosure () -> String) {
    // Spin for the first second (each test moves the collective on, and a sleep between rounds
    // would add to every round's latency), then test every 100 µs until the deadline.
    let start = Date()
    let deadline = start.addingTimeInterval(ProcessGroup.timeout)
    var polls = 0
    while true {
      var done: Int32 = 0
      check(op, library.test(&request, &done, nil))
      if done != 0 { return }
      polls += 1
      if polls % 1024 == 0 {
        let now = Date()
        if now > deadline { abortJob(timeoutMessage()) }
        if now.timeIntervalSince(start) > 1 { usleep(100) }
      }
    }
  }
}

nonisolated(unsafe) private var exitLibrary: MPILibrary?

/// Ends MPI when the process exits. A normal exit (status 0) calls MPI_Finalize. On Linux, an
/// exit with another status calls MPI_Abort instead, so that the other ranks stop at once rather
/// than wait in a collective (or in MPI_Finalize) for a rank that is gone.
private func finalizeAtExit() {
  #if os(Linux)
    on_exit({ status, _ in endMPI(status: status) }, nil)
  #else
    atexit { endMPI(status: 0) }
  #endif
}

private func endMPI(status: Int32) {
  guard let library = exitLibrary else { return }
  var isFinalized: Int32 = 0
  _ = library.finalized(&isFinalized)
  guard isFinalized == 0 else { return }
  if status == 0 {
    _ = library.finalize()
  } else {
    _ = library.abort(library.commWorld, status)
  }
}

extension DType {
  /// The MPI datatype of the element type.
  func mpiType(in library: MPILibrary) -> MPIHandle {
    switch self {
    case .float32: library.float32
    case .float64: library.float64
    case .int64: library.int64
    case .float16, .bfloat16, .int32, .uint8, .int8, .bool:
      stop("MPI: no datatype for \(self) (the collectives check for this before they start)")
    }
  }

  /// Stops unless the collectives move the type: float32, float64 and int64.
  func requireTransferable(shape: [Int], _ op: String) {
    require(
      self == .float32 || self == .float64 || self == .int64,
      "\(op): collectives move float32, float64 and int64 tensors, not \(self) (shape "
        + "\(describe(shape))); convert it with converted(to:) first")
  }
}
