// NablaDistributed's benchmarks, run under mpirun; rank 0 prints one line per workload:
//
//   name<TAB>milliseconds ms<TAB>note
//
//   swift build -c release --product nabla-distributed-bench
//   mpirun -np 2 .build/release/nabla-distributed-bench [--threads 1]
//   .build/release/nabla-distributed-bench --threads 1        # the one-process baseline
//
// - allreduce_{1,16,64}MiB: ProcessGroup.allReduce of a float32 tensor (compare with
//   Benchmarks/mpi-allreduce/allreduce.c on the same MPI);
// - mlp_step, cnn_step: WORKLOADS.md's steps with DistributedDataParallel, the same batch per rank
//   (so P ranks process P times the samples of one process per step);
// - overlap_on / overlap_off: a 10.5 M-parameter MLP step with buckets sent during backward, and
//   all after it.
import Foundation
import NablaDistributed
import NablaNN
import NablaOptimizers

let world = ProcessGroup.world
var threads = 1
if let index = CommandLine.arguments.firstIndex(of: "--threads"),
  index + 1 < CommandLine.arguments.count
{
  threads = Int(CommandLine.arguments[index + 1]) ?? 1
}
Parallelism.threadCount = threads

/// The median milliseconds of `body` over 15 runs after 3, each started together on all ranks.
func measure(_ body: () -> Void) -> Double {
  var times: [Double] = []
  for run in 0..<18 {
    world.barrier()
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    if run >= 3 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
  }
  // Every rank waits for the slowest: report the largest median.
  let median = times.sorted()[times.count / 2]
  return world.allReduce(Tensor([median], shape: [1], dtype: .float64), .max).item
}

func report(_ name: String, _ milliseconds: Double, _ note: String) {
  world.printOnMainRank("\(name)\t\(String(format: "%.3f", milliseconds)) ms\t\(note)")
}

let note = "\(world.size) rank(s) x \(threads) thread(s)"
for mebibytes in [1, 16, 64] {
  let x = Tensor.ones([mebibytes * 262_144])
  report("allreduce_\(mebibytes)MiB", measure { _ = world.allReduce(x) }, note)
}

func step(_ model: Module, _ optimizer: Optimizer, _ x: Tensor, _ labels: Tensor) -> () -> Void {
  {
    optimizer.zeroGradients()
    crossEntropy(model(x), classIndices: labels).backward()
    optimizer.step()
  }
}

manualSeed(0)
let mlp = Sequential {
  Linear(784, 256)
  ReLU()
  Linear(256, 128)
  ReLU()
  Linear(128, 10)
}
let mlpReplicas = DistributedDataParallel(mlp, group: world)
report(
  "mlp_step",
  measure(
    step(
      mlp, Adam(mlp.parameters(), learningRate: 1e-3), .randomNormal([128, 784]),
      Tensor(indices: (0..<128).map { $0 % 10 }))), "batch 128 per rank, \(note)")
_ = mlpReplicas

let cnn = Sequential {
  Conv2D(1, 16, kernelSize: 3, padding: 1)
  ReLU()
  MaxPool2D(kernelSize: 2)
  Conv2D(16, 32, kernelSize: 3, padding: 1)
  ReLU()
  MaxPool2D(kernelSize: 2)
  Flatten()
  Linear(1568, 10)
}
let cnnReplicas = DistributedDataParallel(cnn, group: world)
report(
  "cnn_step",
  measure(
    step(
      cnn, SGD(cnn.parameters(), learningRate: 0.01, momentum: 0.9),
      .randomNormal([64, 1, 28, 28]), Tensor(indices: (0..<64).map { $0 % 10 }))),
  "batch 64 per rank, \(note)")
_ = cnnReplicas

for overlapping in [true, false] {
  let big = Sequential {
    Linear(1024, 2048)
    ReLU()
    Linear(2048, 2048)
    ReLU()
    Linear(2048, 2048)
    ReLU()
    Linear(2048, 1024)
    ReLU()
    Linear(1024, 10)
  }
  let replicas = DistributedDataParallel(big, group: world, overlapsCommunication: overlapping)
  report(
    overlapping ? "overlap_on" : "overlap_off",
    measure(
      step(
        big, SGD(big.parameters(), learningRate: 0.01), .randomNormal([64, 1024]),
        Tensor(indices: (0..<64).map { $0 % 10 }))),
    "\(big.parameterCount) parameters, batch 64 per rank, 25 MiB buckets, \(note)")
  _ = replicas
}
