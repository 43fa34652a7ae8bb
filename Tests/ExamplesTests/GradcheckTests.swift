import XCTest

@testable import gradcheck

final class GradcheckTests: XCTestCase {
  func testCompositeOpsPassAndTheDetachedBugIsCaught() {
    for seed: UInt64 in [0, 7] {
      let checks = runChecks(seed: seed)
      for (name, result) in checks.dropLast() {
        XCTAssertTrue(result.passed, "\(name): \(result)")
      }
      XCTAssertFalse(checks.last!.result.passed, "the buggy op must fail its check")
    }
  }
}
