import Testing

@testable import Nabla

/// A float64 tensor of standard normal values from a fixed seed.
func randomDouble(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
  Tensor.randomNormal(shape, dtype: .float64, generator: RandomGenerator(seed: seed))
}
