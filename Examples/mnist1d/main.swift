// Trains one of the MNIST-1D paper's models (Greydanus, "Scaling Down Deep Learning", 2020) with
// the paper's setup: Adam with learning rate 1e-2, batches of 100, 8000 steps, batch i taking the
// training rows (100·i mod 4000) ..< +100. Prints progress and ends with one summary line:
//
//   model=cnn steps=8000 test_acc=93.8 train_s=2.96
//
// Run with: swift run -c release mnist1d [--model logistic|mlp|cnn|gru] [--steps N] [--seed N]
//   [--data DIR] [--plot PATH.svg] [--save PATH] [--resume PATH] [--threads N]
//
// --save writes the model and the optimizer to a checkpoint at the end; --resume continues from
// one (the batch schedule follows the step stored in it, so 4000 steps, save, resume to 8000 gives
// the same model as 8000 steps at once). --plot writes the training loss and the test accuracy,
// measured every tenth of the run, as an SVG. --threads sets how many threads the kernels use
// (one per core by default).
//
// --distributed trains data-parallel over the processes of an MPI job, each taking its share of
// every batch of 100 (mpirun --allow-run-as-root -np 2 .build/release/mnist1d --distributed);
// rank 0 prints, tests and saves. Each process uses its share of the machine's cores.
import ExampleSupport
import Foundation
import Nabla
import NablaDistributed
import NablaNN
import NablaOptimizers
import NablaTraining

var arguments = Arguments(
  usage: "mnist1d [--model logistic|mlp|cnn|gru] [--steps N] [--seed N] [--data DIR] "
    + "[--plot PATH.svg] [--save PATH] [--resume PATH] [--threads N] [--distributed]")
let modelName = arguments.string("model", default: "cnn")
let steps = arguments.integer("steps", default: 8000)
let seed = UInt64(arguments.integer("seed", default: 0))
let dataDirectory = arguments.string(
  "data",
  default: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Data/mnist1d").standardized.path)
let plotPath = arguments.string("plot")
let savePath = arguments.string("save")
let resumePath = arguments.string("resume")
let distributed = arguments.flag("distributed")
let world = distributed ? ProcessGroup.world : try! ProcessGroup.initialize(usingMPI: false)
let cores = ProcessInfo.processInfo.activeProcessorCount
Parallelism.threadCount = arguments.integer(
  "threads", default: distributed ? max(1, cores / world.localSize) : 0)
arguments.finish()

manualSeed(seed)
guard let model = makeModel(modelName) else {
  arguments.fail("unknown model \(modelName); choose logistic, mlp, cnn or gru")
}
let data = arguments.orFail { try MNIST1D(directory: URL(fileURLWithPath: dataDirectory)) }
let replicas = distributed ? DistributedDataParallel(model, group: world) : nil
let optimizer = Adam(model.parameters(), learningRate: 1e-2)
let parts: [String: any Checkpointable] = ["model": model, "optimizer": optimizer]

var firstStep = 0
if let resumePath {
  firstStep = arguments.orFail {
    try Checkpoint.load(from: URL(fileURLWithPath: resumePath), into: parts)
  }
  print("resumed from \(resumePath) at step \(firstStep)")
}

// The curves: mean training loss over each tenth of the run and the test accuracy at its end.
let interval = max(steps / 10, 1)
var curve: [(step: Int, loss: Double, accuracy: Double)] = []
var (lossSum, lossCount) = (0.0, 0)
var trainSeconds = 0.0
let progress = world.isMain ? ProgressBar(total: steps - firstStep) : nil
var stepStart = Date()
for (step, batch) in zip(firstStep..<max(steps, firstStep), data.batches(from: firstStep)) {
  let loss =
    replicas == nil
    ? trainStep(model, optimizer, batch) : shardedStep(model, optimizer, batch, world)
  (lossSum, lossCount) = (lossSum + loss, lossCount + 1)
  progress?.update(step: step + 1 - firstStep, values: ["loss": loss])
  if plotPath != nil && ((step + 1) % interval == 0 || step + 1 == steps) {
    trainSeconds += Date().timeIntervalSince(stepStart)
    model.eval()
    curve.append((step + 1, lossSum / Double(lossCount), data.testAccuracy(of: model)))
    model.train()
    (lossSum, lossCount) = (0, 0)
    stepStart = Date()
  }
}
trainSeconds += Date().timeIntervalSince(stepStart)
progress?.finish()
model.eval()
let accuracy = data.testAccuracy(of: model)

if let savePath {
  arguments.orFail {
    try world.onMainRank {
      try Checkpoint.save(parts, step: max(steps, firstStep), to: URL(fileURLWithPath: savePath))
    }
  }
  world.printOnMainRank("saved \(savePath)")
}
if let plotPath, !curve.isEmpty, world.isMain {
  let xRange = Double(firstStep)...Double(curve.last!.step)
  var lossPlot = SVGPlot(
    title: "MNIST-1D \(modelName): training loss", xLabel: "step", yLabel: "cross-entropy",
    xRange: xRange, yScale: .log)
  lossPlot.addLine(
    xs: curve.map { Double($0.step) }, ys: curve.map(\.loss), color: "#1f77b4",
    label: "training loss")
  // The accuracy axis zooms to the data (the default range), not 0 to 100.
  var accuracyPlot = SVGPlot(
    title: "MNIST-1D \(modelName): test accuracy", xLabel: "step", yLabel: "accuracy (%)",
    xRange: xRange)
  accuracyPlot.addLine(
    xs: curve.map { Double($0.step) }, ys: curve.map(\.accuracy), color: "#d62728",
    label: "test accuracy")
  let document = SVGPlot.stacked([lossPlot, accuracyPlot])
  arguments.orFail {
    try Data(document.utf8).write(to: URL(fileURLWithPath: plotPath), options: .atomic)
  }
  print("wrote \(plotPath)")
}
world.printOnMainRank(
  "model=\(modelName) steps=\(steps) test_acc=\(String(format: "%.1f", accuracy)) "
    + "train_s=\(String(format: "%.2f", trainSeconds))")
