// An LSTM reads two numbers as characters ("123+489=") and learns to write their sum, with the
// gradient norm clipped at every step. Training questions are drawn fresh at each step from all
// pairs except a held-out set, on which it reports the exact-match accuracy (every digit right).
// Ends with a summary line such as
//
//   model=addition steps=1500 digits=3 test_exact=99.4 train_s=16.7
//
// Run with: swift run -c release addition [--steps N] [--digits N] [--batch N] [--seed N]
import ExampleSupport
import Foundation
import NablaNN
import NablaOptimizers
import NablaTraining

var arguments = Arguments(
  usage: "addition [--steps N] [--digits N] [--batch N] [--hidden N] [--lr X] [--seed N]")
let steps = arguments.integer("steps", default: 1500)
let task = AdditionTask(digits: arguments.integer("digits", default: 3))
let batchSize = arguments.integer("batch", default: 128)
let hidden = arguments.integer("hidden", default: 64)
let learningRate = arguments.double("lr", default: 1e-2)
let seed = UInt64(arguments.integer("seed", default: 0))
arguments.finish()

manualSeed(seed)
let generator = RandomGenerator(seed: seed)
let testPairs = task.samplePairs(1000, generator: generator)
let testSet = Set(testPairs.map { $0.0 * task.limit + $0.1 })
let test = task.encode(testPairs)
let model = AdditionModel(answerLength: task.answerLength, hidden: hidden)
let optimizer = Adam(model.parameters(), learningRate: learningRate)
let schedule = CosineAnnealingLR(optimizer, period: steps, minimumLearningRate: learningRate / 50)

let progress = ProgressBar(total: steps)
for step in 1...steps {
  let batch = task.encode(task.samplePairs(batchSize, excluding: testSet, generator: generator))
  let loss = trainStep(model, optimizer, questions: batch.questions, answers: batch.answers)
  schedule.step()
  progress.update(step: step, values: ["loss": loss])
}
progress.finish()
let trainSeconds = progress.elapsed

let accuracy = exactMatch(model, questions: test.questions, answers: test.answers)
let predicted = withoutGradients { [Int](model(test.questions).argmax(alongAxis: 2)) }
for (index, (a, b)) in testPairs.prefix(5).enumerated() {
  let digits = predicted[index * task.answerLength..<(index + 1) * task.answerLength]
  let answer = digits.reversed().map(String.init).joined()
  print("\(task.text(a, b)) = \(answer)  \(Int(answer) == a + b ? "✓" : "✗ (\(a + b))")")
}
print(
  summaryLine([
    ("model", "addition"), ("steps", "\(steps)"), ("digits", "\(task.digits)"),
    ("test_exact", formatted(100 * accuracy, digits: 1)), ("train_s", formatted(trainSeconds)),
  ]))
