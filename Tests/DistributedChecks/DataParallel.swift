import Foundation
import Nabla
import NablaDistributed
import NablaNN
import NablaOptimizers

/// The largest difference between two parameter lists, relative to the largest value.
func relativeDifference(_ a: [Parameter], _ b: [Parameter]) -> Double {
  var difference = 0.0
  var scale = 0.0
  for (x, y) in zip(a, b) {
    for (u, v) in zip(x.value.scalars, y.value.scalars) {
      difference = max(difference, abs(u - v))
      scale = max(scale, abs(v))
    }
  }
  return difference / max(scale, 1e-30)
}

func makeMLP(_ dtype: DType, seed: UInt64) -> Sequential {
  let generator = RandomGenerator(seed: seed)
  return Sequential([
    Linear(6, 16, dtype: dtype, generator: generator), ReLU(),
    Linear(16, 16, dtype: dtype, generator: generator), ReLU(),
    Linear(16, 4, dtype: dtype, generator: generator),
  ])
}

func makeCNN(_ dtype: DType, seed: UInt64) -> Sequential {
  let generator = RandomGenerator(seed: seed)
  return Sequential([
    Reshape([1, 6]), Conv1D(1, 5, kernelSize: 3, padding: 1, dtype: dtype, generator: generator),
    ReLU(), Conv1D(5, 4, kernelSize: 3, stride: 2, dtype: dtype, generator: generator), ReLU(),
    Flatten(), Linear(8, 4, dtype: dtype, generator: generator),
  ])
}

/// A reshape of each sample, for the CNN's [N, 6] inputs.
final class Reshape: Module, @unchecked Sendable {
  let shape: [Int]
  init(_ shape: [Int]) { self.shape = shape }
  override func callAsFunction(_ input: Tensor) -> Tensor {
    input.reshaped([input.shape[0]] + shape)
  }
}

/// Step `step`'s global batch of 12 samples (the same on every rank).
func globalBatch(_ step: Int, dtype: DType) -> (Tensor, Tensor) {
  let generator = RandomGenerator(seed: 1000 + UInt64(step))
  let x = Tensor(generator.normalDoubles(12 * 6), shape: [12, 6], dtype: dtype)
  let y = Tensor(indices: (0..<12).map { _ in generator.nextInt(below: 4) })
  return (x, y)
}

/// This rank's rows of a batch split evenly over the ranks.
func shard(_ tensor: Tensor, _ world: ProcessGroup) -> Tensor {
  let rows = tensor.shape[0] / world.size
  return tensor.narrowed(alongAxis: 0, start: world.rank * rows, length: rows)
}

/// Trains with DDP on this rank's shards and returns the parameters.
func trainDistributed(
  _ make: (DType, UInt64) -> Sequential, _ dtype: DType, _ world: ProcessGroup,
  overlapping: Bool, bucketCapacity: Int, steps: Int = 20
) -> [Parameter] {
  // Each rank starts from a different seed: the construction must give all rank 0's values.
  let model = DistributedDataParallel(
    make(dtype, UInt64(7 + world.rank)), group: world, bucketCapacity: bucketCapacity,
    overlapsCommunication: overlapping)
  let optimizer = Adam(model.module.parameters(), learningRate: 1e-2)
  for step in 0..<steps {
    let (x, y) = globalBatch(step, dtype: dtype)
    optimizer.zeroGradients()
    crossEntropy(model(shard(x, world)), classIndices: shard(y, world)).backward()
    optimizer.step()
    checkIdenticalAcrossRanks(model.module.parameters(), world, "after step \(step)")
  }
  return model.module.parameters()
}

func trainAlone(_ make: (DType, UInt64) -> Sequential, _ dtype: DType, steps: Int = 20)
  -> [Parameter]
{
  let model = make(dtype, 7)
  let optimizer = Adam(model.parameters(), learningRate: 1e-2)
  for step in 0..<steps {
    let (x, y) = globalBatch(step, dtype: dtype)
    optimizer.zeroGradients()
    crossEntropy(model(x), classIndices: y).backward()
    optimizer.step()
  }
  return model.parameters()
}

/// Stops unless every rank holds bit-identical values.
func checkIdenticalAcrossRanks(_ parameters: [Parameter], _ world: ProcessGroup, _ when: String) {
  for (index, parameter) in parameters.enumerated() {
    let all = world.allGather(parameter.value)
    let mine = parameter.value.scalars
    for rank in 0..<world.size {
      let theirs = all.narrowed(alongAxis: 0, start: rank, length: 1).scalars
      expect(
        zip(theirs, mine).allSatisfy { $0.bitPattern == $1.bitPattern },
        "parameter \(index) differs between rank \(world.rank) and rank \(rank) \(when)")
    }
  }
}

