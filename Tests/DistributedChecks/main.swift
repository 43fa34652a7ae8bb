// The distributed checks, run under `mpirun -np P` by NablaDistributedTests (and by hand):
// every rank computes the reference itself and compares. A failed check prints its name and
// exits non-zero, which ends the whole job. `nabla-distributed-checks fault <name>` runs one of
// the fault scenarios instead, each of which must end the job with a message.
import Foundation
import Nabla
import NablaDistributed

/// Stops this rank (and so the job) with the check's name when `condition` is false.
func expect(_ condition: Bool, _ name: @autoclosure () -> String) {
  guard !condition else { return }
  FileHandle.standardError.write(Data("FAILED [rank \(ProcessGroup.world.rank)]: \(name())\n".utf8))
  exit(1)
}

ProcessGroup.checksCollectives = true
let world = ProcessGroup.world
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "fault" {
  runFault(arguments.dropFirst().first ?? "", world)
} else {
  checkCollectives(world)
  checkDataParallel(world)
  checkSyncBatchNorm(world)
  checkDistributedSampler(world)
  do {
    try checkCheckpoint(world)
  } catch {
    expect(false, "checkpoint: \(error)")
  }
  if world.isMain { print("distributed checks passed on \(world.size) ranks: \(world.backend)") }
}
