import Foundation

/// A plot written as SVG: lines (loss and accuracy curves), scatter points by class, and
/// shaded decision regions, on one pair of axes with a title, axis labels, round-number ticks
/// and a legend.
///
/// Ranges left out are chosen from the data: x spans it exactly, y with a little padding, so an
/// accuracy curve between 91% and 95% fills the plot instead of hugging the top of 0–100.
///
/// ```swift
/// var plot = SVGPlot(title: "MNIST-1D: loss", xLabel: "step", yLabel: "loss", yScale: .log)
/// plot.addLine(xs: steps, ys: trainLosses, label: "train")
/// plot.addLine(xs: steps, ys: testLosses, label: "test")
/// try plot.write(to: "loss.svg")
/// ```
public struct SVGPlot: Sendable {
  /// How values map to positions along the y axis.
  public enum Scale: Sendable {
    /// Equal differences take equal lengths.
    case linear
    /// Equal ratios take equal lengths, with ticks at powers of ten; for losses. Values that
    /// are not positive are left out.
    case log
  }

  /// Something drawn in data coordinates.
  enum Mark: Sendable {
    case line(xs: [Double], ys: [Double], color: String)
    case points(xs: [Double], ys: [Double], colors: [String], radius: Double)
    case region(x: ClosedRange<Double>, y: ClosedRange<Double>, color: String)

    /// Whether the mark is a shaded region, drawn under the grid.
    var isRegion: Bool {
      if case .region = self { true } else { false }
    }
  }

  /// The title drawn above the axes.
  public var title: String
  /// The label under the x axis, such as "step".
  public var xLabel: String
  /// The label along the y axis, such as "loss".
  public var yLabel: String
  /// The x range shown, or nil for the data's.
  public var xRange: ClosedRange<Double>?
  /// The y range shown, or nil for the data's with a little padding (see `paddedRange`).
  public var yRange: ClosedRange<Double>?
  /// How y values map to heights.
  public var yScale: Scale
  /// The picture's width in pixels.
  public var width: Double
  /// The picture's height in pixels.
  public var height: Double
  private(set) var marks: [Mark] = []
  private(set) var legend: [(label: String, color: String, isLine: Bool)] = []
  private var nextColor = 0

