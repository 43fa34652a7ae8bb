import Foundation

/// Scales the gradients of `parameters` together so that their combined norm is at most
/// `maxNorm`, as PyTorch's `clip_grad_norm_`, and returns the norm they had before.
///
/// The norm is taken over all gradients as if concatenated into one vector, accumulated in
/// float64 (so float32 gradients of 1e20, whose squares overflow float32, still have a finite
/// norm). Every gradient is multiplied by `min(maxNorm / (norm + 1e-6), 1)`. Parameters without a
/// gradient (frozen ones, or unused) are skipped.
///
/// A norm that is not finite is handled as PyTorch handles it: an infinite norm makes the factor
/// 0, so finite gradients become zero and infinite ones NaN; a NaN norm makes every gradient NaN.
/// To stop instead, call the throwing form with `errorIfNonfinite: true`, or skip the step when
/// the returned norm is not finite.
///
/// ```swift
/// loss.backward()
/// let norm = clipGradientNorm(model.parameters(), maxNorm: 1)
/// optimizer.step()
/// ```
///
/// - Parameters:
///   - parameters: The parameters whose gradients to clip.
///   - maxNorm: The largest norm allowed.
///   - normType: The p of the p-norm (2 by default); `.infinity` for the largest magnitude.
/// - Returns: The total norm of the gradients before clipping (0 when none has a gradient).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double, normType: Double = 2)
  -> Double
{
  require(normType > 0, "clipGradientNorm: normType must be positive, got \(normType)")
  require(maxNorm >= 0, "clipGradientNorm: maxNorm must not be negative, got \(maxNorm)")
  return try! clip(parameters, maxNorm: maxNorm, normType: normType, errorIfNonfinite: false)
}

/// Clips as `clipGradientNorm(_:maxNorm:normType:)` does, but with `errorIfNonfinite: true`
/// throws instead when the norm is infinite or NaN, leaving the gradients unchanged, as PyTorch's
/// `error_if_nonfinite`.
///
/// ```swift
/// do {
///   try clipGradientNorm(model.parameters(), maxNorm: 1, errorIfNonfinite: true)
///   optimizer.step()
/// } catch let error as NonfiniteGradientNormError {
///   print("skipping the step: \(error)")
/// }
/// ```
///
/// - Parameters:
///   - parameters: The parameters whose gradients to clip.
///   - maxNorm: The largest norm allowed.
///   - normType: The p of the p-norm (2 by default); `.infinity` for the largest magnitude.
///   - errorIfNonfinite: Whether a norm that is not finite throws (when false, this is the
///     non-throwing form).
/// - Returns: The total norm of the gradients before clipping.
/// - Throws: `NonfiniteGradientNormError` when `errorIfNonfinite` and the norm is not finite.
@discardableResult
public func clipGradientNorm(
  _ parameters: [Parameter], maxNorm: Double, normType: Double = 2, errorIfNonfinite: Bool
) throws -> Double {
  require(normType > 0, "clipGradientNorm: normType must be positive, got \(normType)")
  require(maxNorm >= 0, "clipGradientNorm: maxNorm must not be negative, got \(maxNorm)")
  return try clip(
    parameters, maxNorm: maxNorm, normType: normType, errorIfNonfinite: errorIfNonfinite)
}

/// Both forms of `clipGradientNorm`: the norm taken once, checked when asked, then applied.
private func clip(
  _ parameters: [Parameter], maxNorm: Double, normType: Double, errorIfNonfinite: Bool
) throws(NonfiniteGradientNormError) -> Double {
  let withGradients = parameters.filter { $0.grad != nil }
  guard !withGradients.isEmpty else { return 0 }
  let totalNorm = withoutGradients { norm(of: withGradients.map { $0.grad! }, p: normType) }
  if errorIfNonfinite && !totalNorm.isFinite {
    throw NonfiniteGradientNormError(norm: totalNorm, normType: normType)
  }
  let factor = maxNorm / (totalNorm + 1e-6)
  if !(factor >= 1) {  // also when the factor is NaN, as in PyTorch
    withoutGradients {
      for parameter in withGradients { parameter.grad = parameter.grad! * factor }
    }
  }
  return totalNorm
}

/// The gradients' norm was infinite or NaN, so `clipGradientNorm(..., errorIfNonfinite: true)`
/// did not clip them.
public struct NonfiniteGradientNormError: Error, CustomStringConvertible {
  /// The norm: infinite or NaN.
  public var norm: Double
  /// The p of the p-norm.
  public var normType: Double

  /// What happened, as a sentence.
  public var description: String {
    "clipGradientNorm: the total norm of order \(normType) of the gradients is \(norm), so "
      + "they cannot be clipped (a gradient holds an infinity or a NaN, or overflowed)"
  }
}

/// The p-norm of `gradients` taken together, in float64; finite gradients whose powers overflow
/// even float64 are scaled by their largest magnitude first.
private func norm(of gradients: [Tensor], p: Double) -> Double {
  let largest = gradients.map { $0.abs().max().item }.max()!
  if p == .infinity || largest.isNaN { return largest }
  func powerSum(dividedBy scale: Double) -> Double {
    gradients.reduce(0.0) { sum, gradient in
      var magnitude = gradient.converted(to: .float64).abs()
      if scale != 1 { magnitude = magnitude / scale }
      let powered = p == 2 ? magnitude.squared() : magnitude.pow(p)
      return sum + powered.sum().item
    }
  }
  func root(_ sum: Double) -> Double { p == 2 ? sum.squareRoot() : Foundation.pow(sum, 1 / p) }
  let sum = powerSum(dividedBy: 1)
  guard sum.isInfinite, largest.isFinite, largest > 0 else { return root(sum) }
  return largest * root(powerSum(dividedBy: largest))
}

/// Limits every element of the gradients of `parameters` to `[-maxValue, maxValue]`, as
/// PyTorch's `clip_grad_value_`.
///
/// ```swift
/// clipGradientValue(model.parameters(), maxValue: 0.5)
/// ```
///
/// - Parameters:
///   - parameters: The parameters whose gradients to clip; those without a gradient are skipped.
///   - maxValue: The largest magnitude allowed.
public func clipGradientValue(_ parameters: [Parameter], maxValue: Double) {
  require(maxValue >= 0, "clipGradientValue: maxValue must not be negative, got \(maxValue)")
  withoutGradients {
    for parameter in parameters {
      guard let gradient = parameter.grad else { continue }
      parameter.grad = gradient.clamped(min: -maxValue, max: maxValue)
    }
  }
}
