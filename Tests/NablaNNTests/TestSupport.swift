import NablaTestSupport
import Testing

@testable import NablaNN

/// Asserts that a process stopped with a message containing `message`.
func expectMessage(
  _ result: ExitTest.Result?, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
  #expect(printed.contains(message), "stderr was: \(printed)", sourceLocation: sourceLocation)
}

/// A float64 tensor of `values` in `shape`.
func tensor(_ values: [Double], _ shape: [Int]) -> Tensor {
  Tensor(values, shape: shape, dtype: .float64)
}

/// Asserts a loss's values (and its shape, when given).
func expectLoss(
  _ loss: Tensor, _ expected: [Double], shape: [Int]? = nil,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  if let shape { #expect(loss.shape == shape, sourceLocation: sourceLocation) }
  expectClose([Double](loss), expected, sourceLocation: sourceLocation)
}

/// A float64 tensor of standard normal values drawn from a generator seeded with `seed`.
func random(_ shape: [Int], seed: UInt64) -> Tensor {
  Tensor.randomNormal(shape, dtype: .float64, generator: RandomGenerator(seed: seed))
}

/// Asserts that a module's gradients (input and parameters) agree with central differences.
func expectModuleGradients(
  _ module: Module, _ input: Tensor, sourceLocation: SourceLocation = #_sourceLocation
) {
  let result = gradientCheck(module, input: input)
  #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
}
