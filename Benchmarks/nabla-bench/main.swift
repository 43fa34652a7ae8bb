// The standard workloads of ../shared/bench/WORKLOADS.md, timed the way torch_workloads.py times
// PyTorch: a few warm-up runs, then the median of repeated runs, one line per workload:
//
//   name<TAB>milliseconds ms<TAB>note
//
// Run with: swift run -c release nabla-bench [--only NAME] [--threads N]
// Workloads whose layers do not exist yet print `skipped`.
import CNablaKernels
import Foundation
import NablaNN
import NablaOptimizers

/// The median milliseconds of `body` over `repetitions` runs after `warmUp` runs.
func measure(warmUp: Int = 3, repetitions: Int = 15, _ body: () -> Void) -> Double {
  for _ in 0..<warmUp { body() }
  var times: [Double] = []
  for _ in 0..<repetitions {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
  }
  times.sort()
  return times.count % 2 == 1
    ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

/// One training step as PyTorch's step_fn: zero gradients, forward, loss, backward, update.
func trainingStep(
  _ model: Module, _ optimizer: Optimizer, _ loss: @escaping (Tensor) -> Tensor, _ input: Tensor
) -> () -> Void {
  {
    optimizer.zeroGradients()
    loss(model(input)).backward()
    optimizer.step()
  }
}

struct Workload {
  let name: String
  let run: (() -> (milliseconds: Double, note: String))?
}

manualSeed(0)
var workloads: [Workload] = []
workloads.append(
  Workload(name: "fma_peak") {
    // One core's limit: independent FMA chains, nothing from memory.
    var sink: Float = 0
    var flops = 0.0
    let ms = measure(repetitions: 5) { flops = nabla_fma_flops_per_iteration(20_000_000, &sink) }
    let note =
      flops > 0
      ? String(format: "%.1f GFLOP/s on one core", flops * 20_000_000 / ms / 1e6)
      : "no x86 FMA path on this machine"
    return (ms, note)
  })
for n in [256, 512, 1024, 2048] {
  workloads.append(
    Workload(name: "sgemm\(n)") {
      let a = Tensor.randomNormal([n, n])
      let b = Tensor.randomNormal([n, n])
      let ms = measure(repetitions: 10) { _ = a.matmul(b) }
      return (ms, String(format: "%.1f GFLOP/s", 2 * pow(Double(n), 3) / ms / 1e6))
    })
}
workloads.append(
  Workload(name: "dgemm1024") {
    let a = Tensor.randomNormal([1024, 1024], dtype: .float64)
    let b = Tensor.randomNormal([1024, 1024], dtype: .float64)
    let ms = measure(repetitions: 10) { _ = a.matmul(b) }
    return (ms, String(format: "%.1f GFLOP/s", 2 * pow(1024, 3) / ms / 1e6))
  })
workloads.append(
  Workload(name: "mlp_step") {
    let model = Sequential {
      Linear(784, 256)
      ReLU()
      Linear(256, 128)
      ReLU()
      Linear(128, 10)
    }
    let x = Tensor.randomNormal([128, 784])
    let labels = Tensor(indices: (0..<128).map { $0 % 10 })
    let step = trainingStep(
      model, Adam(model.parameters(), learningRate: 1e-3),
      { crossEntropy($0, classIndices: labels) }, x)
    return (measure(step), "batch128 784-256-128-10 adam")
  })
workloads.append(
  Workload(name: "cnn_step") {
    let model = Sequential {
      Conv2D(1, 16, kernelSize: 3, padding: 1)
      ReLU()
      MaxPool2D(kernelSize: 2)
      Conv2D(16, 32, kernelSize: 3, padding: 1)
      ReLU()
      MaxPool2D(kernelSize: 2)
      Flatten()
      Linear(1568, 10)
    }
    let x = Tensor.randomNormal([64, 1, 28, 28])
    let labels = Tensor(indices: (0..<64).map { $0 % 10 })
    let step = trainingStep(
      model, SGD(model.parameters(), learningRate: 0.01, momentum: 0.9),
      { crossEntropy($0, classIndices: labels) }, x)
    return (measure(step), "batch64 1x28x28 conv16-pool-conv32-pool-linear sgd momentum")
  })
workloads.append(
  Workload(name: "lstm_step") {
    let lstm = LSTM(inputSize: 32, hiddenSize: 128, batchFirst: true)
    let head = Linear(128, 10)
    let x = Tensor.randomNormal([32, 32, 32])
    let labels = Tensor(indices: (0..<32).map { $0 % 10 })
    let optimizer = Adam(lstm.parameters() + head.parameters(), learningRate: 1e-3)
    let step = {
      optimizer.zeroGradients()
      let logits = head(lstm(x)[0..., 31])
      crossEntropy(logits, classIndices: labels).backward()
      optimizer.step()
    }
    return (measure(step), "seq32 batch32 in32 hid128 last step -> 10, adam")
  })
workloads.append(
  Workload(name: "transformer_step") {
    /// The mean over the sequence axis of [batch, length, features].
    final class SequenceMean: Module, @unchecked Sendable {
      override func callAsFunction(_ input: Tensor) -> Tensor { input.mean(alongAxis: 1) }
    }
    let model = Sequential {
      TransformerEncoderLayer(
        dModel: 128, headCount: 4, feedForwardSize: 512, dropout: 0, batchFirst: true)
      SequenceMean()
      Linear(128, 10)
    }
    let x = Tensor.randomNormal([16, 64, 128])
    let labels = Tensor(indices: (0..<16).map { $0 % 10 })
    let step = trainingStep(
      model, Adam(model.parameters(), learningRate: 1e-3),
      { crossEntropy($0, classIndices: labels) }, x)
    return (measure(step), "batch16 seq64 d128 h4 ff512 adam")
  })
workloads.append(
  Workload(name: "tiny_step") {
    let model = Sequential {
      Linear(32, 32)
      Tanh()
      Linear(32, 1)
    }
    let x = Tensor.randomNormal([16, 32])
    let y = Tensor.randomNormal([16, 1])
    let step = trainingStep(
      model, SGD(model.parameters(), learningRate: 0.01), { mseLoss($0, target: y) }, x)
    return (measure(repetitions: 200, step), "batch16 32-32-1 sgd")
  })

workloads.append(
  Workload(name: "resnet18_cifar_step") {
    let model = ResNet18(imageNet: false)
    let x = Tensor.randomNormal([32, 3, 32, 32])
    let labels = Tensor(indices: (0..<32).map { $0 % 10 })
    let step = trainingStep(
      model, SGD(model.parameters(), learningRate: 0.01, momentum: 0.9),
      { crossEntropy($0, classIndices: labels) }, x)
    return (measure(warmUp: 2, repetitions: 5, step), "batch32 3x32x32 resnet18 sgd-m")
  })

// The inference models of ../shared/bench/torch_inference.py: evaluation mode, no gradients,
// random weights; the median of 20 runs after 3, as that script times them.
func inference(
  _ name: String, _ note: String, _ model: @escaping () -> Module, input: [Int]
) -> Workload {
  Workload(name: name) {
    let module = model()
    module.eval()
    let x = Tensor.randomNormal(input)
    return (measure(repetitions: 20) { _ = withoutGradients { module(x) } }, note)
  }
}
workloads += [
  inference(
    "audio_conv1d", "batch100 1024 samples conv1d k512/k64", { AudioConv(twoD: false) },
    input: [100, 1024]),
  inference(
    "audio_conv2d", "the same as conv2d (k, 1)", { AudioConv(twoD: true) }, input: [100, 1024]),
  inference("resnet18_b1", "1x3x224x224", { ResNet18(imageNet: true) }, input: [1, 3, 224, 224]),
  inference("resnet18_b8", "8x3x224x224", { ResNet18(imageNet: true) }, input: [8, 3, 224, 224]),
  inference(
    "encoder_b8", "6 layers d256 h4 ff1024 gelu pre-norm, 8x128 tokens",
    {
      TransformerEncoder(
        TransformerEncoderLayer(
          dModel: 256, headCount: 4, feedForwardSize: 1024, dropout: 0, activation: .gelu,
          batchFirst: true, normFirst: true), count: 6)
    }, input: [8, 128, 256]),
  inference(
    "lstm_encoder", "3-layer lstm 40->256, 4x160 frames", { LSTMEncoder() }, input: [4, 160, 40]),
]

// Spectrograms of a batch of one-second 16 kHz signals, as speech models compute them: nFFT 400
// (not a power of two: Bluestein's path) and 512 (radix-2), hop 160, Hann window, no gradients.
for nFFT in [400, 512] {
  workloads.append(
    Workload(name: "stft\(nFFT)") {
      let signal = Tensor.randomNormal([8, 16000])
      let window = Tensor.hannWindow(nFFT)
      let milliseconds = measure {
        _ = withoutGradients {
          signal.stft(nFFT: nFFT, hopLength: 160, window: window).complexMagnitude()
        }
      }
      return (milliseconds, "batch8 16000 samples, hop 160, hann, magnitude")
    })
}

var only: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  switch argument {
  case "--only": only = arguments.popFirst()
  case "--threads": Parallelism.threadCount = Int(arguments.popFirst() ?? "") ?? 0
  case "--list":
    for workload in workloads { print(workload.name) }
    exit(0)
  default:
    FileHandle.standardError.write(
      Data("usage: nabla-bench [--only NAME] [--threads N] [--list]\n".utf8))
    exit(2)
  }
}
if let only, !workloads.contains(where: { $0.name == only }) {
  FileHandle.standardError.write(Data("nabla-bench: no workload named \(only) (see --list)\n".utf8))
  exit(2)
}
let instructionSets = [
  NABLA_ISA_BASELINE: "baseline", NABLA_ISA_X86_64_V3: "x86-64-v3",
  NABLA_ISA_X86_64_V4: "x86-64-v4",
]
FileHandle.standardError.write(
  Data("nabla-bench: the \(instructionSets[nabla_isa()] ?? "?") kernels\n".utf8))
for workload in workloads where only == nil || workload.name == only {
  guard let run = workload.run else {
    print("\(workload.name)\tskipped\tneeds layers that do not exist yet")
    continue
  }
  let (ms, note) = run()
  print("\(workload.name)\t\(String(format: "%.4f", ms)) ms\t\(note)")
}
