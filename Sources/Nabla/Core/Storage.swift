import CNablaKernels

/// A reference-counted, contiguous, 64-byte-aligned buffer of elements of one `DType`.
///
/// Tensors share a storage until one of them is written to (copy-on-write). Storages never change
/// size or type. Memory comes from the kernel layer's buffer cache, which hands large freed
/// buffers back out instead of faulting in fresh pages every training step.
final class TensorStorage {
  let data: UnsafeMutableRawPointer
  let count: Int
  let dtype: DType

  /// Allocates room for `count` elements; the memory is zeroed when `zeroed` is true.
  init(count: Int, dtype: DType, zeroed: Bool = false) {
    self.count = count
    self.dtype = dtype
    let bytes = max(count * dtype.byteCount, 1)
    guard let buffer = nabla_buffer_allocate(bytes) else {
      fatalError("Tensor: out of memory allocating \(bytes) bytes for \(count) \(dtype) elements")
    }
    data = buffer
    if zeroed { data.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
  }

  deinit { nabla_buffer_free(data, max(count * dtype.byteCount, 1)) }

  /// A new storage holding the same elements.
  func copy() -> TensorStorage {
    let result = TensorStorage(count: count, dtype: dtype)
    result.data.copyMemory(from: data, byteCount: count * dtype.byteCount)
    return result
  }
}

/// The cache of freed tensor buffers that the kernel layer hands back out instead of asking the
/// system for fresh memory (large sizes are kept up to 256 MiB in all).
public enum BufferCache {
  /// Returns every cached buffer to the system, for example after a large one-off computation.
  public static func release() { nabla_buffer_release_cache() }

  /// The bytes of the tensor buffers in use now, on all threads (cached free buffers aside).
  public static var bytesInUse: Int { nabla_buffer_live_bytes() }

  /// The most bytes of tensor buffers that were in use at once since the program started or
  /// `resetPeak()` was last called: a training step's memory high-water mark.
  ///
  /// ```swift
  /// BufferCache.resetPeak()
  /// loss(model(x)).backward()
  /// print(BufferCache.peakBytesInUse)
  /// ```
  public static var peakBytesInUse: Int { nabla_buffer_peak_bytes() }

  /// Starts measuring `peakBytesInUse` again from the bytes in use now.
  public static func resetPeak() { nabla_buffer_reset_peak() }
}
