// Activation checkpointing, as `torch.utils.checkpoint` and MLX's `checkpoint`: a body whose
// intermediate results are not kept for backward but recomputed during it. The body is recorded
// once to find the nodes outside it that it reads (its boundary); its own graph is then dropped,
// and one node stands for it. That node's backward runs the body again, with the random
// generators it drew from back where they were, and walks the new graph down to the boundary.

import CNablaKernels

/// The random generators a checkpoint's body draws from, and where each stood when it first drew.
final class Recomputation: @unchecked Sendable {
  /// The body being recorded or recomputed on this task, if any.
  @TaskLocal static var current: Recomputation?

  private(set) var places: [ObjectIdentifier: (RandomGenerator, [UInt32], Int)] = [:]
  /// The body this one runs in, which draws whatever this one draws.
  private let enclosing: Recomputation?

  init(enclosing: Recomputation?) { self.enclosing = enclosing }

  /// Keeps where `generator` stands (`state`, `position`) the first time it draws in the body
  /// (and in the bodies around it).
  func note(_ generator: RandomGenerator, _ state: [UInt32], _ position: Int) {
    let key = ObjectIdentifier(generator)
    if places[key] == nil { places[key] = (generator, state, position) }
    enclosing?.note(generator, state, position)
  }
}

/// Runs `body` without keeping its intermediate results for backward: they are recomputed when
/// backward reaches it, as PyTorch's `torch.utils.checkpoint.checkpoint` (non-reentrant) and
/// MLX's `checkpoint`. This trades compute (the body runs twice) for memory (only its inputs and
/// its result are kept).
///
/// ```swift
/// let y = checkpointed { block2(block1(x)) }  // block1's activations are not kept
/// loss(y).backward()                           // block1 and block2 run again here
/// ```
///
/// The recomputation gives the same values as the first run, bit for bit: random generators
/// the body draws from (dropout's, the global one) are put back where they stood before it
/// first ran, and then back where they were. Gradients are those of the plain run; only where a
/// tensor reaches the loss both inside and outside the body may the order in which its
/// gradient's parts are added differ. The body must read the same tensors when it runs again
/// (parameters are read, not replaced, between the forward pass and backward).
///
/// - Parameter body: The computation; it runs once now, and once more during backward.
/// - Returns: The body's result, whose backward recomputes the body.
public func checkpointed(_ body: @escaping () -> Tensor) -> Tensor {
  guard GradMode.isEnabled else { return body() }
  let recomputation = Recomputation(enclosing: Recomputation.current)
  let scope = nabla_new_recording_scope()
  let output = recorded(in: scope) { Recomputation.$current.withValue(recomputation) { body() } }
  guard let root = output.node, root.scope == scope else { return output }
  let boundary = Tensor.boundary(of: root, scope: scope)
  let places = recomputation.places
  var result = output.detached()
  result.node = GradNode(
    op: "checkpointed", shape: result.shape, parents: boundary.map { $0 },
    backward: { gradient in
      // Back to where the generators stood before the first run, then forward again after.
      let now = places.values.map { ($0.0, $0.0.place()) }
      for (generator, state, position) in places.values { generator.move(to: (state, position)) }
      defer { for (generator, place) in now { generator.move(to: place) } }
      let depth = nabla_lift_recording_pauses()
      defer { nabla_restore_recording_pauses(depth) }
      let again = recorded(in: nabla_new_recording_scope(), body)
      guard let node = again.node else { return boundary.map { _ in nil } }
      let reached = Tensor.propagate(
        gradient, from: node, retainingGraph: false,
        sinks: Set(boundary.map { ObjectIdentifier($0) }))
      return boundary.map { reached[ObjectIdentifier($0)] }
    })
  return result
}

/// Runs `body` with the nodes it records marked as `scope`'s.
private func recorded<Result>(in scope: Int, _ body: () -> Result) -> Result {
  let previous = nabla_set_recording_scope(scope)
  defer { _ = nabla_set_recording_scope(previous) }
  return body()
}

extension Tensor {
  /// The nodes recorded outside `scope` that the graph below `root` (recorded in it) reads:
  /// leaves and results from before the body, each once, in the order they are found.
  fileprivate static func boundary(of root: GradNode, scope: Int) -> [GradNode] {
    var boundary: [GradNode] = []
    var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack = [root]
    while let node = stack.popLast() {
      for case let parent? in node.parents where seen.insert(ObjectIdentifier(parent)).inserted {
        if parent.scope == scope { stack.append(parent) } else { boundary.append(parent) }
      }
    }
    return boundary
  }
}
