import Foundation
import Testing

@testable import Nabla

@Suite struct CreationTests {
  @Test func basicProperties() {
    let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    #expect(x.shape == [2, 3] && x.rank == 2 && x.scalarCount == 6 && x.dtype == .float32)
    #expect(Tensor(scalar: 3.5).item == 3.5)
    #expect(Tensor(scalar: 3.5).rank == 0)
    #expect(Tensor(indices: [1, 2]).dtype == .int64)
    #expect(x.scalars == [1, 2, 3, 4, 5, 6])
  }

  @Test func filledTensors() {
    #expect([Float](Tensor.zeros([2, 2])) == [0, 0, 0, 0])
    #expect([Double](Tensor.ones([3], dtype: .float64)) == [1, 1, 1])
    #expect([Float](Tensor.full([2], value: 7)) == [7, 7])
    #expect([Int](Tensor.full([2], value: 7, dtype: .int64)) == [7, 7])
    #expect([Float](Tensor.eye(2, columns: 3)) == [1, 0, 0, 0, 1, 0])
    #expect([Float](Tensor.eye(2)) == [1, 0, 0, 1])
  }

  @Test func rangesFollowPyTorch() {
    #expect([Float](Tensor.arange(0, 5)) == [0, 1, 2, 3, 4])
    #expect([Float](Tensor.arange(1, 2, step: 0.25)) == [1, 1.25, 1.5, 1.75])
    #expect([Float](Tensor.arange(5, 0, step: -2)) == [5, 3, 1])
    #expect([Double](Tensor.linspace(0, 1, count: 5, dtype: .float64)) == [0, 0.25, 0.5, 0.75, 1])
    #expect([Float](Tensor.linspace(3, 3, count: 1)) == [3])
  }

  @Test func randomTensorsAreSeededAndDistributedAsAsked() {
    let a = Tensor.randomUniform([4], generator: RandomGenerator(seed: 9))
    let b = Tensor.randomUniform([4], generator: RandomGenerator(seed: 9))
    #expect([Float](a) == [Float](b))
    #expect([Float](a) != [Float](Tensor.randomUniform([4], generator: RandomGenerator(seed: 10))))

    let generator = RandomGenerator(seed: 1)
    let normal = Tensor.randomNormal(
      [20_000], mean: 2, standardDeviation: 3, dtype: .float64, generator: generator)
    #expect(Swift.abs(normal.mean().item - 2) < 0.1)
    #expect(Swift.abs(normal.variance().item.squareRoot() - 3) < 0.1)
    let uniform = Tensor.randomUniform(
      [20_000], low: -1, high: 3, dtype: .float64, generator: generator)
    #expect(uniform.min().item >= -1 && uniform.max().item < 3)
    #expect(Swift.abs(uniform.mean().item - 1) < 0.05)
    let coin = Tensor.randomBernoulli([20_000], probability: 0.3, generator: generator)
    #expect(Set([Float](coin)) == [0, 1])
    #expect(Swift.abs(coin.mean().item - 0.3) < 0.02)
  }

  /// The global generator is shared by every test running in parallel, so its determinism is
  /// checked in a child process of its own.
  @Test func manualSeedRepeatsTheGlobalStream() async {
    await #expect(processExitsWith: .success) {
      manualSeed(42)
      let first = [Float](Tensor.randomNormal([5]))
      manualSeed(42)
      let second = [Float](Tensor.randomNormal([5]))
      manualSeed(43)
      let other = [Float](Tensor.randomNormal([5]))
      if first != second || first == other { exit(1) }
    }
  }

  @Test func descriptionLooksLikePyTorch() {
    let x = Tensor([1, 2.5, -3, 4], shape: [2, 2])
    #expect(
      x.description
        == "tensor([[ 1.0000,  2.5000],\n        [-3.0000,  4.0000]], shape: [2, 2], dtype: float32)"
    )
    #expect(Tensor(indices: [3, 10]).description == "tensor([ 3, 10], shape: [2], dtype: int64)")
    #expect(Tensor(scalar: 2).description == "tensor(2.0000, shape: [], dtype: float32)")
    let big = Tensor.arange(0, 2000).reshaped([2, 1000])
    #expect(big.description.contains("2.0000, ...,  997.0000"))
    #expect(!big.description.contains("500.0000"))
    #expect(Tensor([1]).requiringGrad().description.hasSuffix("requiresGrad: true)"))
  }
}
