import CNablaKernels

/// One recorded operation, or a leaf the user asked gradients for.
///
/// An op's result holds the nodes of its inputs (`parents`) and a closure that maps the gradient
/// of the result to the gradients of the inputs. Leaves collect their gradient in `grad`.
///
/// An op with several results has a node of its own, which no tensor holds: its parents are the
/// inputs and its `jointBackward` maps the gradients of all results at once. Each result holds
/// a node whose only parent is the op's, and `resultIndex` says which result it is.
final class GradNode {
  let op: String
  let isLeaf: Bool
  let shape: [Int]
  var parents: [GradNode?]
  var backward: ((Tensor) -> [Tensor?])?
  /// The backward of an op with several results: one gradient per result, nil for a result
  /// that no gradient reached.
  var jointBackward: (([Tensor?]) -> [Tensor?])?
  /// The number of results of an op with several (0 for every other node).
  let resultCount: Int
  /// Which result of its parent's op this node is, when that op has several results.
  let resultIndex: Int?
  var grad: Tensor?
  /// Where the op was recorded, kept only under `detectingAnomalies`.
  var origin: RecordedOrigin?
  /// Hooks on the gradient arriving here, and on a leaf's accumulated gradient (GradientHooks).
  var hooks = NodeHooks()
  /// The `checkpointed` body this node was recorded in (0 outside any).
  let scope = nabla_recording_scope()

  init(op: String, shape: [Int], parents: [GradNode?], backward: ((Tensor) -> [Tensor?])?) {
    self.op = op
    self.isLeaf = backward == nil
    self.shape = shape
    self.parents = parents
    self.backward = backward
    (resultCount, resultIndex) = (0, nil)
  }

  /// The node of an op with `resultCount` results.
  init(
    op: String, parents: [GradNode?], resultCount: Int, backward: @escaping ([Tensor?]) -> [Tensor?]
  ) {
    (self.op, isLeaf, shape, self.parents) = (op, false, [], parents)
    (jointBackward, self.resultCount, resultIndex) = (backward, resultCount, nil)
  }

  /// The node of result `index` of the op whose node is `op`.
  init(result index: Int, of op: GradNode, shape: [Int]) {
    (self.op, isLeaf, self.shape, parents) = (op.op, false, shape, [op])
    (resultCount, resultIndex) = (0, index)
  }

  /// Drops the links to the inputs so their memory can go.
  func release() {
    parents = []
    backward = nil
    jointBackward = nil
  }

  deinit {
    // Tear a long chain down with a loop: letting each node free its parents from its own
    // deinit would recurse once per node and overflow the stack on deep graphs.
    var pending = parents.compactMap { $0 }
    parents = []
    backward = nil
    while var next = pending.popLast() {
      if isKnownUniquelyReferenced(&next) {
        pending.append(contentsOf: next.parents.compactMap { $0 })
        next.parents = []
        next.backward = nil
      }
    }
  }
}

/// Whether operations are being recorded for autograd on the current thread.
enum GradMode {
  static var isEnabled: Bool { nabla_recording_paused() == 0 }
}

/// Runs `body` without recording operations for autograd on this thread, as PyTorch's
/// `torch.no_grad()`.
///
/// Results computed inside do not require gradients. Use it for evaluation and for updating
/// parameters by hand.
///
/// ```swift
/// let prediction = withoutGradients { model(x) }
/// ```
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
  nabla_pause_recording()
  defer { nabla_resume_recording() }
  return try body()
}

/// Whether operations are recorded for autograd on this thread (false inside
/// `withoutGradients`).
public var isRecordingGradients: Bool { GradMode.isEnabled }

