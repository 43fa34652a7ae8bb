// An encoder-decoder Transformer learns a toy translation it generates: a sentence of digits is
// translated into the same digits reversed (or sorted, with --rule sort). It trains with teacher
// forcing (the decoder sees the true previous tokens behind a causal mask), translates held-out
// sentences by greedy decoding, and reports their exact-match accuracy. Ends with a summary line
// such as
//
//   model=translate rule=reverse steps=800 test_exact=100.0 train_s=19.0
//
// Run with: swift run -c release translate [--rule reverse|sort] [--length N] [--steps N]
import ExampleSupport
import Foundation
import NablaNN
import NablaOptimizers
import NablaTraining

var arguments = Arguments(
  usage:
    "translate [--rule reverse|sort] [--length N] [--steps N] [--layers N] [--batch N] [--lr X] [--seed N]"
)
let ruleName = arguments.string("rule", default: "reverse")
guard let rule = ToyTranslation.Rule(rawValue: ruleName) else {
  arguments.fail("unknown rule \(ruleName); use reverse or sort")
}
let task = ToyTranslation(rule: rule, length: arguments.integer("length", default: 6))
let steps = arguments.integer("steps", default: 800)
let batchSize = arguments.integer("batch", default: 64)
let learningRate = arguments.double("lr", default: 3e-3)
let seed = UInt64(arguments.integer("seed", default: 0))
let layerCount = arguments.integer("layers", default: 1)
arguments.finish()

manualSeed(seed)
let generator = RandomGenerator(seed: seed)
let testSentences = task.sampleSentences(500, generator: generator)
let heldOut = Set(testSentences)
let model = TranslationModel(layerCount: layerCount)
let optimizer = Adam(model.parameters(), learningRate: learningRate, betas: (0.9, 0.98))
let schedule = WarmupCosine(optimizer, warmupSteps: steps / 10, totalSteps: steps)

let progress = ProgressBar(total: steps)
for step in 1...steps {
  let batch = task.encode(task.sampleSentences(batchSize, excluding: heldOut, generator: generator))
  let loss = trainStep(
    model, optimizer, source: batch.source, decoderInput: batch.decoderInput, target: batch.target)
  schedule.step()
  progress.update(step: step, values: ["loss": loss])
}
progress.finish()
let trainSeconds = progress.elapsed

model.eval()
let test = task.encode(testSentences)
let translations = model.greedyDecode(test.source, length: task.length)
let accuracy = exactMatch(translations, test.target)
let shown = [Int](translations)
for (index, sentence) in testSentences.prefix(5).enumerated() {
  let output = shown[index * task.length..<(index + 1) * task.length]
  let mark = Array(output) == task.translate(sentence) ? "✓" : "✗"
  print("\(sentence.map(String.init).joined()) → \(output.map(String.init).joined())  \(mark)")
}
print(
  summaryLine([
    ("model", "translate"), ("rule", rule.rawValue), ("steps", "\(steps)"),
    ("test_exact", formatted(100 * accuracy, digits: 1)), ("train_s", formatted(trainSeconds)),
  ]))
