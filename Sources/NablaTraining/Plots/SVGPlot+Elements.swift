import Foundation

extension SVGPlot {
  /// Light grid lines at the ticks, and at the minor ticks of a log axis.
  func gridElements(_ frame: PlotFrame) -> [String] {
    var lines: [String] = []
    func horizontal(_ y: Double, _ color: String) {
      let y = SVGText.number(y)
      lines.append(
        "<line x1=\"\(frame.left)\" y1=\"\(y)\" x2=\"\(frame.right)\" y2=\"\(y)\" "
          + "stroke=\"\(color)\"/>")
    }
    if frame.isLog {
      let range = pow(10, frame.yRange.lowerBound)...pow(10, frame.yRange.upperBound)
      for value in AxisTicks.logarithmicMinor(in: range) {
        frame.py(value).map { horizontal($0, "#f2f2f2") }
      }
    }
    for tick in yTicks(frame.yRange) { frame.py(tick.value).map { horizontal($0, "#e0e0e0") } }
    for tick in xTicks(frame.xRange) {
      let x = SVGText.number(frame.px(tick.value))
      lines.append(
        "<line x1=\"\(x)\" y1=\"\(frame.top)\" x2=\"\(x)\" y2=\"\(frame.bottom)\" stroke=\"#e0e0e0\"/>"
      )
    }
    return lines
  }

