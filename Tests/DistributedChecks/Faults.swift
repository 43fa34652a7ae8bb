import Foundation
import Nabla
import NablaDistributed

/// Scenarios that must end the whole job with a non-zero status and a message, not hang.
func runFault(_ name: String, _ world: ProcessGroup) {
  switch name {
  case "mismatched-shapes":
    _ = world.allReduce(Tensor.zeros(world.rank == 0 ? [3, 4] : [4, 4]))
  case "skipped-collective":
    ProcessGroup.timeout = 5
    if world.rank == 0 { _ = world.allReduce(Tensor.zeros([2])) }
    _ = world.allGather(Tensor.zeros([2]))
  case "rank-throws":
    if world.rank == 1 {
      do {
        try failingStep()
      } catch {
        FileHandle.standardError.write(Data("rank 1: \(error)\n".utf8))
        exit(3)
      }
    }
    for _ in 0..<1000 { _ = world.allReduce(Tensor.zeros([16])) }
  case "rank-crashes":
    if world.rank == 1 {
      let indices = [Int](repeating: 0, count: CommandLine.arguments.count)
      print(indices[indices.count + world.rank])  // out of range: a trap, as a programmer error
    }
    for _ in 0..<1000 { _ = world.allReduce(Tensor.zeros([16])) }
  case "rank-leaves-early":
    ProcessGroup.timeout = 5
    if world.rank == 0 { _ = world.allReduce(Tensor.zeros([2])) }
  default:
    FileHandle.standardError.write(Data("unknown fault scenario '\(name)'\n".utf8))
    exit(2)
  }
  print("fault scenario \(name) finished without stopping")
}

struct StepFailure: Error, CustomStringConvertible {
  var description: String { "the training step failed" }
}

func failingStep() throws { throw StepFailure() }
