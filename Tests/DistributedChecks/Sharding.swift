import Foundation
import Nabla
import NablaDistributed
import NablaNN

/// SyncBatchNorm over the ranks' shards equals BatchNorm over the whole batch in one process:
/// outputs, input gradients, parameter gradients (summed over ranks) and running statistics.
func checkSyncBatchNorm(_ world: ProcessGroup) {
  let generator = RandomGenerator(seed: 11)
  let batch = 2 * world.size
  let x = Tensor(generator.normalDoubles(batch * 3 * 5), shape: [batch, 3, 5], dtype: .float64)
  let weights = Tensor(
    generator.normalDoubles(batch * 3 * 5), shape: [batch, 3, 5], dtype: .float64)
  let whole = BatchNorm1D(3, dtype: .float64)
  let synchronized = BatchNorm1D(3, dtype: .float64)
  convertSyncBatchNorm(Sequential([synchronized]), group: world)
  let wholeInput = x.requiringGrad()
  let wholeOutput = whole(wholeInput)
  (wholeOutput * weights).sum().backward()
  let myInput = shard(x, world).requiringGrad()
  let output = synchronized(myInput)
  (output * shard(weights, world)).sum().backward()
  func close(_ a: Tensor, _ b: Tensor) -> Bool {
    zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }
  }
  expect(close(output, shard(wholeOutput, world)), "SyncBatchNorm output")
  expect(close(myInput.grad!, shard(wholeInput.grad!, world)), "SyncBatchNorm input gradient")
  for (mine, theirs) in [(synchronized.weight!, whole.weight!), (synchronized.bias!, whole.bias!)] {
    expect(
      close(world.allReduce(mine.grad!, .sum), theirs.grad!), "SyncBatchNorm parameter gradient")
  }
  expect(
    close(synchronized.runningMean!.value, whole.runningMean!.value), "SyncBatchNorm running mean")
  expect(
    close(synchronized.runningVar!.value, whole.runningVar!.value), "SyncBatchNorm running variance"
  )
}

/// Over all ranks, each epoch's shards cover the dataset once (plus the padding), every rank
/// has as many indices, and the order changes with the epoch.
func checkDistributedSampler(_ world: ProcessGroup) {
  for (count, dropLast) in [(10, false), (10, true), (12, false), (1, false)] {
    var sampler = DistributedSampler(count: count, group: world, seed: 3, dropLast: dropLast)
    var orders: [[Int]] = []
    for epoch in 0..<2 {
      sampler.setEpoch(epoch)
      let mine = sampler.indices
      expect(mine.count == sampler.count, "sampler count")
      let all = [Int](world.allGather(Tensor(indices: mine)))
      let total = sampler.count * world.size
      let covered = Set(all)
      if dropLast {
        expect(
          covered.count == total && all.count == total, "sampler dropLast covers \(total) once")
      } else {
        expect(covered == Set(0..<count), "sampler covers all \(count) elements")
        expect(all.count == total && total - count < world.size, "sampler padding")
      }
      orders.append(all)
    }
    if count >= 10 { expect(orders[0] != orders[1], "sampler reshuffles with setEpoch") }
  }
}

/// Rank 0 saves a model; after the barrier every rank loads it and holds rank 0's values.
func checkCheckpoint(_ world: ProcessGroup) throws {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "nabla-distributed-\(getppid()).safetensors")
  let model = makeMLP(.float32, seed: 20 + UInt64(world.rank))
  try world.onMainRank { try model.save(to: url) }
  let loaded = makeMLP(.float32, seed: 99)
  try loaded.load(from: url)
  let expected = world.broadcast(model.parameters()[0].value, from: 0)
  expect(
    loaded.parameters()[0].value.scalars == expected.scalars, "every rank loads rank 0's checkpoint"
  )
  world.barrier()
  if world.isMain { try? FileManager.default.removeItem(at: url) }
}
