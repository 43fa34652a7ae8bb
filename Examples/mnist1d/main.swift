// Trains one of the MNIST-1D paper's models (Greydanus, "Scaling Down Deep Learning", 2020) with
// the paper's setup: Adam with learning rate 1e-2, batches of 100, 8000 steps, batch i taking the
// training rows (100·i mod 4000) ..< +100. Prints progress and ends with one summary line:
//
//   model=mlp steps=8000 test_acc=68.0 train_s=12.3
//
// Run with: swift run -c release mnist1d [--model logistic|mlp] [--steps N] [--seed N] [--data DIR]
import Foundation
import NablaNN
import NablaOptimizers

/// The MLP of the paper: 40 → 100 → 100 → 10 with ReLU and a residual connection in the middle.
final class MLP: Module {
  let input = Linear(40, 100)
  let hidden = Linear(100, 100)
  let output = Linear(100, 10)

  override func callAsFunction(_ x: Tensor) -> Tensor {
    let h = input(x).relu()
    return output(h + hidden(h).relu())
  }
}

struct Options {
  var model = "mlp"
  var steps = 8000
  var seed: UInt64 = 0
  var data = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Data/mnist1d").standardized.path
}

func parseOptions() -> Options {
  var options = Options()
  var arguments = CommandLine.arguments.dropFirst()
  func value(for flag: String) -> String {
    guard let next = arguments.popFirst() else { fail("\(flag) needs a value") }
    return next
  }
  func number<Number: LosslessStringConvertible>(for flag: String) -> Number {
    guard let number = Number(value(for: flag)) else { fail("\(flag) needs a whole number") }
    return number
  }
  while let flag = arguments.popFirst() {
    switch flag {
    case "--model": options.model = value(for: flag)
    case "--steps": options.steps = number(for: flag)
    case "--seed": options.seed = number(for: flag)
    case "--data": options.data = value(for: flag)
    case "--help", "-h":
      print("usage: mnist1d [--model logistic|mlp] [--steps N] [--seed N] [--data DIR]")
      exit(0)
    default: fail("unknown option \(flag) (try --help)")
    }
  }
  return options
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("mnist1d: \(message)\n".utf8))
  exit(2)
}

let options = parseOptions()
manualSeed(options.seed)
let model: Module
switch options.model {
case "logistic": model = Linear(40, 10)
case "mlp": model = MLP()
default: fail("unknown model \(options.model); this version has logistic and mlp")
}

func load(_ name: String) -> Tensor {
  let url = URL(fileURLWithPath: options.data).appendingPathComponent("\(name).npy")
  do { return try Tensor(numpyFile: url) } catch { fail("\(error)") }
}
let (trainX, trainY, testX, testY) = (
  load("x_train"), load("y_train"), load("x_test"), load("y_test")
)

let optimizer = Adam(model.parameters(), learningRate: 1e-2)
let start = Date()
for step in 0..<options.steps {
  let first = (step * 100) % trainX.shape[0]
  let x = trainX.narrow(alongAxis: 0, start: first, length: 100)
  let y = trainY.narrow(alongAxis: 0, start: first, length: 100)
  let loss = crossEntropy(model(x), classIndices: y)
  optimizer.zeroGradients()
  loss.backward()
  optimizer.step()
  if (step + 1) % 1000 == 0 || step + 1 == options.steps {
    print("step \(step + 1)/\(options.steps) loss \(String(format: "%.4f", loss.item))")
  }
}
let trainSeconds = Date().timeIntervalSince(start)
model.eval()
let predictions = withoutGradients { model(testX).argmax(alongAxis: 1) }
let correct = zip([Int](predictions), [Int](testY)).filter { $0 == $1 }.count
let accuracy = 100 * Double(correct) / Double(testY.shape[0])
print(
  "model=\(options.model) steps=\(options.steps) test_acc=\(String(format: "%.1f", accuracy)) "
    + "train_s=\(String(format: "%.2f", trainSeconds))")
