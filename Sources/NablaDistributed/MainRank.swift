import Nabla

/// The error other ranks see when what rank 0 ran for all of them failed.
public struct MainRankError: Error, CustomStringConvertible {
  /// What rank 0's error said.
  public let description: String
}

// Work that one process does for the whole job: saving checkpoints, printing progress.
extension ProcessGroup {
  /// Runs `body` on rank 0 only and lets every rank go on once it has finished, so that a
  /// checkpoint that rank 0 saves can be loaded by every rank next.
  ///
  /// ```swift
  /// try world.onMainRank { try model.save(to: url) }
  /// try model.load(from: url)  // every rank
  /// ```
  ///
  /// Every rank of the group must call it.
  ///
  /// - Returns: `body`'s result on rank 0, nil on the others.
  /// - Throws: On rank 0, `body`'s error; on the others, a ``MainRankError`` with its text.
  @discardableResult
  public func onMainRank<Result>(_ body: () throws -> Result) throws -> Result? {
    var outcome: Result?
    var failure: Error?
    if isMain {
      do { outcome = try body() } catch { failure = error }
    }
    let text = Array((failure.map { "\($0)" } ?? "").utf8.prefix(1024))
    let message = broadcast(
      Tensor(
        indices: [text.count] + text.map(Int.init) + Array(repeating: 0, count: 1024 - text.count)),
      from: 0)
    let values = [Int](message)
    if let failure { throw failure }
    if values[0] > 0 {
      throw MainRankError(
        description: "rank 0 failed: "
          + String(decoding: values[1...values[0]].map(UInt8.init), as: UTF8.self))
    }
    return outcome
  }

  /// Prints the items on rank 0 only, as `print` does; for progress lines and logs that one
  /// process should write for the job.
  public func printOnMainRank(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    guard isMain else { return }
    print(items.map { "\($0)" }.joined(separator: separator), terminator: terminator)
  }
}
