import Testing

@testable import gradcheck

@Suite struct GradcheckTests {
  @Test func compositeOpsPassAndTheDetachedBugIsCaught() {
    for seed: UInt64 in [0, 7] {
      let checks = runChecks(seed: seed)
      for (name, result) in checks.dropLast() {
        #expect(result.passed, "\(name): \(result)")
      }
      #expect(!checks.last!.result.passed, "the buggy op must fail its check")
    }
  }
}
