import Nabla
import NablaDistributed

/// Rank `rank`'s test values: small integers, so that sums are exact in every dtype.
func rankValues(_ rank: Int, shape: [Int], dtype: DType) -> Tensor {
  let count = shape.reduce(1, *)
  let values = (0..<count).map { Double(($0 * 7 + rank * 3) % 11 - 5 + rank) }
  return Tensor(values, shape: shape, dtype: dtype)
}

/// The reduction of every rank's values, computed locally.
func expectedReduction(
  _ operation: ReduceOperation, ranks: Int, shape: [Int], dtype: DType
) -> [Double] {
  let all = (0..<ranks).map { rankValues($0, shape: shape, dtype: dtype).scalars }
  return (0..<shape.reduce(1, *)).map { i in
    let column = all.map { $0[i] }
    switch operation {
    case .sum: return column.reduce(0, +)
    case .mean: return column.reduce(0, +)  // divided in the dtype below
    case .max: return column.max()!
    case .min: return column.min()!
    }
  }
}

/// What `operation` over the ranks gives, in `dtype`'s own arithmetic.
func expected(_ operation: ReduceOperation, ranks: Int, shape: [Int], dtype: DType) -> [Double] {
  let values = expectedReduction(operation, ranks: ranks, shape: shape, dtype: dtype)
  guard operation == .mean else { return values }
  return (Tensor(values, shape: shape, dtype: dtype) / Double(ranks)).scalars
}

let shapes: [[Int]] = [[5, 3], [7], [], [0], [2, 0, 3]]

func checkCollectives(_ world: ProcessGroup) {
  for limit in [Int(Int32.max), 4] {
    ProcessGroup.maximumCount = limit
    defer { ProcessGroup.maximumCount = Int(Int32.max) }
    let label = limit == 4 ? " in pieces of 4" : ""
    for dtype in [DType.float32, .float64, .int64] {
      for shape in shapes {
        let mine = rankValues(world.rank, shape: shape, dtype: dtype)
        for operation in ReduceOperation.allCases where operation != .mean || dtype != .int64 {
          let result = world.allReduce(mine, operation)
          expect(result.shape == shape && result.dtype == dtype, "allReduce shape\(label)")
          expect(
            result.scalars
              == expected(operation, ranks: world.size, shape: shape, dtype: dtype),
            "allReduce(\(operation)) \(dtype) \(shape)\(label)")
        }
        for root in 0..<world.size {
          let sent = world.broadcast(mine, from: root)
          expect(
            sent.scalars == rankValues(root, shape: shape, dtype: dtype).scalars,
            "broadcast from \(root) \(dtype) \(shape)\(label)")
        }
        let gathered = world.allGather(mine)
        let expected = (0..<world.size).flatMap {
          rankValues($0, shape: shape, dtype: dtype).scalars
        }
        expect(
          gathered.shape == [world.size] + shape && gathered.scalars == expected,
          "allGather \(dtype) \(shape)\(label)")
      }
      checkReduceScatter(world, dtype: dtype, label: label)
      checkSendReceive(world, dtype: dtype, label: label)
    }
  }
  world.barrier()
  checkSubgroups(world)
  expect(world.localRank == world.rank && world.localSize == world.size, "one machine's ranks")
}

func checkReduceScatter(_ world: ProcessGroup, dtype: DType, label: String) {
  for rows in [7, world.size, 1, 0] {
    let shape = [rows, 2]
    let mine = rankValues(world.rank, shape: shape, dtype: dtype)
    for operation in ReduceOperation.allCases where operation != .mean || dtype != .int64 {
      let full = expected(operation, ranks: world.size, shape: shape, dtype: dtype)
      let counts = (0..<world.size).map { rows / world.size + ($0 < rows % world.size ? 1 : 0) }
      let start = counts[..<world.rank].reduce(0, +)
      let part = world.reduceScatter(mine, operation)
      expect(
        part.shape == [counts[world.rank], 2]
          && part.scalars == Array(full[(2 * start)..<(2 * (start + counts[world.rank]))]),
        "reduceScatter(\(operation)) \(dtype) rows \(rows)\(label)")
    }
  }
}

func checkSendReceive(_ world: ProcessGroup, dtype: DType, label: String) {
  guard world.size > 1 else { return }
  let next = (world.rank + 1) % world.size
  let previous = (world.rank + world.size - 1) % world.size
  let shape = [3, 5]
  // Even ranks send first, odd ranks receive first, so the ring never blocks.
  let mine = rankValues(world.rank, shape: shape, dtype: dtype)
  var received: Tensor
  if world.rank % 2 == 0 {
    world.send(mine, to: next, tag: 7)
    received = world.receive(shape, dtype: dtype, from: previous, tag: 7)
  } else {
    received = world.receive(shape, dtype: dtype, from: previous, tag: 7)
    world.send(mine, to: next, tag: 7)
  }
  expect(
    received.scalars == rankValues(previous, shape: shape, dtype: dtype).scalars,
    "send/receive \(dtype)\(label)")
}

func checkSubgroups(_ world: ProcessGroup) {
  let parity = world.split(color: world.rank % 2)
  let members = (0..<world.size).filter { $0 % 2 == world.rank % 2 }
  expect(
    parity.size == members.count && parity.rank == members.firstIndex(of: world.rank)!, "split")
  let sum = parity.allReduce(Tensor([Float(world.rank)]), .sum)
  expect(sum.scalars == [Double(members.reduce(0, +))], "allReduce in a sub-group")
}
