import Foundation
import Testing

@testable import NablaTraining

/// The pictures the tests draw (and that were looked at, rendered to PNG).
enum SamplePlots {
  /// Train and test loss over 8000 steps, on a log scale.
  static func loss() -> SVGPlot {
    var plot = SVGPlot(title: "MNIST-1D: loss", xLabel: "step", yLabel: "loss", yScale: .log)
    let steps = stride(from: 0.0, through: 8000, by: 100).map { $0 }
    plot.addLine(xs: steps, ys: steps.map { 2.3 * exp(-$0 / 900) + 0.02 }, label: "train")
    plot.addLine(xs: steps, ys: steps.map { 2.3 * exp(-$0 / 1200) + 0.15 }, label: "test")
    return plot
  }

  /// Test accuracy between 60% and 94%, zoomed to the data.
  static func accuracy() -> SVGPlot {
    let steps = stride(from: 800.0, through: 8000, by: 800).map { $0 }
    let accuracies = steps.map { 94 - 34 * exp(-$0 / 1500) }
    var plot = SVGPlot(
      title: "MNIST-1D: test accuracy", xLabel: "step", yLabel: "accuracy (%)",
      yRange: SVGPlot.paddedRange(of: accuracies, within: 0...100))
    plot.addLine(xs: steps, ys: accuracies, label: "test accuracy")
    return plot
  }

  /// Two classes of points over the regions a boundary x + y = 0.2 gives.
  static func scatter() -> SVGPlot {
    var plot = SVGPlot(
      title: "two classes & a boundary", xLabel: "x₁", yLabel: "x₂", xRange: -1.2...1.2,
      yRange: -1.2...1.2, width: 420, height: 420)
    plot.addRegions(resolution: 40) { x, y in x + y > 0.2 ? 1 : 0 }
    let angles = (0..<60).map { Double($0) * 0.37 }
    let xs = angles.map { cos($0) * (0.3 + 0.011 * $0) }
    let ys = angles.map { sin(1.7 * $0) * (0.3 + 0.011 * $0) }
    plot.addPoints(xs: xs, ys: ys, classes: zip(xs, ys).map { $0 + $1 > 0.2 ? 1 : 0 })
    plot.addLine(xs: [-1.2, 1.2], ys: [1.4, -1.0], color: "black", label: "boundary")
    return plot
  }
}

@Suite struct AxisTickTests {
  @Test func linearTicksAreRoundNumbers() {
    #expect(AxisTicks.linear(in: 0...8000) == [0, 2000, 4000, 6000, 8000])
    #expect(AxisTicks.linear(in: 0...1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
    #expect(AxisTicks.linear(in: 90.8...95.2) == [91, 92, 93, 94, 95])
    #expect(AxisTicks.linear(in: -1.2...1.2) == [-1, -0.5, 0, 0.5, 1])
    #expect(AxisTicks.step(for: 0...100) == 20)
  }

  @Test func logTicksAreDecades() {
    #expect(AxisTicks.logarithmic(in: 0.01...3) == [0.01, 0.1, 1])
    #expect(AxisTicks.logarithmic(in: 1e-9...1e9).count <= 7)
    // Within one decade, 2s and 5s fill in.
    #expect(AxisTicks.logarithmic(in: 0.15...0.9) == [0.2, 0.5])
    #expect(
      AxisTicks.logarithmicMinor(in: 0.01...0.1) == [
        0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09,
      ])
  }

  @Test func labelsShowTheDigitsTheStepNeeds() {
    #expect(AxisTicks.label(0.6000000000000001, step: 0.2) == "0.6")
    #expect(AxisTicks.label(0.3, step: 0.1) == "0.3")
    #expect(AxisTicks.label(4000, step: 2000) == "4000")
    #expect(AxisTicks.label(0.05, step: 0.05) == "0.05")
    #expect(AxisTicks.label(0.001) == "0.001" && AxisTicks.label(100) == "100")
  }
}

