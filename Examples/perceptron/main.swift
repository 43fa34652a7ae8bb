// The perceptron on linearly separable 2-D points it generates: the primal update rule and the
// dual form through the Gram matrix, both trained to 100% training accuracy. Prints θ (the line
// θ₁x₁ + θ₂x₂ + θ₃ = 0) and ends with a summary line such as
//
//   model=perceptron points=100 primal_epochs=5 dual_epochs=5 primal_acc=100.0 dual_acc=100.0
//
// Run with: swift run -c release perceptron [--points N] [--seed N] [--plot PATH.svg]
import ExampleSupport
import Foundation
import Nabla
import NablaTraining

var arguments = Arguments(usage: "perceptron [--points N] [--seed N] [--plot PATH.svg]")
let count = arguments.integer("points", default: 100)
let seed = UInt64(arguments.integer("seed", default: 0))
let plotPath = arguments.string("plot")
arguments.finish()

let data = SeparableData(count: count, seed: seed)
let primal = trainPrimal(data)
let (dual, alpha) = trainDual(data)
func describe(_ theta: Tensor) -> String {
  "[" + [Double](theta).map { String(format: "%.4f", $0) }.joined(separator: ", ") + "]"
}
print("primal: mistakes per pass \(primal.mistakesPerEpoch), θ = \(describe(primal.theta))")
print("dual:   mistakes per pass \(dual.mistakesPerEpoch), θ = Σ αᵢyᵢxᵢ = \(describe(dual.theta))")
print("dual:   \(alpha.filter { $0 > 0 }.count) of \(count) points have αᵢ > 0")

if let plotPath {
  var plot = SVGPlot(
    title: "perceptron: θ·x = 0", xRange: -1...1, yRange: -1...1, width: 400, height: 400)
  let rows = [Double](data.points)
  plot.addPoints(
    xs: stride(from: 0, to: rows.count, by: 3).map { rows[$0] },
    ys: stride(from: 1, to: rows.count, by: 3).map { rows[$0] },
    classes: data.labels.map { $0 > 0 ? 1 : 0 })
  // θ₁x + θ₂y + θ₃ = 0 drawn across the square (as y of x, or x of y when the line is steep).
  let t = [Double](primal.theta)
  if abs(t[1]) >= abs(t[0]) {
    plot.addLine(
      xs: [-1, 1], ys: [-1, 1].map { -(t[0] * $0 + t[2]) / t[1] }, color: "black", label: "primal θ"
    )
  } else {
    plot.addLine(
      xs: [-1, 1].map { -(t[1] * $0 + t[2]) / t[0] }, ys: [-1, 1], color: "black", label: "primal θ"
    )
  }
  arguments.orFail { try plot.write(to: URL(fileURLWithPath: plotPath)) }
  print("wrote \(plotPath)")
}
print(
  summaryLine([
    ("model", "perceptron"), ("points", "\(count)"), ("primal_epochs", "\(primal.epochs)"),
    ("dual_epochs", "\(dual.epochs)"),
    ("primal_acc", formatted(100 * data.accuracy(of: primal.theta), digits: 1)),
    ("dual_acc", formatted(100 * data.accuracy(of: dual.theta), digits: 1)),
  ]))
