/// What `gradientCheck` found: the worst disagreement between the tape's gradients and central
/// differences, and where it is.
public struct GradientCheckResult: CustomStringConvertible, Sendable {
  /// Whether every element agreed within the tolerances.
  public var passed: Bool
  /// The largest |analytic − numeric| over all inputs and elements.
  public var maxAbsoluteError: Double
  /// The largest |analytic − numeric| / max(|analytic|, |numeric|) (0 where both are 0).
  public var maxRelativeError: Double
  /// The input and flat element index of the worst element (by the tolerance test).
  public var worstInput: Int
  /// The flat (row-major) index of the worst element within `worstInput`.
  public var worstElement: Int
  /// The tape's gradient at the worst element.
  public var analytic: Double
  /// The central-difference estimate at the worst element.
  public var numeric: Double

  /// A one-line summary naming the worst element.
  public var description: String {
    "gradientCheck \(passed ? "passed" : "FAILED"): max abs error \(maxAbsoluteError), max rel "
      + "error \(maxRelativeError); worst at input \(worstInput) element \(worstElement) "
      + "(analytic \(analytic), numeric \(numeric))"
  }
}

/// Compares the gradients the tape computes for `function` with central differences, in
/// float64, as `torch.autograd.gradcheck` does.
///
/// The inputs are converted to float64 and made leaves that require gradients. A non-scalar
/// output is reduced to a scalar by a fixed random weighting, so every output element is checked.
/// An element passes when |analytic − numeric| ≤ `absoluteTolerance` +
/// `relativeTolerance`·|numeric|.
///
/// ```swift
/// let result = gradientCheck(at: [Tensor.randomNormal([3, 4], dtype: .float64)]) { x in
///   x[0].tanh().sum(alongAxes: [1])
/// }
/// #expect(result.passed, "\(result)")
/// ```
///
/// - Parameters:
///   - inputs: The points at which to check; every one gets a gradient.
///   - epsilon: The step of the central difference.
///   - absoluteTolerance: The error allowed regardless of size.
///   - relativeTolerance: The error allowed per unit of the numeric gradient.
///   - function: Maps the inputs to the tensor whose gradient is checked.
public func gradientCheck(
  at inputs: [Tensor], epsilon: Double = 1e-6, absoluteTolerance: Double = 1e-5,
  relativeTolerance: Double = 1e-3, _ function: ([Tensor]) -> Tensor
) -> GradientCheckResult {
  let points = inputs.map { $0.detached().converted(to: .float64) }
  let weights = withoutGradients {
    Tensor.randomNormal(
      function(points).shape, dtype: .float64, generator: RandomGenerator(seed: 0x6e_6162_6c61))
  }
  func objective(_ values: [Tensor]) -> Tensor {
    let output = function(values)
    require(
      output.dtype == .float64,
      "gradientCheck: the function returned \(output.dtype); it must keep float64 inputs float64")
    return (output * weights).sum()
  }

  let leaves = points.map { $0.requiringGrad() }
  objective(leaves).backward()

  var result = GradientCheckResult(
    passed: true, maxAbsoluteError: 0, maxRelativeError: 0, worstInput: 0, worstElement: 0,
    analytic: 0, numeric: 0)
  var worstExcess = -Double.infinity
  for (inputIndex, point) in points.enumerated() {
    let analytic =
      leaves[inputIndex].grad.map { [Double]($0) }
      ?? [Double](repeating: 0, count: point.scalarCount)
    var values = [Double](point)
    for element in values.indices {
      let original = values[element]
      func evaluate(_ value: Double) -> Double {
        values[element] = value
        var shifted = points
        shifted[inputIndex] = Tensor(values, shape: point.shape, dtype: .float64)
        return withoutGradients { objective(shifted).item }
      }
      let numeric = (evaluate(original + epsilon) - evaluate(original - epsilon)) / (2 * epsilon)
      values[element] = original
      let error = Swift.abs(analytic[element] - numeric)
      let scale = Swift.max(Swift.abs(analytic[element]), Swift.abs(numeric))
      result.maxAbsoluteError = Swift.max(result.maxAbsoluteError, error)
      result.maxRelativeError = Swift.max(result.maxRelativeError, scale > 0 ? error / scale : 0)
      let excess = error - (absoluteTolerance + relativeTolerance * Swift.abs(numeric))
      if excess > 0 || error.isNaN { result.passed = false }
      if excess > worstExcess || error.isNaN {
        worstExcess = error.isNaN ? .infinity : excess
        result.worstInput = inputIndex
        result.worstElement = element
        result.analytic = analytic[element]
        result.numeric = numeric
      }
    }
  }
  return result
}
