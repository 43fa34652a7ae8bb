import Foundation

/// The plot's area in pixels and the data ranges it shows, mapping data to pixels.
struct PlotFrame {
  var left: Double
  var right: Double
  var top: Double
  var bottom: Double
  var xRange: ClosedRange<Double>
  /// The y range, in log10 units on a log scale.
  var yRange: ClosedRange<Double>
  var isLog: Bool

  /// The horizontal pixel of `x`.
  func px(_ x: Double) -> Double {
    left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (right - left)
  }

  /// The vertical pixel of `y`, or nil when a log scale cannot show it.
  func py(_ y: Double) -> Double? {
    guard y.isFinite, !isLog || y > 0 else { return nil }
    let v = isLog ? log10(y) : y
    return bottom - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
      * (bottom - top)
  }
}

/// Text and numbers as SVG wants them.
enum SVGText {
  /// `text` safe inside an SVG element or attribute.
  static func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  /// A coordinate with one decimal.
  static func number(_ value: Double) -> String { String(format: "%.1f", value) }

  /// `color` (`#rrggbb`) mixed with white, keeping `fraction` of it: an opaque tint, so that
  /// cells that overlap by a fraction of a pixel show no darker seam. Other colours pass through.
  static func tint(_ color: String, _ fraction: Double) -> String {
    guard color.count == 7, color.hasPrefix("#"), let value = Int(color.dropFirst(), radix: 16)
    else { return color }
    let channels = [value >> 16, value >> 8 & 0xFF, value & 0xFF].map {
      Int((fraction * Double($0) + (1 - fraction) * 255).rounded())
    }
    return String(format: "#%02x%02x%02x", channels[0], channels[1], channels[2])
  }

  /// The approximate width in pixels of `text` in a sans-serif font of `size` pixels.
  static func width(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.65 }

  /// `text` at the largest font size from `size` down to `smallest` at which it fits in
  /// `width` pixels, cut short with an ellipsis when it does not fit even at `smallest`.
  static func fitted(
    _ text: String, size: Int, smallest: Int, width: Double
  ) -> (text: String, size: Int) {
    for candidate in stride(from: size, through: smallest, by: -1)
    where self.width(text, size: Double(candidate)) <= width {
      return (text, candidate)
    }
    let characters = max(Int(width / (Double(smallest) * 0.65)) - 1, 1)
    return (String(text.prefix(characters)) + "…", smallest)
  }
}

