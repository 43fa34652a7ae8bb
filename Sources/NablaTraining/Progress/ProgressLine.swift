import Foundation

/// The text of a progress report, as pure functions of the step, the total, the time elapsed
/// and the values shown, so that it can be tested without a terminal.
///
/// A terminal line holds, from left to right: the percentage, a bar, the step, the values, the
/// rate and the time left (or the time taken, once the last step is done):
///
/// ```
///  15% [#####...........................] 1200/8000 loss 0.5123 210 steps/s 0:32 left
/// ```
///
/// When the width is short, parts are shortened or dropped until the line fits: the bar first,
/// then the percentage, digits of the values, the words of the rate and the time, the values
/// from the last, the rate, and the time.
public enum ProgressLine {
  /// What a line shows; each step of `layouts` shows less.
  struct Layout {
    var bar = true
    var percent = true
    var valueDigits = 4
    var valueCount = Int.max
    var rateWords = true
    var rate = true
    var timeWords = true
    var time = true
  }

  /// The terminal line for `step` of `total`, at most `width - 2` characters long, so that the
  /// line with the `\r` before it stays shorter than the terminal and never wraps.
  ///
  /// - Parameters:
  ///   - step: The steps done so far.
  ///   - total: The steps of the run.
  ///   - elapsed: The seconds since the run started.
  ///   - width: The terminal's width in columns.
  ///   - values: Named values to show after the step, such as `[("loss", 0.5123)]`.
  ///   - unit: The name of a step in the rate: "steps" gives "210 steps/s", "it" "210 it/s".
  public static func terminal(
    step: Int, total: Int, elapsed: Double, width: Int,
    values: [(name: String, value: Double)] = [], unit: String = "steps"
  ) -> String {
    let budget = max(width - 2, 1)
    for layout in layouts(valueCount: values.count) {
      let parts = self.parts(step, total, elapsed, values, unit, layout)
      var line = parts.joined(separator: " ")
      if layout.bar {
        let inner = min(budget - line.count - 3, 30)
        guard inner >= 10 else { continue }
        let bar = self.bar(step: step, total: total, width: inner)
        line =
          layout.percent
          ? parts[0] + " " + bar + " " + parts.dropFirst().joined(separator: " ")
          : bar + " " + line
      }
      if line.count <= budget { return line }
    }
    return String(counter(step, total).prefix(budget))
  }

  /// The plain line for `step` of `total`, printed when the output is not a terminal:
  /// `step 1200/8000 (15%) loss 0.5123 210 steps/s 0:32 left`.
  ///
  /// - Parameters: As for `terminal`, without a width.
  public static func plain(
    step: Int, total: Int, elapsed: Double, values: [(name: String, value: Double)] = [],
    unit: String = "steps"
  ) -> String {
    var layout = Layout()
    layout.bar = false
    layout.percent = false
    let parts = self.parts(step, total, elapsed, values, unit, layout)
    let done = percent(step, total).trimmingCharacters(in: .whitespaces)
    return "step \(parts[0]) (\(done)) " + parts.dropFirst().joined(separator: " ")
  }

  /// The layouts tried in turn, from the fullest to the barest.
  static func layouts(valueCount: Int) -> [Layout] {
    var layout = Layout()
    var result = [layout]
    let shorter: [(inout Layout) -> Void] = [
      { $0.bar = false }, { $0.percent = false }, { $0.valueDigits = 3 }, { $0.rateWords = false },
      { $0.timeWords = false },
    ]
    for change in shorter {
      change(&layout)
      result.append(layout)
    }
    for count in stride(from: valueCount - 1, through: 0, by: -1) {
      layout.valueCount = count
      result.append(layout)
    }
    layout.rate = false
    result.append(layout)
    layout.time = false
    result.append(layout)
    return result
  }

  /// The line's parts other than the bar: percentage, step, values, rate, time.
  static func parts(
    _ step: Int, _ total: Int, _ elapsed: Double, _ values: [(name: String, value: Double)],
    _ unit: String, _ layout: Layout
  ) -> [String] {
    var parts: [String] = []
    if layout.percent { parts.append(percent(step, total)) }
    parts.append(counter(step, total))
    for (name, value) in values.prefix(layout.valueCount) {
      parts.append("\(name) " + String(format: "%.\(layout.valueDigits)g", value))
    }
    let rate = step > 0 && elapsed > 0 ? Double(step) / elapsed : nil
    if layout.rate {
      let number = rate.map(rateText) ?? "?"
      parts.append(layout.rateWords ? "\(number) \(unit)/s" : "\(number)/s")
    }
    if layout.time {
      if step >= total {
        parts.append(layout.timeWords ? "took \(clock(elapsed))" : clock(elapsed))
      } else {
        let left = rate.map { clock(Double(total - step) / $0) } ?? "?"
        parts.append(layout.timeWords ? "\(left) left" : left)
      }
    }
    return parts
  }

  /// `step/total`, the step padded to the total's digits so that the line does not shift.
  static func counter(_ step: Int, _ total: Int) -> String {
    let digits = String(total).count
    let text = String(step)
    return String(repeating: " ", count: max(digits - text.count, 0)) + text + "/\(total)"
  }

  /// The percentage done, as `" 15%"`.
  static func percent(_ step: Int, _ total: Int) -> String {
    let value = total > 0 ? min(max(100 * step / total, 0), 100) : 100
    return String(repeating: " ", count: value < 10 ? 2 : value < 100 ? 1 : 0) + "\(value)%"
  }

  /// A bar of `width` characters between brackets, filled in proportion to `step` of `total`.
  static func bar(step: Int, total: Int, width: Int) -> String {
    let filled = total > 0 ? min(max(width * step / total, 0), width) : width
    return "[" + String(repeating: "#", count: filled)
      + String(repeating: ".", count: width - filled) + "]"
  }

  /// A rate with three significant figures or fewer: `2150`, `210`, `21.5`, `2.15`, `0.42`.
  static func rateText(_ rate: Double) -> String {
    rate >= 100 ? String(Int(rate.rounded())) : String(format: rate >= 10 ? "%.1f" : "%.2f", rate)
  }

  /// `seconds` as m:ss, or h:mm:ss from an hour on.
  static func clock(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds < 1e8 else { return "?" }
    let whole = Int(max(seconds, 0).rounded())
    let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
    return hours > 0
      ? String(format: "%d:%02d:%02d", hours, minutes, rest)
      : String(format: "%d:%02d", minutes, rest)
  }
}
