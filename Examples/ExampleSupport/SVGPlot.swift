import Foundation

/// A small SVG writer for the examples' pictures: line plots, scatter plots, straight lines and
/// shaded decision regions, on one pair of axes.
///
/// ```swift
/// var plot = SVGPlot(title: "loss", xRange: 0...100, yRange: 0...2)
/// plot.addLine(xs: steps, ys: losses, color: "steelblue", label: "train loss")
/// try plot.write(to: URL(fileURLWithPath: "loss.svg"))
/// ```
public struct SVGPlot {
  /// The title drawn above the axes.
  public var title: String
  /// The data range along x.
  public var xRange: ClosedRange<Double>
  /// The data range along y.
  public var yRange: ClosedRange<Double>
  /// The picture's width in pixels.
  public var width: Double
  /// The picture's height in pixels.
  public var height: Double
  private var regions: [String] = []
  private var elements: [String] = []
  private var legend: [(label: String, color: String)] = []
  private let margin = 40.0

  /// The palette used for classes: class i is drawn in `classColors[i % count]`.
  public static let classColors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]

  /// Creates an empty plot over the given data ranges.
  public init(
    title: String, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
    width: Double = 480, height: Double = 360
  ) {
    self.title = title
    self.xRange =
      xRange.lowerBound < xRange.upperBound ? xRange : xRange.lowerBound...(xRange.lowerBound + 1)
    self.yRange =
      yRange.lowerBound < yRange.upperBound ? yRange : yRange.lowerBound...(yRange.lowerBound + 1)
    self.width = width
    self.height = height
  }

  /// The pixel position of the data point (x, y).
  func pixel(_ x: Double, _ y: Double) -> (Double, Double) {
    let u = (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound)
    let v = (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)
    return (margin + u * (width - 2 * margin), height - margin - v * (height - 2 * margin))
  }

  /// Adds a polyline through the points (xs[i], ys[i]).
  public mutating func addLine(xs: [Double], ys: [Double], color: String, label: String? = nil) {
    let points = zip(xs, ys).map { pixel($0, $1) }
      .map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " ")
    elements.append(
      "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points)\"/>")
    if let label { legend.append((label, color)) }
  }

  /// Adds points, point i drawn in the colour of class `classes[i]`.
  public mutating func addPoints(xs: [Double], ys: [Double], classes: [Int], radius: Double = 3) {
    for (index, (x, y)) in zip(xs, ys).enumerated() {
      let (px, py) = pixel(x, y)
      let color = Self.classColors[classes[index] % Self.classColors.count]
      elements.append(
        String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" ", px, py, radius)
          + "fill=\"\(color)\" stroke=\"white\" stroke-width=\"0.5\"/>")
    }
  }

  /// Shades the plot's area by class: `classAt(x, y)` is asked at the centre of each cell of a
  /// `resolution` × `resolution` grid.
  public mutating func addRegions(resolution: Int = 60, classAt: (Double, Double) -> Int) {
    let cellWidth = (xRange.upperBound - xRange.lowerBound) / Double(resolution)
    let cellHeight = (yRange.upperBound - yRange.lowerBound) / Double(resolution)
    for row in 0..<resolution {
      for column in 0..<resolution {
        let x = xRange.lowerBound + (Double(column) + 0.5) * cellWidth
        let y = yRange.lowerBound + (Double(row) + 0.5) * cellHeight
        let color = Self.classColors[classAt(x, y) % Self.classColors.count]
        let (left, top) = pixel(x - cellWidth / 2, y + cellHeight / 2)
        let (right, bottom) = pixel(x + cellWidth / 2, y - cellHeight / 2)
        regions.append(
          String(
            format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" ", left, top,
            right - left + 0.3, bottom - top + 0.3) + "fill=\"\(color)\" fill-opacity=\"0.25\"/>")
      }
    }
  }

  /// The SVG document.
  public var document: String { svgElement() }

  /// Several plots one above the other in one SVG document.
  public static func stacked(_ plots: [SVGPlot]) -> String {
    let width = plots.map(\.width).max() ?? 0
    var top = 0.0
    var lines = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" "
        + "height=\"\(Int(plots.map(\.height).reduce(0, +)))\">"
    ]
    for (index, plot) in plots.enumerated() {
      lines.append(plot.svgElement(top: top, clipID: "area\(index)"))
      top += plot.height
    }
    lines.append("</svg>")
    return lines.joined(separator: "\n") + "\n"
  }

  /// The plot as an `<svg>` element placed `top` pixels down, its clip path named `clipID`.
  func svgElement(top: Double = 0, clipID: String = "area") -> String {
    var lines = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" y=\"\(top)\" width=\"\(Int(width))\" "
        + "height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
      "<defs><clipPath id=\"\(clipID)\"><rect x=\"\(margin)\" y=\"\(margin)\" "
        + "width=\"\(width - 2 * margin)\" height=\"\(height - 2 * margin)\"/></clipPath></defs>",
    ]
    lines.append("<g clip-path=\"url(#\(clipID))\">")
    lines += regions + elements
    lines.append("</g>")
    lines.append(
      "<rect x=\"\(margin)\" y=\"\(margin)\" width=\"\(width - 2 * margin)\" "
        + "height=\"\(height - 2 * margin)\" fill=\"none\" stroke=\"black\"/>")
    lines.append(
      "<text x=\"\(width / 2)\" y=\"\(margin - 14)\" text-anchor=\"middle\" font-size=\"13\">"
        + "\(Self.escaped(title))</text>")
    for (value, anchor, x, y) in [
      (xRange.lowerBound, "start", margin, height - margin + 14),
      (xRange.upperBound, "end", width - margin, height - margin + 14),
      (yRange.lowerBound, "end", margin - 4, height - margin),
      (yRange.upperBound, "end", margin - 4, margin + 10),
    ] {
      lines.append(
        "<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"\(anchor)\">\(Self.number(value))</text>")
    }
    for (index, entry) in legend.enumerated() {
      let y = margin + 14 + 14 * Double(index)
      lines.append(
        "<text x=\"\(width - margin - 6)\" y=\"\(y)\" text-anchor=\"end\" fill=\"\(entry.color)\">"
          + "\(Self.escaped(entry.label))</text>")
    }
    lines.append("</svg>")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes the document to `url`.
  public func write(to url: URL) throws {
    try Data(document.utf8).write(to: url, options: .atomic)
  }

  /// An axis label: whole numbers as integers, others with three significant digits.
  static func number(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e6
      ? String(Int(value)) : String(format: "%.3g", value)
  }

  /// `text` safe inside an SVG text element.
  static func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
  }
}