@Suite struct SVGPlotTests {
  @Test func holdsTheTitleTheLabelsAndTheLegend() {
    let document = SamplePlots.loss().document
    #expect(document.contains(">MNIST-1D: loss</text>"))
    #expect(document.contains(">step</text>") && document.contains(">loss</text>"))
    #expect(document.contains(">train</text>") && document.contains(">test</text>"))
    for label in ["0.1", "1"] { #expect(document.contains(">\(label)</text>")) }
    for label in ["0", "2000", "8000"] { #expect(document.contains(">\(label)</text>")) }
    #expect(document.contains(SVGPlot.palette[0]) && document.contains(SVGPlot.palette[1]))
    #expect(SamplePlots.scatter().document.contains("two classes &amp; a boundary"))
  }

  @Test func anAccuracyAxisZoomsToTheData() {
    let range = SVGPlot.paddedRange(of: [60, 80, 94], within: 0...100)
    #expect(abs(range.lowerBound - 58.3) < 1e-9 && abs(range.upperBound - 95.7) < 1e-9)
    // The sample's accuracies run from 74.0 to 93.8: ticks every 5 from 75 to 90.
    #expect(SVGPlot.paddedRange(of: [97, 100], within: 0...100).upperBound == 100)
    let document = SamplePlots.accuracy().document
    for label in [75, 80, 85, 90] { #expect(document.contains(">\(label)</text>")) }
    #expect(!document.contains(">70</text>") && !document.contains(">95</text>"))
    #expect(!document.contains(">0</text>") && !document.contains(">100</text>"))
  }

  @Test func unsetRangesComeFromTheData() {
    var plot = SVGPlot(title: "t")
    plot.addLine(xs: [10, 20, 30], ys: [1, .nan, 3])
    let (x, y) = plot.resolvedRanges()
    #expect(x == 10...30 && abs(y.lowerBound - 0.9) < 1e-12 && abs(y.upperBound - 3.1) < 1e-12)
    // The NaN breaks the line in two pieces.
    #expect(plot.document.components(separatedBy: "<polyline").count - 1 == 2)
    plot.addLine(xs: [10, 20, 30], ys: [1, 2, 3])
    #expect(plot.document.components(separatedBy: "<polyline").count - 1 == 3)
  }

  @Test func aLogScaleLeavesOutValuesThatAreNotPositive() {
    var plot = SVGPlot(title: "t", yScale: .log)
    plot.addLine(xs: [1, 2, 3, 4], ys: [0.1, 0, 1, 10])
    let (_, y) = plot.resolvedRanges()
    #expect(y.lowerBound < -1 && y.lowerBound > -1.2 && y.upperBound > 1 && y.upperBound < 1.2)
  }

  @Test func regionsMergeCellsOfOneClassInARow() {
    let plot = SamplePlots.scatter()
    let regions = plot.marks.filter(\.isRegion)
    #expect(regions.count <= 80 && regions.count >= 40)  // two runs per row at most, 40 rows
    #expect(plot.document.components(separatedBy: "<circle").count - 1 == 60 + 0)
  }

  @Test func writesToAPath() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-\(UUID()).svg")
    try SamplePlots.accuracy().write(to: url.path)
    #expect(try String(contentsOf: url, encoding: .utf8) == SamplePlots.accuracy().document)
    #expect(throws: LogFileError.self) {
      try SamplePlots.accuracy().write(to: "/no/such/dir/a.svg")
    }
    let stacked = SVGPlot.stacked([SamplePlots.loss(), SamplePlots.accuracy()])
    #expect(stacked.contains("id=\"area0\"") && stacked.contains("id=\"area1\""))
  }
}

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Every kind of mark together makes a well-formed SVG document, with text escaped.
@Suite struct PlotDocumentTests {
  @Test func documentsAreWellFormedXML() {
    var plot = SVGPlot(
      title: "a < b & c", xLabel: "x \"1\"", yLabel: "y", xRange: 0...10, yRange: -1...1,
      width: 200, height: 100)
    plot.addLine(xs: [0, 10], ys: [-1, 1], color: "black", label: "line <1>")
    plot.addPoints(xs: [5], ys: [0], classes: [1])
    plot.addRegions(resolution: 2) { x, _ in x < 5 ? 0 : 1 }
    let document = SVGPlot.stacked([plot, plot])
    #expect(document.contains("a &lt; b &amp; c"))
    #expect(XMLParser(data: Data(document.utf8)).parse(), "well-formed XML")
  }
}
