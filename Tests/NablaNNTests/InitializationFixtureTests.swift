import Foundation
import Testing

@testable import NablaNN

/// Nabla's generator and its layers' default initializations draw exactly what PyTorch draws
/// from the same seed (Fixtures/initialization.safetensors, written by
/// make_initialization_fixtures.py with torch.manual_seed).
@Suite struct InitializationFixtureTests {
  let fixture: PyTorchFixture

  init() throws { fixture = try PyTorchFixture("initialization") }

  /// The values of `name` in the fixture, whatever their dtype.
  private func expected(_ name: String) throws -> [Double] {
    try #require(fixture.tensors[name], "no \(name) in the fixture").scalars
  }

  @Test func uniformDrawsMatchTorchBitForBit() throws {
    let generator = RandomGenerator(seed: 0)
    let single = Tensor.randomUniform(
      [3, 7], low: -0.5, high: 2.0, dtype: .float32, generator: generator)
    let double = Tensor.randomUniform(
      [5], low: -1.0, high: 3.0, dtype: .float64, generator: generator)
    let after = Tensor.randomUniform([4], dtype: .float32, generator: generator)
    #expect(single.scalars == (try expected("uniform:float32")))
    #expect(double.scalars == (try expected("uniform:float64")))
    #expect(after.scalars == (try expected("uniform:float32_after")))
  }

  @Test func convolutionAndLinearLayersStartFromTorchsWeights() throws {
    let generator = RandomGenerator(seed: 0)
    let layers: [Module] = [
      Conv1D(1, 25, kernelSize: 5, stride: 2, padding: 1, generator: generator),
      Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1, generator: generator),
      Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1, generator: generator),
      Linear(125, 10, generator: generator),
    ]
    for (index, layer) in layers.enumerated() {
      for (name, value) in layer.stateDict() {
        #expect(value.scalars == (try expected("cnn.\(index).\(name)")), "layer \(index) \(name)")
      }
    }
  }

  @Test func recurrentLayersStartFromTorchsWeights() throws {
    let lstm = LSTM(
      inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true,
      generator: RandomGenerator(seed: 1))
    let state = lstm.stateDict()
    #expect(state.count == 16)
    for (name, value) in state {
      #expect(value.scalars == (try expected("lstm.\(name)")), "\(name)")
    }
  }
}
