import Foundation
import Nabla

/// The processes of a distributed job that take part in collectives together, as PyTorch's
/// `ProcessGroup` over MPI communicators.
///
/// `ProcessGroup.world` holds every process the job was launched with. Launched by `mpirun`,
/// Nabla loads Open MPI when the world is first used; launched without it, the world is this one
/// process and every collective returns its input. Nothing about MPI is needed at build time.
///
/// ```swift
/// let world = ProcessGroup.world
/// print("rank \(world.rank) of \(world.size), on \(world.backend)")
/// let total = world.allReduce(Tensor([Float(world.rank)]), .sum)
/// ```
///
/// Collectives must be called by every process of the group, in the same order, with tensors of
/// the same shape and dtype. With ``checksCollectives`` on, each call first compares the ranks'
/// shapes and stops the whole job with a message naming the op, the ranks and the shapes when
/// they differ. Calls into a group are serialized: use it from one thread at a time.
public final class ProcessGroup: @unchecked Sendable {
  /// This process's position in the group, from 0.
  public let rank: Int
  /// The number of processes in the group.
  public let size: Int
  /// This process's position among the group's processes on the same machine.
  public let localRank: Int
  /// The number of the group's processes on this machine.
  public let localSize: Int
  /// The MPI library and communicator, or nil for a group of one process without MPI.
  let communicator: Communicator?

  /// Whether this process is rank 0, the one that saves checkpoints and prints progress.
  public var isMain: Bool { rank == 0 }

  /// What carries the group's messages: the MPI library's version and file, or
  /// "single process (no MPI)".
  public var backend: String {
    communicator.map { "\($0.library.version) (\($0.library.path))" } ?? "single process (no MPI)"
  }

  init(communicator: Communicator?) {
    self.communicator = communicator
    if let communicator {
      rank = communicator.rank
      size = communicator.size
      let local = communicator.splitByMachine()
      localRank = local.rank
      localSize = local.size
    } else {
      (rank, size, localRank, localSize) = (0, 1, 0, 1)
    }
  }

  /// Every process of the job: all the processes `mpirun` started, or this one process when the
  /// program was launched without `mpirun`.
  ///
  /// Under `mpirun`, MPI is loaded and initialized on first use; if it cannot be loaded, the
  /// program stops with one line naming the library files tried. Use ``initialize(usingMPI:)``
  /// to handle that error instead.
  public static var world: ProcessGroup {
    do {
      return try initialize()
    } catch {
      FileHandle.standardError.write(Data("\(error)\n".utf8))
      exit(1)
    }
  }

  /// Returns the world group, loading MPI when the program runs under a launcher or when asked.
  ///
  /// The world is made once per process; later calls return it.
  ///
  /// - Parameter usingMPI: `true` requires MPI even when no launcher is detected (a world of
  ///   one process over MPI), `false` never loads it, and nil (the default) loads it when
  ///   `mpirun`'s environment variables are present.
  /// - Throws: ``MPILoadError`` when MPI is needed and cannot be loaded or initialized.
  public static func initialize(usingMPI: Bool? = nil) throws(MPILoadError) -> ProcessGroup {
    try WorldState.shared.world(usingMPI: usingMPI ?? launchedByMPI)
  }

  /// Whether the environment has the variables an MPI launcher sets for its processes.
  public static var launchedByMPI: Bool {
    let variables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"]
    return variables.contains { ProcessInfo.processInfo.environment[$0] != nil }
  }

  /// Splits the group into disjoint sub-groups, one per distinct `color`, as `MPI_Comm_split`.
  ///
  /// Every process of the group must call it. Within a sub-group, ranks follow `key` (ties by
  /// rank in this group).
  ///
  /// ```swift
  /// let pairs = ProcessGroup.world.split(color: ProcessGroup.world.rank / 2)
  /// ```
  public func split(color: Int, key: Int? = nil) -> ProcessGroup {
    require(color >= 0, "ProcessGroup.split: the color must not be negative, got \(color)")
    guard let communicator else { return ProcessGroup(communicator: nil) }
    return ProcessGroup(communicator: communicator.split(color: color, key: key ?? rank))
  }

  /// Whether every collective first checks that all ranks called the same op with the same
  /// shapes and dtypes (one small extra message per call).
  ///
  /// On by default in debug builds and off in release builds; the environment variable
  /// `NABLA_DISTRIBUTED_CHECKS` (`1` or `0`) overrides the default.
  nonisolated(unsafe) public static var checksCollectives: Bool = {
    if let value = ProcessInfo.processInfo.environment["NABLA_DISTRIBUTED_CHECKS"] {
      return value != "0"
    }
    #if DEBUG
      return true
    #else
      return false
    #endif
  }()

  /// How long, in seconds, a checked collective waits for the other ranks before it stops the
  /// job with a message (a rank that skipped a collective or hangs); 300 by default, or
  /// `NABLA_DISTRIBUTED_TIMEOUT`.
  nonisolated(unsafe) public static var timeout: Double =
    ProcessInfo.processInfo.environment["NABLA_DISTRIBUTED_TIMEOUT"].flatMap(Double.init) ?? 300

  /// The largest element count passed to one MPI call; longer tensors go in several calls,
  /// since MPI counts are 32-bit. Lowered by tests to exercise that path.
  nonisolated(unsafe) package static var maximumCount = Int(Int32.max)
}

/// The world group, made once per process.
private final class WorldState: @unchecked Sendable {
  static let shared = WorldState()
  private let lock = NSLock()
  private var group: ProcessGroup?

  func world(usingMPI: Bool) throws(MPILoadError) -> ProcessGroup {
    lock.lock()
    defer { lock.unlock() }
    if let group {
      require(
        !usingMPI || group.communicator != nil,
        "ProcessGroup.initialize(usingMPI: true): the world was already made as one process "
          + "without MPI; ask for MPI before the world is first used")
      return group
    }
    let made = ProcessGroup(communicator: usingMPI ? try Communicator.world() : nil)
    group = made
    return made
  }
}