  /// Colours for series and classes: series without a colour of their own take the next one,
  /// class i takes `palette[i % palette.count]`.
  public static let palette = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
  ]

  /// Creates an empty plot.
  ///
  /// - Parameters:
  ///   - title: The title above the axes.
  ///   - xLabel: The label under the x axis.
  ///   - yLabel: The label along the y axis.
  ///   - xRange: The x range shown; by default the data's.
  ///   - yRange: The y range shown; by default the data's, padded (see `paddedRange`).
  ///   - yScale: `.linear` or `.log`.
  ///   - width: The picture's width in pixels.
  ///   - height: The picture's height in pixels.
  public init(
    title: String, xLabel: String = "", yLabel: String = "", xRange: ClosedRange<Double>? = nil,
    yRange: ClosedRange<Double>? = nil, yScale: Scale = .linear, width: Double = 560,
    height: Double = 360
  ) {
    require(
      yScale == .linear || (yRange?.lowerBound ?? 1) > 0,
      "SVGPlot: a log-scale y range must be positive, got \(yRange.map { "\($0)" } ?? "")")
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.xRange = xRange
    self.yRange = yRange
    self.yScale = yScale
    self.width = width
    self.height = height
  }

  /// Adds a line through the points (xs[i], ys[i]); it breaks where a value is not finite (or,
  /// on a log scale, not positive).
  ///
  /// - Parameters:
  ///   - xs: The x coordinates.
  ///   - ys: The y coordinates, as many.
  ///   - color: An SVG colour; by default the palette's next.
  ///   - label: The line's legend entry, or nil for none.
  public mutating func addLine(
    xs: [Double], ys: [Double], color: String? = nil, label: String? = nil
  ) {
    require(xs.count == ys.count, "SVGPlot.addLine: \(xs.count) xs but \(ys.count) ys")
    let color = color ?? takeColor()
    marks.append(.line(xs: xs, ys: ys, color: color))
    if let label { legend.append((label, color, true)) }
  }

  /// Adds points, point i drawn in the palette's colour of class `classes[i]`.
  public mutating func addPoints(xs: [Double], ys: [Double], classes: [Int], radius: Double = 3) {
    require(
      xs.count == ys.count && ys.count == classes.count,
      "SVGPlot.addPoints: \(xs.count) xs, \(ys.count) ys and \(classes.count) classes")
    let colors = classes.map {
      Self.palette[(($0 % Self.palette.count) + Self.palette.count) % Self.palette.count]
    }
    marks.append(.points(xs: xs, ys: ys, colors: colors, radius: radius))
  }

  /// Adds points in one colour, as one series with a legend entry.
  ///
  /// - Parameters:
  ///   - xs: The x coordinates.
  ///   - ys: The y coordinates, as many.
  ///   - color: An SVG colour; by default the palette's next.
  ///   - label: The series' legend entry, or nil for none.
  ///   - radius: The points' radius in pixels.
  public mutating func addPoints(
    xs: [Double], ys: [Double], color: String? = nil, label: String? = nil, radius: Double = 3
  ) {
    require(xs.count == ys.count, "SVGPlot.addPoints: \(xs.count) xs but \(ys.count) ys")
    let color = color ?? takeColor()
    marks.append(
      .points(xs: xs, ys: ys, colors: Array(repeating: color, count: xs.count), radius: radius))
    if let label { legend.append((label, color, false)) }
  }

  /// Shades the plot's area by class, lightly: `classAt(x, y)` is asked at the centre of each
  /// cell of a `resolution` × `resolution` grid over `xRange` and `yRange`, which must be set.
  public mutating func addRegions(resolution: Int = 60, classAt: (Double, Double) -> Int) {
    guard let xRange, let yRange else {
      stop("SVGPlot.addRegions: set xRange and yRange before adding regions")
    }
    let cellWidth = (xRange.upperBound - xRange.lowerBound) / Double(resolution)
    let cellHeight = (yRange.upperBound - yRange.lowerBound) / Double(resolution)
    for row in 0..<resolution {
      let y = yRange.lowerBound + Double(row) * cellHeight
      var runStart = 0
      var runClass = classAt(xRange.lowerBound + cellWidth / 2, y + cellHeight / 2)
      for column in 1...resolution {
        let next =
          column < resolution
          ? classAt(xRange.lowerBound + (Double(column) + 0.5) * cellWidth, y + cellHeight / 2)
          : nil
        guard next != runClass else { continue }
        let count = Self.palette.count
        marks.append(
          .region(
            x: (xRange.lowerBound + Double(runStart) * cellWidth)...(xRange.lowerBound
              + Double(column) * cellWidth), y: y...(y + cellHeight),
            color: Self.palette[((runClass % count) + count) % count]))
        (runStart, runClass) = (column, next ?? 0)
      }
    }
  }

  /// A range that holds `values` with `padding` of their spread added at each end, and kept
  /// within `limits` if given: for an accuracy axis that zooms to the data.
  ///
  /// ```swift
  /// SVGPlot.paddedRange(of: [91.2, 93.8, 95.0], within: 0...100)  // 91.01...95.19
  /// ```
  ///
  /// - Parameters:
  ///   - values: The data; values that are not finite are ignored.
  ///   - padding: The fraction of the spread added below and above.
  ///   - limits: A range not to go beyond, such as 0...100 for percentages.
  public static func paddedRange(
    of values: [Double], padding: Double = 0.05, within limits: ClosedRange<Double>? = nil
  ) -> ClosedRange<Double> {
    let finite = values.filter(\.isFinite)
    guard let low = finite.min(), let high = finite.max() else { return 0...1 }
    let spread = high > low ? high - low : max(abs(high) * 0.1, 1)
    var range = (low - padding * spread)...(high + padding * spread)
    if let limits { range = range.clamped(to: limits) }
    return range.lowerBound < range.upperBound ? range : low...(low + 1)
  }

  /// The next palette colour for a series without one.
  private mutating func takeColor() -> String {
    defer { nextColor += 1 }
    return Self.palette[nextColor % Self.palette.count]
  }
}
