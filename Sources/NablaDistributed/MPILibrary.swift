#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Open MPI's C interface, loaded with dlopen when the first process group is made, so that the
// package builds and runs on machines without MPI. In Open MPI's ABI every handle (communicator,
// datatype, reduction, request, error handler) is a pointer, and the predefined ones are the
// addresses of exported globals: MPI_COMM_WORLD is `&ompi_mpi_comm_world`, MPI_FLOAT is
// `&ompi_mpi_float`. MPICH's handles are integers instead; it is recognized and refused by name.

typealias MPIHandle = OpaquePointer

/// Why MPI could not be used, in one line.
public struct MPILoadError: Error, CustomStringConvertible {
  /// The sentence to show, naming the library files that were tried.
  public let description: String
}

/// Open MPI's entry points and predefined handles, resolved from one shared library.
struct MPILibrary: @unchecked Sendable {
  let path: String
  let version: String

  let initThread:
    @convention(c) (
      UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32,
      UnsafeMutablePointer<Int32>
    ) -> Int32
  let initialized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
  let finalized: @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
  let finalize: @convention(c) () -> Int32
  let abort: @convention(c) (MPIHandle, Int32) -> Int32
  let commRank: @convention(c) (MPIHandle, UnsafeMutablePointer<Int32>) -> Int32
  let commSize: @convention(c) (MPIHandle, UnsafeMutablePointer<Int32>) -> Int32
  let commSplit: @convention(c) (MPIHandle, Int32, Int32, UnsafeMutablePointer<MPIHandle?>) -> Int32
  let commSplitType:
    @convention(c) (MPIHandle, Int32, Int32, MPIHandle, UnsafeMutablePointer<MPIHandle?>) -> Int32
  let setErrorHandler: @convention(c) (MPIHandle, MPIHandle) -> Int32
  let errorString:
    @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32
  let allReduce:
    @convention(c) (
      UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, MPIHandle, MPIHandle, MPIHandle
    ) -> Int32
  let startAllReduce:
    @convention(c) (
      UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, MPIHandle, MPIHandle, MPIHandle,
      UnsafeMutablePointer<MPIHandle?>
    ) -> Int32
  let broadcast:
    @convention(c) (UnsafeMutableRawPointer?, Int32, MPIHandle, Int32, MPIHandle) -> Int32
  let allGather:
    @convention(c) (
      UnsafeRawPointer?, Int32, MPIHandle, UnsafeMutableRawPointer?, Int32, MPIHandle, MPIHandle
    ) -> Int32
  let startAllGather:
    @convention(c) (
      UnsafeRawPointer?, Int32, MPIHandle, UnsafeMutableRawPointer?, Int32, MPIHandle, MPIHandle,
      UnsafeMutablePointer<MPIHandle?>
    ) -> Int32
  let reduceScatter:
    @convention(c) (
      UnsafeRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<Int32>, MPIHandle, MPIHandle,
      MPIHandle
    ) -> Int32
  let barrier: @convention(c) (MPIHandle) -> Int32
  let send: @convention(c) (UnsafeRawPointer?, Int32, MPIHandle, Int32, Int32, MPIHandle) -> Int32
  let receive:
    @convention(c) (
      UnsafeMutableRawPointer?, Int32, MPIHandle, Int32, Int32, MPIHandle, UnsafeMutableRawPointer?
    ) -> Int32
  let test:
    @convention(c) (
      UnsafeMutablePointer<MPIHandle?>, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer?
    ) -> Int32
  let wait: @convention(c) (UnsafeMutablePointer<MPIHandle?>, UnsafeMutableRawPointer?) -> Int32

  let commWorld: MPIHandle
  let infoNull: MPIHandle
  let errorsReturn: MPIHandle
  let float32: MPIHandle
  let float64: MPIHandle
  let int64: MPIHandle
  let sum: MPIHandle
  let max: MPIHandle
  let min: MPIHandle

