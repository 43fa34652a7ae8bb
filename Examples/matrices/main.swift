// A short tour of layers as matrices, for small sizes: a Linear layer's matrix, ReLU as a 0/1
// mask, dropout as a row mask, a convolution as its dense constrained matrix and multi-head
// attention's block-diagonal head projections, each computed by hand and checked against the
// layer's own output. Ends with a summary line such as
//
//   model=matrices checks=5 passed=5 max_error=0.0e+00
//
// Run with: swift run -c release matrices [--seed N]
import ExampleSupport
import Foundation
import Nabla

var arguments = Arguments(usage: "matrices [--seed N]")
let seed = UInt64(arguments.integer("seed", default: 0))
arguments.finish()

let tolerance = 1e-12
let stops = [
  linearStop(seed: seed), reluStop(seed: seed), dropoutStop(seed: seed),
  convolutionStop(seed: seed), attentionStop(seed: seed),
]
for (index, stop) in stops.enumerated() {
  print("\(index + 1). \(stop.title)")
  for line in stop.lines { print("   \(line)") }
  let verdict = stop.maxError <= tolerance ? "agrees" : "DISAGREES"
  print("   \(verdict): max |matrix − layer| = \(String(format: "%.1e", stop.maxError))\n")
}
let passed = stops.filter { $0.maxError <= tolerance }.count
print(
  summaryLine([
    ("model", "matrices"), ("checks", "\(stops.count)"), ("passed", "\(passed)"),
    ("max_error", String(format: "%.1e", stops.map(\.maxError).max() ?? 0)),
  ]))
if passed < stops.count { exit(1) }
