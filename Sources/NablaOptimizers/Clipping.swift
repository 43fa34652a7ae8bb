import Foundation

/// Scales the gradients of `parameters` together so that their combined norm is at most
/// `maxNorm`, as PyTorch's `clip_grad_norm_`, and returns the norm they had before.
///
/// The norm is taken over all gradients as if concatenated into one vector. When it exceeds
/// `maxNorm`, every gradient is multiplied by `maxNorm / (norm + 1e-6)`. Parameters without a
/// gradient (frozen ones, or unused) are skipped. A norm that is not finite (an overflow or a
/// NaN) leaves the gradients as they are and is returned, so the caller can skip the step; PyTorch
/// would multiply them by NaN.
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
  return withoutGradients {
    let withGradients = parameters.filter { $0.grad != nil }
    guard !withGradients.isEmpty else { return 0 }
    let totalNorm: Double
    if normType == .infinity {
      totalNorm = withGradients.map { $0.grad!.abs().max().item }.max()!
    } else {
      let sum = withGradients.reduce(0.0) { sum, parameter in
        let magnitude = parameter.grad!.abs()
        let powered = normType == 2 ? magnitude.squared() : magnitude.pow(normType)
        return sum + powered.sum().item
      }
      totalNorm = normType == 2 ? sum.squareRoot() : Foundation.pow(sum, 1 / normType)
    }
    let scale = maxNorm / (totalNorm + 1e-6)
    if scale < 1 {
      for parameter in withGradients { parameter.grad = parameter.grad! * scale }
    }
    return totalNorm
  }
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
