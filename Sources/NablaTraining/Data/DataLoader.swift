/// Reads a dataset in batches, optionally shuffled, loading the next batches on a worker thread
/// while the training loop runs, as `torch.utils.data.DataLoader`.
///
/// Each pass over the loader is an epoch. With `shuffle`, each epoch draws a new order of the
/// elements from `generator` when it starts (`generator.permutation(count:)`, an algorithm of
/// Nabla's own): the same seed gives the same sequence of epochs on every platform. Without it,
/// elements come in index order. Batches hold `batchSize` elements, the last fewer unless
/// `dropLast` drops it. `collate` makes a batch of its elements; for `Tensor` elements and
/// `(Tensor, Tensor)` pairs it stacks them along a new first axis by default.
///
/// A loader over a dataset that cannot fail is a `Sequence` of batches:
///
/// ```swift
/// let loader = DataLoader(
///   TensorDataset(inputs, targets), batchSize: 32, shuffle: true,
///   generator: RandomGenerator(seed: 0))
/// for epoch in 0..<10 {
///   for (x, y) in loader { /* one step */ }
/// }
/// ```
///
/// Over a dataset whose reads can fail (its `Failure` is not `Never`), iterate `batches()`,
/// whose `next()` throws the dataset's error for a batch that could not be read:
///
/// ```swift
/// var batches = DataLoader(NumPyFilesDataset(files: urls), batchSize: 8).batches()
/// while let batch = try batches.next() { /* one step */ }
/// ```
///
/// With `prefetch` above 0, a worker thread loads up to that many batches ahead: the dataset's
/// `element(at:)` and `collate` run there, one call at a time, and must be safe to call from
/// another thread. A dataset that draws random numbers (augmentation) should use a generator of
/// its own, as the training loop draws from the global one at the same time. With `prefetch: 0`
/// batches are loaded on the calling thread when asked for. Batches are the same either way;
/// they are always loaded with gradients off (`withoutGradients`).
public struct DataLoader<Source: Dataset, Batch> {
  /// The dataset read.
  public let dataset: Source
  /// The number of elements in a batch (the last may hold fewer unless `dropLast`).
  public let batchSize: Int
  /// Whether each epoch reads the elements in a new random order.
  public let shuffle: Bool
  /// Whether a last batch of fewer than `batchSize` elements is left out.
  public let dropLast: Bool
  /// The source of the shuffled orders.
  public let generator: RandomGenerator
  /// How many batches a worker thread loads ahead; 0 loads on the calling thread.
  public let prefetch: Int
  /// Makes a batch of its elements.
  private let collate: ([Source.Element]) -> Batch
  /// Reads a batch at once where the dataset can (a `TensorDataset` with the default collate),
  /// giving what reading the elements and collating them would give.
  private var gather: ((ArraySlice<Int>) -> Batch)? = nil

  /// Creates a loader that makes batches with `collate`.
  ///
  /// ```swift
  /// let loader = DataLoader(sentences, batchSize: 16, collate: padToLongest)
  /// ```
  ///
  /// - Parameters:
  ///   - dataset: The dataset to read.
  ///   - batchSize: The number of elements in a batch; must be positive.
  ///   - shuffle: Whether each epoch reads the elements in a new random order.
  ///   - dropLast: Whether to leave out a last batch of fewer than `batchSize` elements.
  ///   - generator: The source of the shuffled orders (the global one by default, which
  ///     `manualSeed(_:)` reseeds).
  ///   - prefetch: How many batches a worker thread loads ahead; 0 turns the worker off.
  ///   - collate: Makes a batch of the elements read for it, in order (never none).
  public init(
    _ dataset: Source, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false,
    generator: RandomGenerator = .global, prefetch: Int = 2,
    collate: @escaping ([Source.Element]) -> Batch
  ) {
    require(batchSize > 0, "DataLoader: batchSize \(batchSize) must be positive")
    require(prefetch >= 0, "DataLoader: prefetch \(prefetch) must not be negative")
    self.dataset = dataset
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.generator = generator
    self.prefetch = prefetch
    self.collate = collate
  }

  /// The number of batches in an epoch.
  public var count: Int {
    dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
  }

