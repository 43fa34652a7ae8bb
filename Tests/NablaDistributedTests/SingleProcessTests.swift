import Nabla
import NablaDistributed
import NablaNN
import Testing

/// Without `mpirun`, the world is one process and everything distributed degrades to the
/// one-process computation.
@Suite struct SingleProcessTests {
  let world = try! ProcessGroup.initialize(usingMPI: false)

  @Test func theFirstBucketIsSmall() {
    // Reverse order: 1.bias (40 B), 1.weight (20 KiB), 0.bias (2 KiB), 0.weight (1 MiB). The
    // first bucket holds at most 1 MiB, so 0.weight starts the second.
    let model = Sequential {
      Linear(512, 512)
      Linear(512, 10)
    }
    let parallel = DistributedDataParallel(model, group: world)
    #expect(
      parallel.bucketParameterNames == [["1.bias", "1.weight", "0.bias"], ["0.weight"]])
    let one = DistributedDataParallel(model, group: world, firstBucketCapacity: 25 << 20)
    #expect(one.bucketParameterNames == [["1.bias", "1.weight", "0.bias", "0.weight"]])
    // As in PyTorch, the first bucket's limit does not follow the others'.
    let small = DistributedDataParallel(
      model, group: world, bucketCapacity: 4096, firstBucketCapacity: 4096)
    #expect(
      small.bucketParameterNames == [["1.bias"], ["1.weight"], ["0.bias"], ["0.weight"]])
  }

  @Test func theWorldIsOneProcessWithoutMPI() {
    #expect(world.rank == 0 && world.size == 1 && world.localRank == 0 && world.isMain)
    #expect(world.backend == "single process (no MPI)")
  }

  @Test(arguments: [DType.float32, .float64, .int64]) func collectivesReturnTheirInput(dtype: DType)
  {
    let x = Tensor([3, -1, 4, 1, -5, 9], shape: [2, 3], dtype: dtype)
    for operation in ReduceOperation.allCases where operation != .mean || dtype != .int64 {
      #expect(world.allReduce(x, operation).scalars == x.scalars)
      #expect(world.reduceScatter(x, operation).shape == [2, 3])
    }
    #expect(world.broadcast(x, from: 0).scalars == x.scalars)
    #expect(world.allGather(x).shape == [1, 2, 3])
    world.barrier()
    #expect(world.split(color: 0).size == 1)
  }

  @Test func samplerShardsPartitionEachEpochLikePyTorch() {
    // 10 elements over 3 ranks: 4 each, the order padded with its first two elements.
    let samplers = (0..<3).map {
      DistributedSampler(count: 10, replicaCount: 3, rank: $0, shuffle: false)
    }
    #expect(samplers.map(\.indices) == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]])
    let dropping = (0..<3).map {
      DistributedSampler(count: 10, replicaCount: 3, rank: $0, shuffle: false, dropLast: true)
    }
    #expect(dropping.map(\.indices) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]])
    var shuffled = (0..<3).map { DistributedSampler(count: 10, replicaCount: 3, rank: $0, seed: 4) }
    let first = shuffled.flatMap(\.indices)
    for index in shuffled.indices { shuffled[index].setEpoch(1) }
    let second = shuffled.flatMap(\.indices)
    #expect(Set(first) == Set(0..<10) && Set(second) == Set(0..<10) && first != second)
    // Epoch 1's order is the permutation of seed 4 + 1, dealt out rank by rank.
    let order = RandomGenerator(seed: 5).permutation(count: 10)
    let padded = order + order.prefix(2)
    for rank in 0..<3 {
      #expect(shuffled[rank].indices == stride(from: rank, to: 12, by: 3).map { padded[$0] })
    }
  }

  @Test func dataParallelOnOneProcessGivesThePlainGradients() {
    let generator = RandomGenerator(seed: 2)
    let plain = Sequential([
      Linear(4, 8, generator: generator), ReLU(), Linear(8, 2, generator: generator),
    ])
    let copy = Sequential([Linear(4, 8), ReLU(), Linear(8, 2)])
    for (mine, theirs) in zip(copy.parameters(), plain.parameters()) { mine.assign(theirs.value) }
    let model = DistributedDataParallel(copy, group: world, bucketCapacity: 40)
    let x = Tensor(generator.normalDoubles(12), shape: [3, 4], dtype: .float32)
    (model(x) * model(x)).sum().backward()
    (plain(x) * plain(x)).sum().backward()
    for (mine, theirs) in zip(copy.parameters(), plain.parameters()) {
      #expect(mine.grad!.scalars == theirs.grad!.scalars)
    }
  }

  @Test func onMainRankRunsOnceAndReturns() throws {
    var runs = 0
    let result = try world.onMainRank {
      runs += 1
      return 7
    }
    #expect(runs == 1 && result == 7)
  }
}
