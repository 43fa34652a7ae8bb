import Nabla

/// What one rank says it is calling: the op, the dtype and the shape, exchanged before a checked
/// collective so that ranks that disagree stop with a message instead of hanging or mixing up
/// buffers.
struct CollectiveSignature: Equatable {
  /// The collective's name, as in the public API (`allReduce(sum)`).
  var op: String
  var dtype: DType?
  var shape: [Int]

  private static let ops = [
    "allReduce(sum)", "allReduce(mean)", "allReduce(max)", "allReduce(min)", "broadcast",
    "allGather", "reduceScatter(sum)", "reduceScatter(mean)", "reduceScatter(max)",
    "reduceScatter(min)", "barrier", "DistributedDataParallel bucket", "SyncBatchNorm statistics",
    "broadcast(from: 0)",
  ]
  private static let maximumRank = 8
  /// Int64 words per rank: op, dtype, rank, dimensions (or a hash of the ones past the table).
  static let wordCount = 3 + maximumRank

  /// The signature as fixed-size words; an unknown op or a shape past eight dimensions is
  /// hashed, so different ones still compare different.
  var words: [Int64] {
    let opCode = Self.ops.firstIndex(of: op).map(Int64.init) ?? stableHash(op.utf8.map(Int64.init))
    let dtypeCode = Int64(dtype.map { DType.allCases.firstIndex(of: $0)! } ?? -1)
    var dimensions = shape.prefix(Self.maximumRank).map(Int64.init)
    if shape.count > Self.maximumRank {
      dimensions[Self.maximumRank - 1] = stableHash(shape.map(Int64.init))
    }
    dimensions += Array(repeating: -1, count: Self.maximumRank - dimensions.count)
    return [opCode, dtypeCode, Int64(shape.count)] + dimensions
  }

  init(op: String, dtype: DType?, shape: [Int]) {
    self.op = op
    self.dtype = dtype
    self.shape = shape
  }

  /// Reads back what another rank sent (long shapes and unknown ops only partly).
  init(words: ArraySlice<Int64>) {
    let values = Array(words)
    let code = Int(values[0])
    op = Self.ops.indices.contains(code) ? Self.ops[code] : "an unknown collective"
    dtype = values[1] >= 0 ? DType.allCases[Int(values[1])] : nil
    let rank = Int(values[2])
    shape = values[3..<(3 + min(rank, Self.maximumRank))].map { Int($0) }
  }

  var summary: String {
    let type = dtype.map { "\($0) " } ?? ""
    return dtype == nil && shape.isEmpty ? op : "\(op) of \(type)\(describe(shape))"
  }
}

/// FNV-1a over the values' bytes: the same in every process (Swift's `hashValue` is seeded per
/// process, so it cannot be compared across ranks).
private func stableHash(_ values: [Int64]) -> Int64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for value in values {
    for byte in 0..<8 {
      hash = (hash ^ (UInt64(bitPattern: value) >> (8 * UInt64(byte)) & 0xff)) &* 0x100_0000_01b3
    }
  }
  return Int64(bitPattern: hash | 1 << 62)
}

extension Communicator {
  /// Exchanges `signature` with every rank (when `ProcessGroup.checksCollectives` is on) and
  /// stops the job, naming the ranks and what each called, when they differ. Waits at most
  /// `ProcessGroup.timeout` for the others.
  func checkAgreement(_ signature: CollectiveSignature) {
    guard ProcessGroup.checksCollectives, size > 1 else { return }
    let mine = signature.words
    let width = CollectiveSignature.wordCount
    var all = [Int64](repeating: 0, count: width * size)
    var request: MPIHandle?
    mine.withUnsafeBytes { send in
      all.withUnsafeMutableBytes { receive in
        check(
          signature.op,
          library.startAllGather(
            send.baseAddress, Int32(width), library.int64, receive.baseAddress, Int32(width),
            library.int64, handle, &request))
        wait(
          &request, op: signature.op,
          timeoutMessage: "\(signature.summary) waited \(Int(ProcessGroup.timeout)) s for the "
            + "other ranks: a rank stopped, hangs, or skipped a collective")
      }
    }
    let signatures = (0..<size).map {
      CollectiveSignature(words: all[($0 * width)..<(($0 + 1) * width)])
    }
    let differing = (0..<size).filter { all[($0 * width)..<(($0 + 1) * width)] != all[0..<width] }
    guard !differing.isEmpty else { return }
    let calls = signatures.enumerated().map { "rank \($0.offset) called \($0.element.summary)" }
    abortJob(
      "\(signature.op): the ranks disagree (ranks \(differing.map(String.init).joined(separator: ", ")) "
        + "differ from rank 0): " + calls.joined(separator: "; "))
  }
}
