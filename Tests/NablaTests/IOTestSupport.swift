import Foundation
import Testing

@testable import Nabla

/// A fresh directory for one test's files, removed when the value is released.
final class TemporaryDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nabla-io-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  /// A path inside the directory.
  func file(_ name: String) -> URL { url.appendingPathComponent(name) }

  /// Writes `bytes` to a file in the directory (not atomically) and returns its URL.
  func write(_ bytes: [UInt8], to name: String) throws -> URL {
    let file = file(name)
    try Data(bytes).write(to: file)
    return file
  }

  /// The names of the files in the directory.
  func contents() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
  }
}

/// Asserts that `body` throws a `TensorFileError` about `url` whose message contains every one of
/// `fragments`, and returns the error.
@discardableResult
func expectFileError(
  _ url: URL, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () throws -> Void
) -> TensorFileError? {
  do {
    try body()
    Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
  } catch let error as TensorFileError {
    #expect(error.url.path == url.path, sourceLocation: sourceLocation)
    #expect(error.description.hasPrefix(url.path + ": "), sourceLocation: sourceLocation)
    for fragment in fragments {
      #expect(
        error.description.contains(fragment), "message was: \(error)",
        sourceLocation: sourceLocation)
    }
    return error
  } catch {
    Issue.record("expected a TensorFileError, got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

/// The little-endian bytes of `value`.
func littleEndianBytes<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
  withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// The little-endian bytes of float32 values.
func littleEndianBytes(_ values: [Float]) -> [UInt8] {
  values.flatMap { littleEndianBytes($0.bitPattern) }
}

/// The little-endian bytes of float64 values.
func littleEndianBytes(_ values: [Double]) -> [UInt8] {
  values.flatMap { littleEndianBytes($0.bitPattern) }
}

/// A safetensors file: the 8-byte header length, `header` as given, then `data`.
func safeTensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
  let headerBytes = Array(header.utf8)
  return littleEndianBytes(UInt64(headerBytes.count)) + headerBytes + data
}

/// An `.npy` file with version `major`.0 and the header text as given, then `data`.
func numpyBytes(header: String, data: [UInt8] = [], major: UInt8 = 1) -> [UInt8] {
  let headerBytes = Array(header.utf8)
  let length =
    major == 1
    ? littleEndianBytes(UInt16(headerBytes.count)) : littleEndianBytes(UInt32(headerBytes.count))
  return [0x93] + Array("NUMPY".utf8) + [major, 0] + length + headerBytes + data
}

/// The raw bit patterns of a tensor's elements, so that NaNs and signed zeros compare exactly.
func bitPatterns(_ tensor: Tensor) -> [UInt64] {
  let width = tensor.dtype.byteCount
  return tensor.withUnsafeRawPointer { base in
    (0..<tensor.scalarCount).map { index in
      (0..<width).reduce(UInt64(0)) {
        $0 | UInt64(base.load(fromByteOffset: index * width + $1, as: UInt8.self)) << (8 * $1)
      }
    }
  }
}

/// Asserts that two tensors have the same dtype, shape and bits.
func expectIdentical(
  _ actual: Tensor?, _ expected: Tensor, sourceLocation: SourceLocation = #_sourceLocation
) {
  guard let actual else {
    Issue.record("tensor is missing", sourceLocation: sourceLocation)
    return
  }
  #expect(actual.dtype == expected.dtype, sourceLocation: sourceLocation)
  #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
  if actual.dtype == expected.dtype {
    #expect(bitPatterns(actual) == bitPatterns(expected), sourceLocation: sourceLocation)
  }
}

/// A tensor of `shape` and `dtype` whose elements include the awkward values of the type.
func sampleTensor(_ shape: [Int], dtype: DType) -> Tensor {
  let count = shape.reduce(1, *)
  switch dtype {
  case .float32:
    let special: [Float] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .pi]
    return Tensor(
      (0..<count).map { $0 < special.count ? special[$0] : Float($0) * 0.37 - 2 }, shape: shape)
  case .float64:
    let special: [Double] = [.nan, -.infinity, .infinity, -0.0, .leastNonzeroMagnitude, 1e300]
    return Tensor(
      (0..<count).map { $0 < special.count ? special[$0] : Double($0) * 0.37 - 2 }, shape: shape,
      dtype: .float64)
  case .int64:
    var tensor = Tensor.zeros(shape, dtype: .int64)
    tensor.withUnsafeMutableBufferPointer(as: Int64.self) { buffer in
      let special: [Int64] = [.min, .max, -1, 1 << 53 + 1]
      for index in buffer.indices {
        buffer[index] = index < special.count ? special[index] : Int64(index) * 1_000_003 - 7
      }
    }
    return tensor
  case .float16, .bfloat16, .int32, .uint8, .int8, .bool:
    // Bit patterns that cover the awkward values: NaN, infinities, -0, subnormals, extremes.
    let special: [UInt64] = [0x7E01, 0x7C00, 0xFC00, 0x8000, 0x0001, 0x7F80, 0xFF80, 0x7FFF_FFFF]
    let width = dtype.byteCount
    var tensor = Tensor.zeros(shape, dtype: dtype)
    tensor.withUnsafeMutableRawPointer { base in
      let bytes = base.assumingMemoryBound(to: UInt8.self)
      for index in 0..<count {
        let bits = index < special.count ? special[index] : UInt64(index) &* 0x9E37_79B9
        for byte in 0..<width {
          bytes[index * width + byte] =
            dtype == .bool
            ? (byte == 0 ? UInt8(index % 2) : 0) : UInt8(truncatingIfNeeded: bits >> (8 * byte))
        }
      }
    }
    return tensor
  }
}

/// The shapes the round-trip tests cover: rank 0, empty dimensions, vectors, matrices, rank 4.
let sampleShapes: [[Int]] = [[], [0], [1], [7], [2, 3], [3, 0], [0, 2, 5], [2, 1, 3, 2]]
