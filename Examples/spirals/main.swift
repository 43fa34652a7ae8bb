// An MLP learns the two-spirals problem, a boundary no linear model can draw, from shuffled
// mini-batches of the library's DataLoader, and draws its decision regions as an SVG. Ends with a summary line such as
//
//   model=spirals steps=1000 train_acc=99.8 test_acc=99.2 train_s=2.33
//
// Run with: swift run -c release spirals [--steps N] [--seed N] [--plot PATH.svg]
import ExampleSupport
import Foundation
import NablaNN
import NablaTraining

var arguments = Arguments(usage: "spirals [--steps N] [--seed N] [--plot PATH.svg]")
let steps = arguments.integer("steps", default: 1000)
let seed = UInt64(arguments.integer("seed", default: 0))
let plotPath = arguments.string("plot", default: "spirals.svg")
arguments.finish()

manualSeed(seed)
let train = TwoSpirals(perSpiral: 200, seed: seed)
let test = TwoSpirals(perSpiral: 200, seed: seed + 1)
let model = makeSpiralModel()
let progress = ProgressBar(total: steps)
trainSpirals(model, on: train, steps: steps, generator: RandomGenerator(seed: seed)) {
  progress.update(step: $0, values: ["loss": $1])
}
progress.finish()
let trainSeconds = progress.elapsed
model.eval()
let trainAccuracy = accuracy(of: model, on: train)
let testAccuracy = accuracy(of: model, on: test)

// Decision regions: the model's class at the centre of each cell of a 80 × 80 grid.
let resolution = 80
func gridCoordinate(_ cell: Int) -> Double {
  -1.2 + 2.4 * (Double(cell) + 0.5) / Double(resolution)
}
var grid: [Double] = []
for row in 0..<resolution {
  for column in 0..<resolution { grid += [gridCoordinate(column), gridCoordinate(row)] }
}
let gridClasses = withoutGradients {
  [Int](
    model(Tensor(grid, shape: [resolution * resolution, 2], dtype: .float32)).argmax(alongAxis: 1))
}
var plot = SVGPlot(
  title: "two spirals: decision regions", xRange: -1.2...1.2, yRange: -1.2...1.2, width: 420,
  height: 420)
plot.addRegions(resolution: resolution) { x, y in
  let column = min(Int((x + 1.2) / 2.4 * Double(resolution)), resolution - 1)
  let row = min(Int((y + 1.2) / 2.4 * Double(resolution)), resolution - 1)
  return gridClasses[row * resolution + column]
}
let rows = [Double](train.points)
plot.addPoints(
  xs: stride(from: 0, to: rows.count, by: 2).map { rows[$0] },
  ys: stride(from: 1, to: rows.count, by: 2).map { rows[$0] }, classes: [Int](train.labels),
  radius: 2.5)
arguments.orFail { try plot.write(to: URL(fileURLWithPath: plotPath)) }
print("wrote \(plotPath)")
print(
  summaryLine([
    ("model", "spirals"), ("steps", "\(steps)"),
    ("train_acc", formatted(100 * trainAccuracy, digits: 1)),
    ("test_acc", formatted(100 * testAccuracy, digits: 1)), ("train_s", formatted(trainSeconds)),
  ]))
