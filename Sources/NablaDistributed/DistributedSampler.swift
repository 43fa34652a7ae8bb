import Nabla

/// Gives each rank its own shard of a dataset's indices, reshuffled every epoch the same way on
/// every rank, as PyTorch's `DistributedSampler`.
///
/// Each epoch's order is `RandomGenerator(seed: seed + epoch).permutation(count:)`, which every
/// rank computes alike; rank `r` takes positions `r, r + size, r + 2·size, …` of it. So that
/// every rank gets the same number of indices, the order is padded by repeating its start
/// (`dropLast: false`, the default) or cut to a multiple of the number of ranks (`dropLast: true`).
///
/// ```swift
/// var sampler = DistributedSampler(count: dataset.count, group: .world, seed: 42)
/// for epoch in 0..<10 {
///   sampler.setEpoch(epoch)
///   let loader = DataLoader(Subset(of: dataset, indices: sampler.indices), batchSize: 32)
///   for (x, y) in loader { /* one step */ }
/// }
/// ```
public struct DistributedSampler: Sequence, Sendable {
  /// The number of elements in the dataset.
  public let datasetCount: Int
  /// The number of shards: the processes that share the dataset.
  public let replicaCount: Int
  /// The shard this sampler gives.
  public let rank: Int
  /// Whether each epoch draws a new order (otherwise indices come in dataset order).
  public let shuffle: Bool
  /// The seed shared by all ranks.
  public let seed: UInt64
  /// Whether the tail that does not fill every rank is dropped (otherwise it is padded).
  public let dropLast: Bool
  /// The epoch whose order `indices` gives; set it with `setEpoch(_:)` before each epoch.
  public private(set) var epoch = 0

  /// Creates the sampler of `rank`'s shard.
  ///
  /// - Parameters:
  ///   - count: The number of elements in the dataset.
  ///   - replicaCount: The number of shards (the group's size).
  ///   - rank: This shard, from 0.
  ///   - shuffle: Draw a new order every epoch.
  ///   - seed: The seed, the same on every rank.
  ///   - dropLast: Drop the elements past the last multiple of `replicaCount` instead of padding.
  public init(
    count: Int, replicaCount: Int, rank: Int, shuffle: Bool = true, seed: UInt64 = 0,
    dropLast: Bool = false
  ) {
    require(count >= 0, "DistributedSampler: the dataset count must not be negative, got \(count)")
    require(
      replicaCount > 0 && (0..<replicaCount).contains(rank),
      "DistributedSampler: rank \(rank) is not one of \(replicaCount) replicas")
    datasetCount = count
    self.replicaCount = replicaCount
    self.rank = rank
    self.shuffle = shuffle
    self.seed = seed
    self.dropLast = dropLast
  }

  /// Creates the sampler of this process's shard in `group`.
  public init(
    count: Int, group: ProcessGroup, shuffle: Bool = true, seed: UInt64 = 0, dropLast: Bool = false
  ) {
    self.init(
      count: count, replicaCount: group.size, rank: group.rank, shuffle: shuffle, seed: seed,
      dropLast: dropLast)
  }

  /// Chooses the epoch, and so the order, of the next pass.
  public mutating func setEpoch(_ epoch: Int) { self.epoch = epoch }

  /// The number of indices each rank gets per epoch.
  public var count: Int {
    if dropLast && datasetCount % replicaCount != 0 {
      return (datasetCount - replicaCount + replicaCount - 1) / replicaCount
    }
    return (datasetCount + replicaCount - 1) / replicaCount
  }

  /// This rank's indices for the current epoch.
  public var indices: [Int] {
    var order =
      shuffle
      ? RandomGenerator(seed: seed &+ UInt64(epoch)).permutation(count: datasetCount)
      : Array(0..<datasetCount)
    let total = count * replicaCount
    if total > order.count, !order.isEmpty {
      let original = order
      while order.count < total { order += original.prefix(total - order.count) }
    }
    order = Array(order.prefix(total))
    return stride(from: rank, to: order.count, by: replicaCount).map { order[$0] }
  }

  /// Iterates over `indices`.
  public func makeIterator() -> IndexingIterator<[Int]> { indices.makeIterator() }
}