  /// MPI_IN_PLACE in Open MPI's ABI.
  static var inPlace: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: 1) }
  static let threadSerialized: Int32 = 2
  static let commTypeShared: Int32 = 0

  /// The library files tried, in order: `NABLA_MPI_LIBRARY` when set, then the usual names.
  static var candidates: [String] {
    if let path = getenv("NABLA_MPI_LIBRARY").map({ String(cString: $0) }), !path.isEmpty {
      return [path]
    }
    #if os(macOS)
      return [
        "libmpi.40.dylib", "libmpi.dylib", "/opt/homebrew/lib/libmpi.dylib",
        "/usr/local/lib/libmpi.dylib",
      ]
    #else
      return ["libmpi.so.40", "libmpi.so"]
    #endif
  }

  /// Opens the first candidate that loads and resolves Open MPI's symbols from it.
  static func load() throws(MPILoadError) -> MPILibrary {
    var failures: [String] = []
    for path in candidates {
      guard let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
        failures.append(dlerror().map { String(cString: $0) } ?? path)
        continue
      }
      return try MPILibrary(path: path, handle: handle)
    }
    throw MPILoadError(
      description:
        "NablaDistributed: could not load Open MPI (tried \(candidates.joined(separator: ", "))): "
        + (failures.last ?? "no library") + "; install it (apt-get install openmpi-bin "
        + "libopenmpi-dev) or set NABLA_MPI_LIBRARY to its libmpi")
  }

  private init(path: String, handle: UnsafeMutableRawPointer) throws(MPILoadError) {
    self.path = path
    func symbol(_ name: String) throws(MPILoadError) -> UnsafeMutableRawPointer {
      guard let address = dlsym(handle, name) else {
        throw MPILoadError(
          description: "NablaDistributed: \(path) has no symbol \(name); is it an MPI library?")
      }
      return address
    }
    func function<F>(_ name: String, as type: F.Type) throws(MPILoadError) -> F {
      unsafeBitCast(try symbol(name), to: type)
    }
    let getVersion = try function(
      "MPI_Get_library_version",
      as: (@convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32)
        .self)
    var text = [CChar](repeating: 0, count: 4096)
    var length: Int32 = 0
    _ = getVersion(&text, &length)
    let version = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.split(
      whereSeparator: \.isNewline
    ).first.map(String.init)
    self.version = version ?? "unknown MPI"
    guard dlsym(handle, "ompi_mpi_comm_world") != nil else {
      throw MPILoadError(
        description: "NablaDistributed: \(path) is \(self.version), not Open MPI; NablaDistributed "
          + "supports Open MPI's ABI (set NABLA_MPI_LIBRARY to an Open MPI libmpi)")
    }
    initThread = try function("MPI_Init_thread", as: type(of: initThread))
    initialized = try function("MPI_Initialized", as: type(of: initialized))
    finalized = try function("MPI_Finalized", as: type(of: finalized))
    finalize = try function("MPI_Finalize", as: type(of: finalize))
    abort = try function("MPI_Abort", as: type(of: abort))
    commRank = try function("MPI_Comm_rank", as: type(of: commRank))
    commSize = try function("MPI_Comm_size", as: type(of: commSize))
    commSplit = try function("MPI_Comm_split", as: type(of: commSplit))
    commSplitType = try function("MPI_Comm_split_type", as: type(of: commSplitType))
    setErrorHandler = try function("MPI_Comm_set_errhandler", as: type(of: setErrorHandler))
    errorString = try function("MPI_Error_string", as: type(of: errorString))
    allReduce = try function("MPI_Allreduce", as: type(of: allReduce))
    startAllReduce = try function("MPI_Iallreduce", as: type(of: startAllReduce))
    broadcast = try function("MPI_Bcast", as: type(of: broadcast))
    allGather = try function("MPI_Allgather", as: type(of: allGather))
    startAllGather = try function("MPI_Iallgather", as: type(of: startAllGather))
    reduceScatter = try function("MPI_Reduce_scatter", as: type(of: reduceScatter))
    barrier = try function("MPI_Barrier", as: type(of: barrier))
    send = try function("MPI_Send", as: type(of: send))
    receive = try function("MPI_Recv", as: type(of: receive))
    test = try function("MPI_Test", as: type(of: test))
    wait = try function("MPI_Wait", as: type(of: wait))
    func global(_ name: String) throws(MPILoadError) -> MPIHandle {
      MPIHandle(try symbol(name))
    }
    commWorld = try global("ompi_mpi_comm_world")
    infoNull = try global("ompi_mpi_info_null")
    errorsReturn = try global("ompi_mpi_errors_return")
    float32 = try global("ompi_mpi_float")
    float64 = try global("ompi_mpi_double")
    int64 = try global("ompi_mpi_int64_t")
    sum = try global("ompi_mpi_op_sum")
    max = try global("ompi_mpi_op_max")
    min = try global("ompi_mpi_op_min")
  }

  /// MPI's own text for an error code.
  func message(for code: Int32) -> String {
    var text = [CChar](repeating: 0, count: 1024)
    var length: Int32 = 0
    _ = errorString(code, &text, &length)
    return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }
}
