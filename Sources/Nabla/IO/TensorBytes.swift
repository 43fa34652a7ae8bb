/// The number of elements of `shape`, or nil when a dimension is negative or the product of the
/// non-zero dimensions does not fit in an `Int` (such a shape could not be allocated or indexed,
/// even when another dimension is zero).
func checkedElementCount(_ shape: [Int]) -> Int? {
  var product = 1
  var hasZero = false
  for size in shape {
    guard size >= 0 else { return nil }
    if size == 0 {
      hasZero = true
      continue
    }
    let (result, overflow) = product.multipliedReportingOverflow(by: size)
    guard !overflow else { return nil }
    product = result
  }
  return hasZero ? 0 : product
}

/// The number of bytes a tensor of `shape` and `dtype` occupies, or nil when it does not fit in
/// an `Int` (see `checkedElementCount`).
func checkedByteCount(_ shape: [Int], dtype: DType) -> Int? {
  guard let count = checkedElementCount(shape) else { return nil }
  let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
  return overflow ? nil : bytes
}

extension Tensor {
  /// Reads a tensor of `shape` and `dtype` from the little-endian bytes at `offset` in a file.
  ///
  /// The caller has checked that the shape's byte count does not overflow; the range is checked
  /// against the file's length before anything is allocated.
  init(
    reading reader: FileReader, at offset: Int, shape: [Int], dtype: DType, for what: String
  ) throws {
    guard let byteCount = checkedByteCount(shape, dtype: dtype) else {
      throw reader.error("\(what): shape \(describe(shape)) is too large")
    }
    try reader.checkRange(byteCount, at: offset, for: what)
    self.init(empty: shape, dtype: dtype)
    if byteCount > 0 { try reader.read(byteCount, at: offset, into: storage.data, for: what) }
    #if _endian(big)
      storage.swapBytes()
    #endif
  }

  /// Appends the elements to a file as little-endian bytes, in row-major order.
  func writeLittleEndian(to writer: AtomicFileWriter) throws {
    #if _endian(big)
      let source = storage.copy()
      source.swapBytes()
    #else
      let source = storage
    #endif
    try withExtendedLifetime(source) {
      try writer.write(
        UnsafeRawBufferPointer(start: source.data, count: source.count * source.dtype.byteCount))
    }
  }
}

extension TensorStorage {
  /// Reverses the bytes of every element, converting between big- and little-endian.
  func swapBytes() {
    switch dtype.byteCount {
    case 8: swapEach(UInt64.self)
    case 4: swapEach(UInt32.self)
    case 2: swapEach(UInt16.self)
    default: break
    }
  }

  private func swapEach<Word: FixedWidthInteger>(_ type: Word.Type) {
    let words = data.assumingMemoryBound(to: Word.self)
    for index in 0..<count { words[index] = words[index].byteSwapped }
  }
}

/// Appends the little-endian bytes of `value` to `bytes`.
func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
  withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

/// The unsigned little-endian integer in `bytes`, which must hold at most 8 bytes.
func littleEndianValue<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt64 {
  bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
}