func checkDataParallel(_ world: ProcessGroup) {
  let models: [(String, (DType, UInt64) -> Sequential)] = [("MLP", makeMLP), ("CNN", makeCNN)]
  for (name, make) in models {
    for (dtype, tolerance) in [(DType.float32, 1e-6), (.float64, 1e-12)] {
      checkGradients(make, dtype, world, tolerance: tolerance)
      let reference = trainAlone(make, dtype)
      let overlapped = trainDistributed(make, dtype, world, overlapping: true, bucketCapacity: 256)
      let after = trainDistributed(make, dtype, world, overlapping: false, bucketCapacity: 1 << 20)
      let difference = relativeDifference(overlapped, reference)
      expect(
        difference <= tolerance,
        "DDP \(name) \(dtype) differs from one process by \(difference) (tolerance \(tolerance))")
      expect(
        relativeDifference(overlapped, after) == 0,
        "DDP \(name) \(dtype): overlapped and after-backward buckets differ")
    }
  }
  checkNoSync(world)
  checkUnusedParameters(world)
}

/// One backward pass leaves every rank with one process's gradients of the whole batch.
func checkGradients(
  _ make: (DType, UInt64) -> Sequential, _ dtype: DType, _ world: ProcessGroup, tolerance: Double
) {
  let model = DistributedDataParallel(make(dtype, 7), group: world, bucketCapacity: 256)
  let reference = make(dtype, 7)
  let (x, y) = globalBatch(0, dtype: dtype)
  crossEntropy(model(shard(x, world)), classIndices: shard(y, world)).backward()
  crossEntropy(reference(x), classIndices: y).backward()
  for (mine, theirs) in zip(model.module.parameters(), reference.parameters()) {
    let scale = theirs.grad!.scalars.map(abs).max()!
    let difference = zip(mine.grad!.scalars, theirs.grad!.scalars).map { abs($0 - $1) }.max()!
    expect(
      difference <= 10 * tolerance * scale,
      "DDP \(dtype) gradient differs from one process's by \(difference) (largest \(scale))")
  }
}

/// Two micro-batches, the first inside noSync, give one process's accumulated gradients.
func checkNoSync(_ world: ProcessGroup) {
  let model = DistributedDataParallel(makeMLP(.float64, seed: 3), group: world)
  let reference = makeMLP(.float64, seed: 3)
  let (x, y) = globalBatch(0, dtype: .float64)
  let halves = [(0, 6), (6, 6)].map { start, length in
    (
      x.narrowed(alongAxis: 0, start: start, length: length),
      y.narrowed(alongAxis: 0, start: start, length: length)
    )
  }
  model.noSync {
    crossEntropy(model(shard(halves[0].0, world)), classIndices: shard(halves[0].1, world))
      .backward()
  }
  crossEntropy(model(shard(halves[1].0, world)), classIndices: shard(halves[1].1, world)).backward()
  for (hx, hy) in halves { crossEntropy(reference(hx), classIndices: hy).backward() }
  for (mine, theirs) in zip(model.module.parameters(), reference.parameters()) {
    let difference = zip(mine.grad!.scalars, theirs.grad!.scalars).map { abs($0 - $1) }.max()!
    expect(difference < 1e-12, "noSync accumulation differs by \(difference)")
  }
}

/// A branch used only on rank 0 gets rank 0's gradient over the number of ranks; a branch no
/// rank uses keeps no gradient.
func checkUnusedParameters(_ world: ProcessGroup) {
  let generator = RandomGenerator(seed: 5)
  let shared = Linear(3, 2, dtype: .float64, generator: generator)
  let sometimes = Linear(3, 2, dtype: .float64, generator: generator)
  let never = Linear(3, 2, dtype: .float64, generator: generator)
  let model = DistributedDataParallel(
    Branches([shared, sometimes, never]), group: world, findsUnusedParameters: true)
  let x = Tensor([1, 2, 3, 4, 5, 6].map { Double($0) }, shape: [2, 3], dtype: .float64)
  var loss = shared(x).sum()
  if world.rank == 0 { loss = loss + sometimes(x).sum() }
  loss.backward()
  expect(never.weight.grad == nil, "a parameter no rank used got a gradient")
  let expectedSometimes = x.sum(alongAxes: [0]).scalars.map { $0 / Double(world.size) }
  expect(
    sometimes.weight.grad.map { Array($0.scalars.prefix(3)) } == expectedSometimes,
    "a parameter only rank 0 used got \(String(describing: sometimes.weight.grad?.scalars))")
}

/// Modules held side by side, for the unused-parameter check.
final class Branches: Module, @unchecked Sendable {
  let branches: [Module]
  init(_ branches: [Module]) { self.branches = branches }
}
