import Foundation
import Testing

@testable import ExampleSupport

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

  @Test func summaryLineFormatsKeysAndValues() {
    #expect(
      summaryLine([("model", "mlp"), ("test_acc", formatted(68.04, digits: 1))])
        == "model=mlp test_acc=68.0")
  }
}
