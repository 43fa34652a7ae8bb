import CNablaKernels
import Testing

@testable import Nabla

/// The worker pool behind the kernels: every task runs exactly once, for any thread count, and a
/// parallel loop inside a task runs instead of waiting on the pool it belongs to.
@Suite(.serialized) struct ThreadPoolTests {
  @Test func everyTaskRunsOnce() {
    defer { Parallelism.threadCount = 0 }
    for threads in [1, 2, 3, 8] {
      Parallelism.threadCount = threads
      for count in [0, 1, 2, 7, 100, 1000] {
        var runs = [Int](repeating: 0, count: count)
        runs.withUnsafeMutableBufferPointer { buffer in
          nabla_parallel_for(
            count,
            { context, index in
              context!.assumingMemoryBound(to: Int.self)[index] += 1
            }, buffer.baseAddress)
        }
        #expect(runs.allSatisfy { $0 == 1 }, "threads \(threads), count \(count)")
      }
    }
  }

  @Test func nestedLoopsRunOnTheirTasksThread() {
    defer { Parallelism.threadCount = 0 }
    Parallelism.threadCount = 2
    // Each outer task fills its own row of 16 with an inner parallel loop.
    var grid = [Int](repeating: 0, count: 8 * 16)
    grid.withUnsafeMutableBufferPointer { buffer in
      nabla_parallel_for(
        8,
        { context, row in
          let rowStart = context!.assumingMemoryBound(to: Int.self) + row * 16
          nabla_parallel_for(
            16,
            { inner, column in
              inner!.assumingMemoryBound(to: Int.self)[column] += 1
            }, rowStart)
        }, buffer.baseAddress)
    }
    #expect(grid.allSatisfy { $0 == 1 })
  }

  @Test func zeroRestoresOneThreadPerCore() {
    Parallelism.threadCount = 1
    Parallelism.threadCount = 0
    #expect(Parallelism.threadCount >= 1)
  }
}
