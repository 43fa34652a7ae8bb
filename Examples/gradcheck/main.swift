// How to check a custom op's gradients numerically, as you would in your own tests. A composite
// function built from Nabla's ops gets its gradient from the tape; an op made with
// `Tensor.customOperation` brings its own backward rule. `gradientCheck` compares either with
// central differences in float64 and says where they disagree most. The last check is a
// deliberately buggy op, to show what a failure looks like. In a test, write:
//
//   let check = gradientCheck(at: [x, beta]) { swish($0[0], beta: $0[1]) }
//   XCTAssertTrue(check.passed, "\(check)")
//
// Ends with a summary line such as
//
//   model=gradcheck checks=4 passed=4 caught_bug=true
//
// Run with: swift run -c release gradcheck [--seed N]
import ExampleSupport
import Foundation
import NablaNN

var arguments = Arguments(usage: "gradcheck [--seed N]")
let seed = UInt64(arguments.integer("seed", default: 0))
arguments.finish()

let checks = runChecks(seed: seed)
for (name, result) in checks {
  print("\(name):\n  \(result)")
}
let correct = checks.dropLast()
let caughtBug = !checks.last!.result.passed
print(
  summaryLine([
    ("model", "gradcheck"), ("checks", "\(correct.count)"),
    ("passed", "\(correct.filter { $0.result.passed }.count)"), ("caught_bug", "\(caughtBug)"),
  ]))
if !correct.allSatisfy({ $0.result.passed }) || !caughtBug { exit(1) }
