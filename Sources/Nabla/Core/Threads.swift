import CNablaKernels

/// How many threads the kernels (matrix multiply and the loops that split large work) use.
///
/// By default one per core. Results do not depend on the count: each output element is computed
/// by the same sequence of operations however the work is split.
///
/// ```swift
/// Parallelism.threadCount = 1  // run every kernel on the calling thread
/// ```
public enum Parallelism {
  /// The number of threads kernels use; setting 0 restores one per core.
  public static var threadCount: Int {
    get { Int(nabla_thread_count()) }
    set { nabla_set_thread_count(Int32(clamping: newValue)) }
  }
}