  /// Starts an epoch: draws its order (when shuffling) and, with `prefetch`, starts the worker.
  ///
  /// Abandoning the iterator partway stops its worker; a new call starts a new epoch.
  public func batches() -> BatchIterator {
    let order = shuffle ? generator.permutation(count: dataset.count) : Array(0..<dataset.count)
    let epoch = Epoch(
      dataset: dataset, collate: collate, gather: gather, order: order, batchSize: batchSize,
      batchCount: count)
    guard prefetch > 0, epoch.batchCount > 0 else { return BatchIterator(epoch: epoch) }
    let prefetcher = Prefetcher(batchCount: epoch.batchCount, capacity: prefetch, load: epoch.load)
    return BatchIterator(epoch: epoch, prefetcher: PrefetchHandle(prefetcher))
  }

  /// The batches of one epoch, in order.
  public struct BatchIterator {
    private let epoch: Epoch<Source, Batch>
    private let prefetcher: PrefetchHandle<Batch, Source.Failure>?
    private var position = 0

    init(epoch: Epoch<Source, Batch>, prefetcher: PrefetchHandle<Batch, Source.Failure>? = nil) {
      self.epoch = epoch
      self.prefetcher = prefetcher
    }

    /// The next batch, or nil after the last.
    ///
    /// - Throws: The dataset's error when an element of the batch cannot be read. That batch
    ///   is lost; calling `next()` again gives the one after it.
    public mutating func next() throws(Source.Failure) -> Batch? {
      guard position < epoch.batchCount else { return nil }
      position += 1
      guard let prefetcher else { return try epoch.load(position - 1).get() }
      return try prefetcher.prefetcher.next()?.get()
    }
  }
}

extension DataLoader where Source.Element == Tensor, Batch == Tensor {
  /// Creates a loader whose batches stack the elements along a new first axis.
  ///
  /// Parameters are as in `init(_:batchSize:shuffle:dropLast:generator:prefetch:collate:)`.
  public init(
    _ dataset: Source, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false,
    generator: RandomGenerator = .global, prefetch: Int = 2
  ) {
    self.init(
      dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, generator: generator,
      prefetch: prefetch, collate: Collate.stacked)
    gather = (dataset as? TensorDataset<Tensor>).map { source in { source.batch(at: $0) } }
  }
}

extension DataLoader where Source.Element == (Tensor, Tensor), Batch == (Tensor, Tensor) {
  /// Creates a loader whose batches are `(inputs, targets)`: the elements' inputs stacked along
  /// a new first axis, and their targets likewise.
  ///
  /// Parameters are as in `init(_:batchSize:shuffle:dropLast:generator:prefetch:collate:)`.
  public init(
    _ dataset: Source, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false,
    generator: RandomGenerator = .global, prefetch: Int = 2
  ) {
    self.init(
      dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, generator: generator,
      prefetch: prefetch, collate: Collate.stacked)
    gather = (dataset as? TensorDataset<(Tensor, Tensor)>).map { source in
      { source.batch(at: $0) }
    }
  }
}

extension DataLoader: Sequence where Source.Failure == Never {
  /// The batches of one epoch, for `for batch in loader`.
  public struct Iterator: IteratorProtocol {
    var batches: BatchIterator

    /// The next batch, or nil after the last.
    public mutating func next() -> Batch? { batches.next() }
  }

  /// Starts an epoch (see `batches()`).
  public func makeIterator() -> Iterator { Iterator(batches: batches()) }

  /// The number of batches in an epoch.
  public var underestimatedCount: Int { count }
}

/// What one epoch reads: the dataset, its order, and how to load each batch.
final class Epoch<Source: Dataset, Batch>: @unchecked Sendable {
  let dataset: Source
  let collate: ([Source.Element]) -> Batch
  let gather: ((ArraySlice<Int>) -> Batch)?
  let order: [Int]
  let batchSize: Int
  let batchCount: Int

  init(
    dataset: Source, collate: @escaping ([Source.Element]) -> Batch,
    gather: ((ArraySlice<Int>) -> Batch)?, order: [Int], batchSize: Int, batchCount: Int
  ) {
    self.dataset = dataset
    self.collate = collate
    self.gather = gather
    self.order = order
    self.batchSize = batchSize
    self.batchCount = batchCount
  }

  /// Reads the elements of batch `batch` and collates them, with gradients off.
  func load(_ batch: Int) -> Result<Batch, Source.Failure> {
    let start = batch * batchSize
    let indices = order[start..<min(start + batchSize, order.count)]
    return withoutGradients {
      if let gather { return .success(gather(indices)) }
      do throws(Source.Failure) {
        var elements: [Source.Element] = []
        elements.reserveCapacity(indices.count)
        for index in indices { elements.append(try dataset.element(at: index)) }
        return .success(collate(elements))
      } catch {
        return .failure(error)
      }
    }
  }
}
