import Testing

@testable import Nabla

/// Asserts that the tape's gradients of `function` agree with central differences in float64.
func expectGradients(
  _ inputs: [Tensor], sourceLocation: SourceLocation = #_sourceLocation,
  _ function: ([Tensor]) -> Tensor
) {
  let result = gradientCheck(at: inputs, function)
  #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
}

/// A float64 tensor of standard normal values from a fixed seed.
func randomDouble(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
  Tensor.randomNormal(shape, dtype: .float64, generator: RandomGenerator(seed: seed))
}

/// Asserts that two arrays agree elementwise within `tolerance`.
func expectClose(
  _ actual: [Double], _ expected: [Double], tolerance: Double = 1e-6,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(
    actual.count == expected.count, "counts \(actual.count) != \(expected.count)",
    sourceLocation: sourceLocation)
  for (index, (a, e)) in zip(actual, expected).enumerated() {
    let ok =
      (a.isNaN && e.isNaN) || a == e || Swift.abs(a - e) <= tolerance * Swift.max(1, Swift.abs(e))
    #expect(ok, "element \(index): \(a) != \(e)", sourceLocation: sourceLocation)
  }
}
