import Foundation

/// Where an axis puts its ticks and what it writes under them: round numbers, steps of 1, 2 or
/// 5 times a power of ten on a linear axis, powers of ten on a logarithmic one.
enum AxisTicks {
  /// The step of 1, 2 or 5 × 10^k that cuts `range` into about `targetCount` intervals, at most.
  static func step(for range: ClosedRange<Double>, targetCount: Int = 5) -> Double {
    let raw = (range.upperBound - range.lowerBound) / Double(max(targetCount, 1))
    guard raw > 0, raw.isFinite else { return 1 }
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    return [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) } ?? 10 * magnitude
  }

  /// The multiples of `step(for:)` inside `range`: 0–8000 gives 0, 2000, 4000, 6000, 8000.
  static func linear(in range: ClosedRange<Double>, targetCount: Int = 5) -> [Double] {
    let step = step(for: range, targetCount: targetCount)
    let first = (range.lowerBound / step - 1e-9).rounded(.up)
    let last = (range.upperBound / step + 1e-9).rounded(.down)
    guard first <= last else { return [] }
    return stride(from: first, through: last, by: 1).map { $0 * step + 0 }  // + 0: no -0
  }

  /// The powers of ten inside `range` (every second or third when there are many); with fewer
  /// than three, the 2s and 5s between them too, and linear ticks when even those are too few.
  static func logarithmic(in range: ClosedRange<Double>) -> [Double] {
    guard range.lowerBound > 0 else { return linear(in: range) }
    let low = Int((log10(range.lowerBound) - 1e-9).rounded(.up))
    let high = Int((log10(range.upperBound) + 1e-9).rounded(.down))
    if high - low >= 2 {
      let every = (high - low) / 6 + 1  // at most seven labels, at multiples of `every`
      return (low...high).filter { $0 % every == 0 }.map { pow(10, Double($0)) }
    }
    let candidates = (low - 1...high + 1).flatMap { power in
      [1.0, 2, 5].map { $0 * pow(10, Double(power)) }
    }
    let inside = candidates.filter { range.contains($0 * (1 + 1e-12)) || range.contains($0) }
    return inside.count >= 2 ? inside : linear(in: range, targetCount: 4)
  }

  /// The minor ticks of a logarithmic axis: 2, 3, ..., 9 times each power of ten in `range`,
  /// when the range spans six decades or fewer.
  static func logarithmicMinor(in range: ClosedRange<Double>) -> [Double] {
    guard range.lowerBound > 0, log10(range.upperBound / range.lowerBound) <= 6 else { return [] }
    let low = Int(log10(range.lowerBound).rounded(.down))
    let high = Int(log10(range.upperBound).rounded(.up))
    return (low...high).flatMap { power in
      (2...9).map { Double($0) * pow(10, Double(power)) }
    }.filter { range.contains($0) }
  }

  /// The label of a linear tick, with as many decimals as `step` needs: `0.2`, `2000`, `1e+06`.
  static func label(_ value: Double, step: Double) -> String {
    if abs(value) >= 1e6 || (value != 0 && abs(value) < 1e-4) { return exponential(value) }
    let decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
    return String(format: "%.\(decimals)f", value)
  }

  /// The label of a logarithmic tick: `0.01`, `1`, `1000`, `1e+06`.
  static func label(_ value: Double) -> String {
    if abs(value) >= 1 && abs(value) < 1e6 { return String(format: "%.0f", value) }
    return abs(value) >= 1e-4 ? String(format: "%g", value) : exponential(value)
  }

  /// `value` as `2e6` or `1e-5`: C's `%g` without the exponent's plus sign and leading zeros.
  static func exponential(_ value: Double) -> String {
    let parts = String(format: "%g", value).split(separator: "e")
    guard parts.count == 2, let exponent = Int(parts[1]) else { return String(format: "%g", value) }
    return "\(parts[0])e\(exponent)"
  }
}