extension SVGPlot {
  /// The SVG document.
  public var document: String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svgElement()
  }

  /// Writes the SVG document to the file at `url`, replacing it.
  ///
  /// - Throws: `LogFileError` naming the file when it cannot be written.
  public func write(to url: URL) throws {
    do {
      try Data(document.utf8).write(to: url, options: .atomic)
    } catch {
      throw LogFileError(url: url, problem: "cannot be written: \(error.localizedDescription)")
    }
  }

  /// Writes the SVG document to the file at `path`, replacing it.
  public func write(to path: String) throws {
    try write(to: URL(fileURLWithPath: path))
  }

  /// Several plots one above the other in one SVG document.
  public static func stacked(_ plots: [SVGPlot]) -> String {
    let width = plots.map(\.width).max() ?? 0
    let height = plots.map(\.height).reduce(0, +)
    var lines = [
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">",
    ]
    var top = 0.0
    for (index, plot) in plots.enumerated() {
      lines.append(plot.svgElement(top: top, clipID: "area\(index)"))
      top += plot.height
    }
    lines.append("</svg>")
    return lines.joined(separator: "\n") + "\n"
  }

  /// The data ranges shown: those set, else the data's (y padded, in log10 units on a log scale).
  func resolvedRanges() -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
    var xs: [Double] = []
    var ys: [Double] = []
    for mark in marks {
      switch mark {
      case .line(let markXs, let markYs, _), .points(let markXs, let markYs, _, _):
        for (x, y) in zip(markXs, markYs)
        where x.isFinite && y.isFinite && (yScale == .linear || y > 0) {
          xs.append(x)
          ys.append(y)
        }
      case .region: break
      }
    }
    let x = xRange ?? Self.paddedRange(of: xs, padding: 0)
    let logYs = yScale == .log ? ys.map { log10($0) } : ys
    let y =
      yRange.map { yScale == .log ? log10($0.lowerBound)...log10($0.upperBound) : $0 }
      ?? Self.paddedRange(of: logYs)
    return (Self.widened(x), Self.widened(y))
  }

  /// `range`, made one unit wide when it is a single point.
  private static func widened(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
    range.lowerBound < range.upperBound
      ? range : (range.lowerBound - 0.5)...(range.lowerBound + 0.5)
  }

  /// The y ticks, as values (not log10 units), with their labels.
  func yTicks(_ range: ClosedRange<Double>) -> [(value: Double, label: String)] {
    if yScale == .log {
      let values = AxisTicks.logarithmic(in: pow(10, range.lowerBound)...pow(10, range.upperBound))
      return values.map { ($0, AxisTicks.label($0)) }
    }
    let step = AxisTicks.step(for: range)
    return AxisTicks.linear(in: range).map { ($0, AxisTicks.label($0, step: step)) }
  }

  /// The x ticks with their labels.
  func xTicks(_ range: ClosedRange<Double>) -> [(value: Double, label: String)] {
    let step = AxisTicks.step(for: range, targetCount: max(Int(width / 110), 2))
    return AxisTicks.linear(in: range, targetCount: max(Int(width / 110), 2))
      .map { ($0, AxisTicks.label($0, step: step)) }
  }

  /// The plot area left by the title, the labels and the tick labels.
  func frame() -> PlotFrame {
    let (x, y) = resolvedRanges()
    let yLabelWidth = yTicks(y).map { SVGText.width($0.label, size: 11) }.max() ?? 0
    let lastXLabel = xTicks(x).last.map { SVGText.width($0.label, size: 11) } ?? 0
    let left = 10 + (yLabel.isEmpty ? 0 : 18) + yLabelWidth + 8
    let right = width - max(16, lastXLabel / 2 + 8)
    let top = title.isEmpty ? 14.0 : 36
    let bottom = height - 22 - (xLabel.isEmpty ? 0 : 18)
    return PlotFrame(
      left: left, right: right, top: top, bottom: bottom, xRange: x, yRange: y,
      isLog: yScale == .log)
  }

  /// The plot as an `<svg>` element placed `top` pixels down, its clip path named `clipID`.
  func svgElement(top: Double = 0, clipID: String = "area") -> String {
    let frame = frame()
    let (areaWidth, areaHeight) = (frame.right - frame.left, frame.bottom - frame.top)
    var lines = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" y=\"\(top)\" width=\"\(Int(width))\" "
        + "height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
      "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(frame.left)\" y=\"\(frame.top)\" "
        + "width=\"\(areaWidth)\" height=\"\(areaHeight)\"/></clipPath></defs>",
    ]
    // Regions under the grid, the grid under the lines and points.
    let (regions, others) = (marks.filter(\.isRegion), marks.filter { !$0.isRegion })
    lines.append("<g clip-path=\"url(#\(clipID))\" shape-rendering=\"crispEdges\">")
    lines += regions.flatMap { markElements($0, frame) }
    lines.append("</g>")
    lines += gridElements(frame)
    lines.append("<g clip-path=\"url(#\(clipID))\">")
    lines += others.flatMap { markElements($0, frame) }
    lines.append("</g>")
    lines.append(
      "<rect x=\"\(frame.left)\" y=\"\(frame.top)\" width=\"\(areaWidth)\" "
        + "height=\"\(areaHeight)\" fill=\"none\" stroke=\"#333\"/>")
    lines += tickElements(frame) + labelElements(frame) + legendElements(frame)
    lines.append("</svg>")
    return lines.joined(separator: "\n")
  }
}
