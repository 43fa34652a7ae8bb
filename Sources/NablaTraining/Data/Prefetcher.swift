import Foundation

/// Loads the batches of one epoch, in order, on a worker thread ahead of the loop that takes
/// them, holding at most `capacity` ready batches.
///
/// The worker waits for room before it loads a batch, so no more than `capacity` batches are in
/// memory at once besides the one the loop holds. `stop()` ends the worker early and waits for
/// it to finish the batch it is loading: `PrefetchHandle` calls it when an iterator is abandoned
/// partway. A worker that has loaded every batch ends by itself.
final class Prefetcher<Batch, Failure: Error>: @unchecked Sendable {
  // Everything below is read and written under `condition`, except the constants.
  private let condition = NSCondition()
  private let batchCount: Int
  private let capacity: Int
  private let load: (Int) -> Result<Batch, Failure>
  private var ready: [Result<Batch, Failure>] = []
  private var stopping = false
  private var exited = false

  /// Starts a worker that calls `load` for batches `0..<batchCount` in turn.
  init(batchCount: Int, capacity: Int, load: @escaping (Int) -> Result<Batch, Failure>) {
    require(capacity > 0, "Prefetcher: capacity \(capacity) must be positive")
    self.batchCount = batchCount
    self.capacity = capacity
    self.load = load
    PrefetchWorkers.live.add(1)
    let thread = Thread { [self] in run() }
    thread.name = "NablaTraining.DataLoader"
    thread.start()
  }

  /// The worker's loop.
  private func run() {
    for batch in 0..<batchCount {
      condition.lock()
      while ready.count >= capacity && !stopping { condition.wait() }
      let stopped = stopping
      condition.unlock()
      if stopped { break }
      let result = load(batch)
      condition.lock()
      ready.append(result)
      condition.broadcast()
      condition.unlock()
    }
    condition.lock()
    PrefetchWorkers.live.add(-1)
    exited = true
    condition.broadcast()
    condition.unlock()
  }

  /// The next batch in order, waiting for the worker to load it; nil after the last.
  func next() -> Result<Batch, Failure>? {
    condition.lock()
    defer { condition.unlock() }
    while ready.isEmpty && !exited { condition.wait() }
    guard !ready.isEmpty else { return nil }
    condition.broadcast()  // there is room again
    return ready.removeFirst()
  }

  /// Asks the worker to stop, and waits until it has.
  func stop() {
    condition.lock()
    defer { condition.unlock() }
    stopping = true
    condition.broadcast()
    while !exited { condition.wait() }
    ready.removeAll()
  }
}

/// Owns a `Prefetcher` for an iterator and its copies, and stops the worker when the last of
/// them is gone (the worker itself holds the prefetcher, not this handle).
final class PrefetchHandle<Batch, Failure: Error> {
  let prefetcher: Prefetcher<Batch, Failure>

  init(_ prefetcher: Prefetcher<Batch, Failure>) {
    self.prefetcher = prefetcher
  }

  deinit { prefetcher.stop() }
}

/// The number of prefetch workers running, for tests that check none is left behind.
enum PrefetchWorkers {
  static let live = Counter()

  /// A count that threads change under a lock.
  final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    /// Adds `change` to the count.
    func add(_ change: Int) {
      lock.lock()
      defer { lock.unlock() }
      count += change
    }

    /// The count now.
    var value: Int {
      lock.lock()
      defer { lock.unlock() }
      return count
    }
  }
}
