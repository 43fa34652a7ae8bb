// What the test targets share: closeness of values and gradient checks, asserted with Swift
// Testing. A regular target that only test targets depend on (not a product).

import Nabla
import Testing

/// Whether `actual` is within `tolerance` of `expected`, relative to it above 1 in magnitude;
/// equal values (infinities among them) and two NaNs count as close.
func isClose(_ actual: Double, _ expected: Double, tolerance: Double) -> Bool {
  (actual.isNaN && expected.isNaN) || actual == expected
    || Swift.abs(actual - expected) <= tolerance * Swift.max(1, Swift.abs(expected))
}

/// Asserts that two arrays have the same length and agree elementwise within `tolerance`
/// (see `isClose`).
public func expectClose(
  _ actual: [Double], _ expected: [Double], tolerance: Double = 1e-12,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(
    actual.count == expected.count, "counts \(actual.count) != \(expected.count)",
    sourceLocation: sourceLocation)
  for (index, (a, e)) in zip(actual, expected).enumerated() {
    #expect(
      isClose(a, e, tolerance: tolerance), "element \(index): \(a) != \(e)",
      sourceLocation: sourceLocation)
  }
}

/// Asserts that two sequences of rows (the values after each training step, say) agree row by
/// row within `tolerance`; a failure names the step, counted from 1.
public func expectClose(
  _ actual: [[Double]], _ expected: [[Double]], tolerance: Double = 1e-12,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.count == expected.count, sourceLocation: sourceLocation)
  for (step, (row, expectedRow)) in zip(actual, expected).enumerated() {
    #expect(row.count == expectedRow.count, sourceLocation: sourceLocation)
    for (value, expectedValue) in zip(row, expectedRow) {
      #expect(
        isClose(value, expectedValue, tolerance: tolerance),
        "step \(step + 1): \(row) != \(expectedRow)", sourceLocation: sourceLocation)
    }
  }
}

/// Asserts that the tape's gradients of `function` agree with central differences in float64.
public func expectGradients(
  _ inputs: [Tensor], sourceLocation: SourceLocation = #_sourceLocation,
  _ function: ([Tensor]) -> Tensor
) {
  let result = gradientCheck(at: inputs, function)
  #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
}
