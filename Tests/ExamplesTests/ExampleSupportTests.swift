import Foundation
import Testing

@testable import ExampleSupport

#if canImport(FoundationXML)
  import FoundationXML
#endif

@Suite struct ExampleSupportTests {
  @Test func argumentsReadValuesFlagsAndDefaults() {
    var arguments = Arguments(
      usage: "demo", arguments: ["/bin/demo", "--steps", "30", "--lr", "0.5", "--verbose"])
    #expect(arguments.program == "demo")
    #expect(arguments.integer("steps", default: 1) == 30)
    #expect(arguments.double("lr", default: 1) == 0.5)
    #expect(arguments.integer("seed", default: 7) == 7)
    #expect(arguments.string("plot") == nil)
    let verbose = arguments.flag("verbose")
    #expect(verbose)
    arguments.finish()  // everything given was asked for: returns
  }

  @Test func summaryLineAndProgressClock() {
    #expect(
      summaryLine([("model", "mlp"), ("test_acc", formatted(68.04, digits: 1))])
        == "model=mlp test_acc=68.0")
    #expect(Progress.clock(75.4) == "1:15")
  }

  @Test func plotMapsDataCornersToTheAxesCorners() {
    var plot = SVGPlot(title: "a < b", xRange: 0...10, yRange: -1...1, width: 200, height: 100)
    let (left, bottom) = plot.pixel(0, -1)
    let (right, top) = plot.pixel(10, 1)
    #expect([left, bottom, right, top] == [40, 60, 160, 40])
    plot.addLine(xs: [0, 10], ys: [-1, 1], color: "black", label: "line")
    plot.addPoints(xs: [5], ys: [0], classes: [1])
    plot.addRegions(resolution: 2) { x, _ in x < 5 ? 0 : 1 }
    let document = SVGPlot.stacked([plot, plot])
    #expect(document.contains("a &lt; b"))
    #expect(XMLParser(data: Data(document.utf8)).parse(), "well-formed XML")
  }
}
