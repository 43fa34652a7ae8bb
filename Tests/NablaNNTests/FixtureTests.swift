import Foundation
import Testing

@testable import NablaNN

/// Files written by Python's `safetensors` and `numpy` (see Fixtures/make_fixtures.py), read by
/// Nabla, and the same tensors written back by Nabla, byte for byte.
private func fixture(_ name: String) throws -> URL {
  let resources = try #require(Bundle.module.resourceURL)
  return resources.appendingPathComponent("Fixtures").appendingPathComponent(name)
}

private final class Rectifier: Module, @unchecked Sendable {
  override func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

@Suite struct SafeTensorsFixtureTests {
  @Test func loadsAPyTorchStyleSequentialState() throws {
    let model = Sequential {
      Linear(3, 4)
      Rectifier()
      Linear(4, 2)
    }
    try model.load(from: fixture("sequential.safetensors"))
    let first = try #require(model.layers[0] as? Linear)
    let last = try #require(model.layers[2] as? Linear)
    // np.arange(12).reshape(4, 3) - 5.5) / 10 and (np.arange(8).reshape(2, 4) - 3) / 4 in float32.
    #expect([Float](first.weight.value) == (0..<12).map { (Float($0) - 5.5) / 10 })
    #expect([Float](first.bias!.value) == [0.5, -0.25, 0.125, -1.0])
    #expect([Float](last.weight.value) == (0..<8).map { (Float($0) - 3) / 4 })
    #expect([Float](last.bias!.value) == [0.75, -0.5])

    let output = model(Tensor([1, 2, 3, -1, 0.5, -2], shape: [2, 3]))
    #expect(output.shape == [2, 2])
    let expected: [Float] = [
      0.4437499940395355, 2.3187501430511475, -0.40625, -0.10624998807907104,
    ]
    for (actual, wanted) in zip([Float](output), expected) { #expect(abs(actual - wanted) <= 1e-6) }
  }

  @Test func writesTheSameBytesAsPython() throws {
    let url = try fixture("sequential.safetensors")
    let directory = try ScratchDirectory()
    let copy = directory.file("copy.safetensors")
    try SafeTensors.write(try SafeTensors.read(from: url).tensors, to: copy)
    #expect(try Data(contentsOf: copy) == Data(contentsOf: url))

    let mixed = try fixture("mixed.safetensors")
    let (tensors, metadata) = try SafeTensors.read(from: mixed)
    try SafeTensors.write(tensors, metadata: metadata, to: copy)
    #expect(try Data(contentsOf: copy) == Data(contentsOf: mixed))
  }

  @Test func readsFloat64AndInt64Tensors() throws {
    let (tensors, metadata) = try SafeTensors.read(from: fixture("mixed.safetensors"))
    #expect(metadata == ["source": "make_fixtures.py"])
    let doubles = try #require(tensors["doubles"])
    #expect(doubles.dtype == .float64 && doubles.shape == [2, 3])
    #expect(doubles.scalars == [0.1, -2.5, 1e-300, 3.0, Double.pi, -0.0])
    #expect(doubles.scalars[5].sign == .minus)
    let labels = try #require(tensors["labels"])
    #expect(labels.dtype == .int64 && labels.shape == [5])
    #expect([Int](labels) == [0, -3, 7, 1 << 40, -(1 << 62)])
    let scalar = try #require(tensors["scalar"])
    #expect(scalar.dtype == .float32 && scalar.shape == [] && scalar.item == 1.5)
  }
}

@Suite struct NumPyFixtureTests {
  @Test func readsWhatNumPySaves() throws {
    let matrix = try Tensor(numpyFile: fixture("matrix.npy"))
    #expect(matrix.dtype == .float32 && matrix.shape == [2, 3])
    #expect([Float](matrix) == [1, -2, 0.5, 3.25, 0, -1e-3])
    let scalar = try Tensor(numpyFile: fixture("scalar.npy"))
    #expect(scalar.dtype == .float64 && scalar.shape == [] && scalar.item == M_E)
    let labels = try Tensor(numpyFile: fixture("labels.npy"))
    #expect(labels.dtype == .int64 && [Int](labels) == [4, -1, (1 << 53) + 1])
    let empty = try Tensor(numpyFile: fixture("empty.npy"))
    #expect(empty.dtype == .float32 && empty.shape == [0, 3])
  }

  @Test(arguments: ["matrix.npy", "scalar.npy", "labels.npy", "empty.npy"])
  func writesTheSameBytesAsNumPy(name: String) throws {
    let directory = try ScratchDirectory()
    let copy = directory.file(name)
    try Tensor(numpyFile: fixture(name)).writeNumPy(to: copy)
    #expect(try Data(contentsOf: copy) == Data(contentsOf: fixture(name)))
  }
}
