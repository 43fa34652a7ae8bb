import Foundation
import XCTest

@testable import ExampleSupport

#if canImport(FoundationXML)
  import FoundationXML
#endif

final class ExampleSupportTests: XCTestCase {
  func testArgumentsReadValuesFlagsAndDefaults() {
    var arguments = Arguments(
      usage: "demo", arguments: ["/bin/demo", "--steps", "30", "--lr", "0.5", "--verbose"])
    XCTAssertEqual(arguments.program, "demo")
    XCTAssertEqual(arguments.integer("steps", default: 1), 30)
    XCTAssertEqual(arguments.double("lr", default: 1), 0.5)
    XCTAssertEqual(arguments.integer("seed", default: 7), 7)
    XCTAssertNil(arguments.string("plot"))
    XCTAssertTrue(arguments.flag("verbose"))
    arguments.finish()  // everything given was asked for: returns
  }

  func testSummaryLineAndProgressClock() {
    XCTAssertEqual(
      summaryLine([("model", "mlp"), ("test_acc", formatted(68.04, digits: 1))]),
      "model=mlp test_acc=68.0")
    XCTAssertEqual(Progress.clock(75.4), "1:15")
  }

  func testPlotMapsDataCornersToTheAxesCorners() {
    var plot = SVGPlot(title: "a < b", xRange: 0...10, yRange: -1...1, width: 200, height: 100)
    let (left, bottom) = plot.pixel(0, -1)
    let (right, top) = plot.pixel(10, 1)
    XCTAssertEqual([left, bottom, right, top], [40, 60, 160, 40])
    plot.addLine(xs: [0, 10], ys: [-1, 1], color: "black", label: "line")
    plot.addPoints(xs: [5], ys: [0], classes: [1])
    plot.addRegions(resolution: 2) { x, _ in x < 5 ? 0 : 1 }
    let document = SVGPlot.stacked([plot, plot])
    XCTAssertTrue(document.contains("a &lt; b"))
    XCTAssertTrue(XMLParser(data: Data(document.utf8)).parse(), "well-formed XML")
  }
}