extension Tensor {
  /// Attaches a backward rule to an op's `result` when recording is on and an input requires
  /// gradients; otherwise returns `result` as it is.
  ///
  /// `backward` receives the gradient of the result and returns one gradient per input, in the
  /// order of `inputs` (nil where an input needs none). It runs with recording off.
  func record(
    _ op: String, _ result: Tensor, _ inputs: [Tensor],
    backward: @escaping (Tensor) -> [Tensor?]
  ) -> Tensor {
    let origin =
      nabla_anomaly_depth() > 0 ? AnomalyDetection.checkForward(op, result, inputs) : nil
    guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return result }
    var output = result
    output.node = GradNode(
      op: op, shape: result.shape, parents: inputs.map(\.node), backward: backward)
    output.node?.origin = origin
    return output
  }

  /// Attaches one backward rule to the several `results` of an op when recording is on and an
  /// input requires gradients; otherwise returns `results` as they are.
  ///
  /// `backward` receives one gradient per result, in the order of `results` (nil for a result
  /// that no gradient reached), and returns one gradient per input, in the order of `inputs`
  /// (nil where an input needs none). It runs once per backward pass, with recording off.
  static func record(
    _ op: String, results: [Tensor], _ inputs: [Tensor],
    backward: @escaping ([Tensor?]) -> [Tensor?]
  ) -> [Tensor] {
    let origins =
      nabla_anomaly_depth() > 0
      ? results.map { AnomalyDetection.checkForward(op, $0, inputs) } : []
    guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return results }
    let node = GradNode(
      op: op, parents: inputs.map(\.node), resultCount: results.count, backward: backward)
    node.origin = origins.first
    return results.enumerated().map { index, result in
      var output = result
      output.node = GradNode(result: index, of: node, shape: result.shape)
      return output
    }
  }

  /// Whether autograd tracks this tensor: it is a leaf asked for gradients, or the result of an
  /// op on such tensors.
  ///
  /// Setting it to true on a floating-point tensor makes it a leaf whose `grad` is filled by
  /// `backward()`; setting it to false detaches the tensor.
  public var requiresGrad: Bool {
    get { node != nil }
    set {
      if !newValue {
        node = nil
      } else if node == nil {
        require(
          dtype.supportsArithmetic,
          "requiresGrad: only float32 and float64 tensors can require gradients, not \(dtype)")
        node = GradNode(op: "leaf", shape: shape, parents: [], backward: nil)
      }
    }
  }

  /// Returns the tensor as a leaf that requires gradients.
  ///
  /// ```swift
  /// let w = Tensor.randomNormal([3, 3]).requiringGrad()
  /// ```
  public func requiringGrad() -> Tensor {
    var result = detached()
    result.requiresGrad = true
    return result
  }

  /// Whether the tensor is a leaf of the graph: not the result of a recorded op.
  public var isLeaf: Bool { node?.isLeaf ?? true }

  /// The gradient accumulated by `backward()` for a leaf that requires gradients, or nil.
  ///
  /// Gradients add up over backward calls until reset with `zeroGradient()` or by assigning nil.
  public var grad: Tensor? {
    get { node?.grad }
    nonmutating set {
      if let newValue, let node {
        require(
          newValue.shape == shape && newValue.dtype == dtype,
          "grad: a gradient of shape \(describe(newValue.shape)) (\(newValue.dtype)) does not "
            + "fit a \(dtype) tensor of shape \(describe(shape))")
        node.grad = newValue.detached()
      } else {
        node?.grad = nil
      }
    }
  }

  /// Clears the accumulated gradient.
  public func zeroGradient() { node?.grad = nil }

  /// The same values, cut off from the graph: the result does not require gradients and no
  /// gradient flows back through it. Shares memory with the original.
  public func detached() -> Tensor { Tensor(storage: storage, shape: shape) }

  /// Computes the gradient of this one-element tensor (usually a loss) with respect to every
  /// leaf that requires gradients, adding it into their `grad`.
  ///
  /// - Parameter retainingGraph: Keep the graph so that backward can run through it again;
  ///   by default the graph is freed as backward walks it.
  public func backward(retainingGraph: Bool = false) {
    require(
      scalarCount == 1,
      "backward: the tensor has shape \(describe(shape)); backward() without a gradient needs "
        + "a one-element tensor (pass backward(gradient:) for other shapes)")
    backward(gradient: Tensor.ones(shape, dtype: dtype), retainingGraph: retainingGraph)
  }

  /// Back-propagates `gradient`, the gradient of some scalar with respect to this tensor, to
  /// every leaf that requires gradients.
  ///
  /// - Parameters:
  ///   - gradient: A tensor of the same shape and dtype as this one.
  ///   - retainingGraph: Keep the graph so that backward can run through it again.
  public func backward(gradient: Tensor, retainingGraph: Bool = false) {
    guard let root = node else {
      stop(
        "backward: this tensor does not require gradients (no input of the ops that made it "
          + "requires them, or it was made inside withoutGradients)")
    }
    require(
      gradient.shape == shape && gradient.dtype == dtype,
      "backward: the gradient has shape \(describe(gradient.shape)) (\(gradient.dtype)) but the "
        + "tensor has shape \(describe(shape)) (\(dtype))")
    Tensor.propagate(gradient, from: root, retainingGraph: retainingGraph)
  }

  /// Walks the graph below `root` in reverse topological order, running each node's backward
  /// rule on the gradient that reached it, and adds the gradients that reach leaves into their
  /// `grad` (unless `accumulatingLeaves` is false). The gradients that reach the nodes in
  /// `sinks` are returned and not walked further (a checkpoint's recomputed body ends at the
  /// nodes it was given); those that reach `captures` are returned and walked on
  /// (`gradients(of:withRespectTo:)`).
  @discardableResult
  static func propagate(
    _ gradient: Tensor, from root: GradNode, retainingGraph: Bool,
    sinks: Set<ObjectIdentifier> = [], captures: Set<ObjectIdentifier> = [],
    accumulatingLeaves: Bool = true
  ) -> [ObjectIdentifier: Tensor] {
    var collected: [ObjectIdentifier: Tensor] = [:]
    let order = Tensor.topologicalOrder(from: root, stoppingAt: sinks)
    let isChecking = isDetectingAnomalies
    var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): gradient.detached()]
    // The gradients of the results of ops with several, gathered until the op's node is reached.
    var resultGradients: [ObjectIdentifier: [Tensor?]] = [:]
    /// Runs a node's backward rule, checking its gradients under anomaly detection.
    func run(_ current: GradNode, _ rule: () -> [Tensor?]) -> [Tensor?] {
      guard isChecking || current.origin != nil else { return rule() }
      let inputGradients = AnomalyDetection.suspended(rule)
      AnomalyDetection.checkBackward(current, inputGradients)
      return inputGradients
    }
    /// Adds the gradients a node's rule computed to those pending for its parents.
    func propagate(_ current: GradNode, _ inputGradients: [Tensor?]) {
      for (parent, parentGradient) in zip(current.parents, inputGradients) {
        guard let parent, let parentGradient else { continue }
        require(
          parentGradient.shape == parent.shape,
          "backward: '\(current.op)' produced a gradient of shape "
            + "\(describe(parentGradient.shape)) for an input of shape \(describe(parent.shape))")
        let key = ObjectIdentifier(parent)
        pending[key] = pending[key].map { $0 + parentGradient } ?? parentGradient
      }
      if !retainingGraph { current.release() }
    }
    BackwardCallbacks.run {
      for current in order.reversed() {
        if current.resultCount > 0 {  // an op with several results, whose gradients are all in
          guard let incoming = resultGradients.removeValue(forKey: ObjectIdentifier(current))
          else { continue }
          guard let rule = current.jointBackward else { Tensor.stopFreed(current) }
          propagate(current, run(current) { rule(incoming) })
          continue
        }
        guard var incoming = pending.removeValue(forKey: ObjectIdentifier(current)) else {
          continue
        }
        if sinks.contains(ObjectIdentifier(current)) {
          collected[ObjectIdentifier(current)] = incoming
          continue
        }
        incoming = current.hooks.transform(incoming, shape: current.shape)
        if captures.contains(ObjectIdentifier(current)) {
          collected[ObjectIdentifier(current)] = incoming
        }
        if current.isLeaf {
          guard accumulatingLeaves else { continue }
          current.grad = current.grad.map { $0 + incoming } ?? incoming
          current.hooks.accumulated(current.grad!)
          continue
        }
        if let index = current.resultIndex {  // one result of several: its op's node runs later
          guard let op = current.parents.first ?? nil else { Tensor.stopFreed(current) }
          resultGradients[
            ObjectIdentifier(op), default: Array(repeating: nil, count: op.resultCount)][index] =
            incoming
          if !retainingGraph { current.release() }
          continue
        }
        guard let rule = current.backward else { Tensor.stopFreed(current) }
        propagate(current, run(current) { rule(incoming) })
      }
    }
    return collected
  }

  /// The gradients of `output` with respect to `inputs`, as `torch.autograd.grad`: nothing is
  /// accumulated into any `grad`. An input that is an intermediate result gets the gradient
  /// that reaches it, and the inputs it was computed from get theirs through it too.
  ///
  /// ```swift
  /// let x = Tensor([1, 2, 3], dtype: .float64).requiringGrad()
  /// let y = (x * x).sum()
  /// Tensor.gradients(of: y, withRespectTo: [x])[0]  // [2, 4, 6]; x.grad stays nil
  /// ```
  ///
  /// - Parameters:
  ///   - output: The tensor to differentiate: one element, or any shape with `upstream`.
  ///   - inputs: Tensors that require gradients and that `output` was computed from (leaves or
  ///     intermediate results).
  ///   - upstream: The gradient of some scalar with respect to `output` (PyTorch's
  ///     `grad_outputs`); ones for a one-element output by default.
  ///   - retainingGraph: Keep the graph so that backward can run through it again.
  ///   - allowUnused: Whether an input that `output` does not depend on gets nil; by default it
  ///     stops the program, naming the input.
  /// - Returns: One gradient per input, of its shape.
  public static func gradients(
    of output: Tensor, withRespectTo inputs: [Tensor], upstream: Tensor? = nil,
    retainingGraph: Bool = false, allowUnused: Bool = false
  ) -> [Tensor?] {
    guard let root = output.node else {
      stop(
        "gradients: the output does not require gradients (no input of the ops that made it "
          + "requires them, or it was made inside withoutGradients)")
    }
    let nodes = inputs.enumerated().map { index, input -> GradNode in
      guard let node = input.node else {
        stop(
          "gradients: input \(index) (shape \(describe(input.shape))) does not require gradients")
      }
      return node
    }
    require(
      upstream != nil || output.scalarCount == 1,
      "gradients: the output has shape \(describe(output.shape)); pass upstream: for an output "
        + "of more than one element")
    let gradient = upstream ?? Tensor.ones(output.shape, dtype: output.dtype)
    require(
      gradient.shape == output.shape && gradient.dtype == output.dtype,
      "gradients: upstream has shape \(describe(gradient.shape)) (\(gradient.dtype)) but the "
        + "output has shape \(describe(output.shape)) (\(output.dtype))")
    let reached = propagate(
      gradient.detached(), from: root, retainingGraph: retainingGraph,
      captures: Set(nodes.map { ObjectIdentifier($0) }), accumulatingLeaves: false)
    return nodes.enumerated().map { index, node in
      if let found = reached[ObjectIdentifier(node)] { return found }
      require(
        allowUnused,
        "gradients: input \(index) (shape \(describe(inputs[index].shape))) was not used to "
          + "compute the output; pass allowUnused: true to get nil for it")
      return nil
    }
  }

  /// Stops the program: backward reached a node that an earlier backward freed.
  private static func stopFreed(_ node: GradNode) -> Never {
    stop(
      "backward: the graph through '\(node.op)' was already freed by an earlier backward(); "
        + "pass retainingGraph: true to the first call to go through it twice")
  }

  /// The nodes reachable from `root`, each after all of its inputs (depth first, no recursion);
  /// the inputs of the nodes in `sinks` are not visited.
  private static func topologicalOrder(
    from root: GradNode, stoppingAt sinks: Set<ObjectIdentifier>
  ) -> [GradNode] {
    var order: [GradNode] = []
    var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack: [(node: GradNode, nextParent: Int)] = [(root, 0)]
    while let (current, nextParent) = stack.last {
      if nextParent < current.parents.count && !sinks.contains(ObjectIdentifier(current)) {
        stack[stack.count - 1].nextParent += 1
        if let parent = current.parents[nextParent],
          visited.insert(ObjectIdentifier(parent)).inserted
        {
          stack.append((parent, 0))
        }
      } else {
        stack.removeLast()
        order.append(current)
      }
    }
    return order
  }
}