  /// The SVG elements of one mark.
  func markElements(_ mark: Mark, _ frame: PlotFrame) -> [String] {
    switch mark {
    case .line(let xs, let ys, let color):
      return lineSegments(xs, ys, frame).map { segment in
        let points = segment.map { "\(SVGText.number($0.0)),\(SVGText.number($0.1))" }
        return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" "
          + "stroke-linejoin=\"round\" points=\"\(points.joined(separator: " "))\"/>"
      }
    case .points(let xs, let ys, let colors, let radius):
      return (0..<min(xs.count, ys.count)).compactMap { index -> String? in
        guard xs[index].isFinite, let y = frame.py(ys[index]) else { return nil }
        return "<circle cx=\"\(SVGText.number(frame.px(xs[index])))\" cy=\"\(SVGText.number(y))\" "
          + "r=\"\(radius)\" fill=\"\(colors[index])\" stroke=\"white\" stroke-width=\"0.5\"/>"
      }
    case .region(let x, let y, let color):
      guard let top = frame.py(y.upperBound), let bottom = frame.py(y.lowerBound) else { return [] }
      let left = frame.px(x.lowerBound)
      // A fraction of a pixel more on each side, so that neighbouring cells leave no seam.
      return [
        "<rect x=\"\(SVGText.number(left))\" y=\"\(SVGText.number(top))\" "
          + "width=\(String(format: "\"%.2f\"", frame.px(x.upperBound) - left + 0.3)) "
          + "height=\(String(format: "\"%.2f\"", bottom - top + 0.3)) "
          + "fill=\"\(SVGText.tint(color, 0.25))\"/>"
      ]
    }
  }

  /// The pixel runs of a line, broken where a point cannot be shown.
  func lineSegments(_ xs: [Double], _ ys: [Double], _ frame: PlotFrame) -> [[(Double, Double)]] {
    var segments: [[(Double, Double)]] = [[]]
    for (x, y) in zip(xs, ys) {
      if x.isFinite, let py = frame.py(y) {
        segments[segments.count - 1].append((frame.px(x), py))
      } else if !segments[segments.count - 1].isEmpty {
        segments.append([])
      }
    }
    return segments.filter { !$0.isEmpty }
  }

  /// Tick marks outside the frame and their labels; unlabelled minor ticks on a log axis.
  func tickElements(_ frame: PlotFrame) -> [String] {
    var lines: [String] = []
    for tick in xTicks(frame.xRange) {
      let x = SVGText.number(frame.px(tick.value))
      lines.append(
        "<line x1=\"\(x)\" y1=\"\(frame.bottom)\" x2=\"\(x)\" y2=\"\(frame.bottom + 4)\" stroke=\"#333\"/>"
      )
      lines.append(
        "<text x=\"\(x)\" y=\"\(frame.bottom + 16)\" text-anchor=\"middle\">\(tick.label)</text>")
    }
    var minor: [Double] = []
    if frame.isLog {
      minor = AxisTicks.logarithmicMinor(
        in: pow(10, frame.yRange.lowerBound)...pow(10, frame.yRange.upperBound))
    }
    for value in minor {
      guard let y = frame.py(value) else { continue }
      lines.append(
        "<line x1=\"\(frame.left - 2)\" y1=\"\(SVGText.number(y))\" x2=\"\(frame.left)\" "
          + "y2=\"\(SVGText.number(y))\" stroke=\"#333\"/>")
    }
    for tick in yTicks(frame.yRange) {
      guard let y = frame.py(tick.value) else { continue }
      lines.append(
        "<line x1=\"\(frame.left - 4)\" y1=\"\(SVGText.number(y))\" x2=\"\(frame.left)\" "
          + "y2=\"\(SVGText.number(y))\" stroke=\"#333\"/>")
      lines.append(
        "<text x=\"\(frame.left - 7)\" y=\"\(SVGText.number(y + 4))\" text-anchor=\"end\">"
          + "\(tick.label)</text>")
    }
    return lines
  }

  /// The title and the axis labels.
  func labelElements(_ frame: PlotFrame) -> [String] {
    var lines: [String] = []
    let middle = SVGText.number((frame.left + frame.right) / 2)
    if !title.isEmpty {
      let (text, size) = SVGText.fitted(title, size: 14, smallest: 10, width: width - 16)
      lines.append(
        "<text x=\"\(SVGText.number(width / 2))\" y=\"22\" text-anchor=\"middle\" "
          + "font-size=\"\(size)\" font-weight=\"bold\">\(SVGText.escaped(text))</text>")
    }
    if !xLabel.isEmpty {
      lines.append(
        "<text x=\"\(middle)\" y=\"\(SVGText.number(height - 10))\" text-anchor=\"middle\" "
          + "font-size=\"12\">\(SVGText.escaped(xLabel))</text>")
    }
    if !yLabel.isEmpty {
      let y = SVGText.number((frame.top + frame.bottom) / 2)
      lines.append(
        "<text x=\"14\" y=\"\(y)\" text-anchor=\"middle\" font-size=\"12\" "
          + "transform=\"rotate(-90 14 \(y))\">\(SVGText.escaped(yLabel))</text>")
    }
    return lines
  }

  /// The legend: a box in the corner of the plot area that covers the fewest data points.
  func legendElements(_ frame: PlotFrame) -> [String] {
    guard !legend.isEmpty else { return [] }
    let boxWidth = 36 + (legend.map { SVGText.width($0.label, size: 11) }.max() ?? 0)
    let boxHeight = 8 + 16 * Double(legend.count)
    let (left, top) = legendCorner(frame, boxWidth, boxHeight)
    var lines = [
      "<rect x=\"\(SVGText.number(left))\" y=\"\(SVGText.number(top))\" width=\"\(SVGText.number(boxWidth))\" "
        + "height=\"\(SVGText.number(boxHeight))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>"
    ]
    for (index, entry) in legend.enumerated() {
      let y = top + 12 + 16 * Double(index)
      let swatch =
        entry.isLine
        ? "<line x1=\"\(SVGText.number(left + 6))\" y1=\"\(SVGText.number(y))\" "
          + "x2=\"\(SVGText.number(left + 26))\" y2=\"\(SVGText.number(y))\" stroke=\"\(entry.color)\" "
          + "stroke-width=\"2.5\"/>"
        : "<circle cx=\"\(SVGText.number(left + 16))\" cy=\"\(SVGText.number(y))\" r=\"3.5\" "
          + "fill=\"\(entry.color)\"/>"
      lines.append(swatch)
      lines.append(
        "<text x=\"\(SVGText.number(left + 31))\" y=\"\(SVGText.number(y + 4))\">"
          + "\(SVGText.escaped(entry.label))</text>")
    }
    return lines
  }

  /// The top-left pixel of the legend box: of the four corners (top right first), the one whose
  /// box covers the fewest points of the data, lines sampled between their points.
  func legendCorner(_ frame: PlotFrame, _ boxWidth: Double, _ boxHeight: Double) -> (Double, Double)
  {
    let inset = 8.0
    let corners = [
      (frame.right - inset - boxWidth, frame.top + inset),
      (frame.right - inset - boxWidth, frame.bottom - inset - boxHeight),
      (frame.left + inset, frame.top + inset),
      (frame.left + inset, frame.bottom - inset - boxHeight),
    ]
    var counts = [Int](repeating: 0, count: corners.count)
    func count(_ point: (Double, Double)) {
      for (index, corner) in corners.enumerated()
      where (corner.0 - 4...corner.0 + boxWidth + 4).contains(point.0)
        && (corner.1 - 4...corner.1 + boxHeight + 4).contains(point.1)
      {
        counts[index] += 1
      }
    }
    for mark in marks {
      switch mark {
      case .line(let xs, let ys, _):
        for segment in lineSegments(xs, ys, frame) {
          for (a, b) in zip(segment, segment.dropFirst()) {
            for t in stride(from: 0.0, to: 1, by: 0.125) {
              count((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)))
            }
          }
          segment.last.map(count)
        }
      case .points(let xs, let ys, _, _):
        for (x, y) in zip(xs, ys) { frame.py(y).map { count((frame.px(x), $0)) } }
      case .region: break
      }
    }
    return corners[counts.indices.min { counts[$0] < counts[$1] }!]
  }
}
