import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

/// The storage types against PyTorch: conversions saved by Fixtures/make_dtype_fixtures.py with
/// the safetensors package (which these tests also read), and NumPy arrays of every dtype.
@Suite struct DTypeTests {
  static func fixture(_ name: String) throws -> URL {
    let resources = try #require(Bundle.module.resourceURL)
    return resources.appendingPathComponent("Fixtures/dtypes/\(name)")
  }

  static let conversions: [String: Tensor] = {
    (try? SafeTensors.read(from: fixture("conversions.safetensors")).tensors) ?? [:]
  }()

  /// The raw bits of every element, so that NaNs and signed zeros compare exactly.
  static func bits(_ tensor: Tensor) -> [UInt64] {
    let width = tensor.dtype.byteCount
    return tensor.withUnsafeRawPointer { base in
      (0..<tensor.scalarCount).map { index in
        (0..<width).reduce(UInt64(0)) {
          $0 | UInt64(base.load(fromByteOffset: index * width + $1, as: UInt8.self)) << (8 * $1)
        }
      }
    }
  }

  @Test(arguments: [
    ("source", DType.float16), ("source", .bfloat16), ("source", .float32),
    ("source.float32", .float16), ("source.float32", .bfloat16), ("integers", .float16),
    ("integers", .bfloat16), ("integers", .float32), ("small", .int32), ("small", .int8),
    ("small", .bool), ("small.abs", .uint8), ("integers", .int32), ("integers", .int8),
    ("integers", .uint8), ("integers", .bool), ("source.float16", .float64),
    ("source.bfloat16", .float64),
  ])
  func convertsAsPyTorchConverts(source: String, type: DType) throws {
    #expect(Self.conversions.count == 23)
    var input = try #require(Self.conversions[source == "source.float32" ? "source" : source])
    if source == "source.float32" { input = input.converted(to: .float32) }
    // PyTorch's float-to-integer conversions of NaN are undefined; the fixture zeroed them.
    if input.dtype.isFloatingPoint && !type.isFloatingPoint && type != .bool {
      input = Tensor.where(input .!= input, Tensor.zeros(like: input), input)
    }
    let expected = try #require(Self.conversions["\(source).\(type)"])
    let converted = input.converted(to: type)
    #expect(converted.dtype == expected.dtype && converted.shape == expected.shape)
    // NaN's bits differ between PyTorch's scalar and vector paths (bfloat16: 0x7FC0 or 0xFFFF);
    // any NaN matches a NaN, and every other element matches bit for bit.
    let isNaN = expected.scalars.map(\.isNaN)
    #expect(converted.scalars.map(\.isNaN) == isNaN, "\(source) to \(type)")
    let (actualBits, expectedBits) = (Self.bits(converted), Self.bits(expected))
    #expect(
      actualBits.indices.allSatisfy { isNaN[$0] || actualBits[$0] == expectedBits[$0] },
      "\(source) to \(type)")
  }

  @Test func halfPrecisionKeepsTheSpecialValues() {
    let values = [0, -0.0, .infinity, -.infinity, .nan, 65504, 70000, 1e-8, 6e-8]
    for type in [DType.float16, .bfloat16] {
      let back = Tensor(values, dtype: type).scalars
      #expect(back[0] == 0 && back[1] == 0 && back[1].sign == .minus, "\(type)")
      #expect(back[2] == .infinity && back[3] == -.infinity && back[4].isNaN, "\(type)")
    }
    #expect(Tensor(values, dtype: .float16).scalars[5...] == [65504, .infinity, 0, 0x1p-24])
  }

  @Test func initializersMakeTheirTypes() {
    let tokens: [Int] = [101, 7592, 102]
    #expect(Tensor(tokens).dtype == .int64 && Tensor(tokens).scalars == [101, 7592, 102])
    #expect(Tensor([Int32(3), -4], shape: [2, 1]).dtype == .int32)
    #expect(Tensor([UInt8(255), 0]).scalars == [255, 0])
    let mask = Tensor([true, false, true])
    #expect(mask.dtype == .bool && mask.scalars == [1, 0, 1])
    #expect(Tensor([1, 2, 3]).dtype == .float32)  // a literal stays float32
    #expect(mask.description == "tensor([ True, False,  True], shape: [3], dtype: bool)")
    #expect(Tensor.ones([2], dtype: .bfloat16).scalars == [1, 1])
    #expect(Tensor.full([0], value: 3, dtype: .int8).scalarCount == 0)
  }

  @Test func shapeOpsIndexingAndComparisonsWorkOnEveryType() {
    for type in DType.allCases {
      let v: [Double] = type == .bool ? [1, 0, 0, 1, 1, 0] : [1, 0, 3, 2, 5, 4]
      let x = Tensor(v, shape: [2, 3], dtype: type)
      let t = x.transposed(0, 1)
      #expect(t.dtype == type && t.scalars == [v[0], v[3], v[1], v[4], v[2], v[5]], "\(type)")
      #expect(x.reshaped([3, 2])[1].scalars == [v[2], v[3]], "\(type)")
      let joined = Tensor(concatenating: [x, x], alongAxis: 0)
      #expect(joined.shape == [4, 3] && joined.scalars == v + v, "\(type)")
      let picked = x.indexSelect(alongAxis: 1, indices: Tensor(indices: [2, 0]))
      #expect(picked.scalars == [v[2], v[0], v[5], v[3]], "\(type)")
      if type != .bool {
        #expect(x.argmax(alongAxis: 1).scalars == [2, 1], "\(type)")
        #expect((x .> 1).scalars == [0, 0, 1, 1, 1, 1], "\(type)")
        #expect((x .== Tensor([2, 5, 4], dtype: type)).scalars == [0, 0, 0, 1, 1, 1], "\(type)")
      }
    }
    // The everyday accuracy line: int64 predictions against int32 labels.
    let predictions = Tensor(indices: [2, 0, 1])
    #expect((predictions .== Tensor([Int32(2), 1, 1])).scalars == [1, 0, 1])
    #expect((Tensor([true, false]) .== Tensor([true, true])).scalars == [1, 0])
  }

  @Test func safeTensorsAndNumPyRoundTripEveryType() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nabla-dtypes-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("all.safetensors")
    try SafeTensors.write(Self.conversions, to: url)
    let back = try SafeTensors.read(from: url).tensors
    for (name, tensor) in Self.conversions {
      #expect(back[name].map(Self.bits) == Self.bits(tensor), "\(name)")
    }
    for (name, tensor) in Self.conversions where tensor.dtype != .bfloat16 {
      let file = directory.appendingPathComponent("\(name).npy")
      try tensor.writeNumPy(to: file)
      #expect(Self.bits(try Tensor(numpyFile: file)) == Self.bits(tensor), "\(name)")
    }
  }

  @Test func readsNumPysDtypesInEitherByteOrder() throws {
    let expected = [1.5, -2.25, 0, 65504, -0.0, 3]
    let cases: [(String, DType, [Double])] = [
      ("f2", .float16, expected), ("f2_big", .float16, expected), ("f4_big", .float32, expected),
      ("f8_big", .float64, expected), ("i4", .int32, [1, -2, 0, 65504, 0, 3]),
      ("i4_big", .int32, [1, -2, 0, 65504, 0, 3]), ("i8_big", .int64, [1, -2, 0, 65504, 0, 3]),
      ("u1", .uint8, [1, 254, 0, 224, 0, 3]), ("i1", .int8, [1, -2, 0, -32, 0, 3]),
      ("b1", .bool, [1, 1, 0, 1, 0, 1]),
    ]
    for (name, type, values) in cases {
      let tensor = try Tensor(numpyFile: Self.fixture("\(name).npy"))
      #expect(tensor.dtype == type && tensor.shape == [2, 3], "\(name)")
      #expect(tensor.scalars == values, "\(name)")
    }
  }
}
