import CNablaKernels

// The recurrence of an RNN, LSTM or GRU layer over a whole sequence, as one differentiable op
// with three results: the output of every step, the final hidden state and the LSTM's final
// cell state.
//
// The caller projects the input of every time step at once (one matmul, x·W_ihᵀ + b_ih); this op
// runs the steps: per step one GEMM for h·W_hhᵀ and one fused kernel for the gate arithmetic
// (templates/recurrent.h). An LSTM with projections (PyTorch's `proj_size`, Sak et al. 2014)
// adds one GEMM per step: its hidden state is h_t = (o_t ⊙ tanh(c_t))·W_hrᵀ, of size P < H,
// while the cell state keeps size H. The backward is back-propagation through time written out
// by hand: the fused backward kernel per step, one GEMM per step for the gradient flowing to the
// previous state (two with a projection), and one GEMM over all steps for the gradient of each
// weight. Being one node of the tape, a sequence of any length costs the tape a constant number
// of nodes. The passes are in RecurrencePasses.swift.
/// Which cell a recurrence runs at each time step.
package enum RecurrenceKind: Sendable {
  /// An Elman step, h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
  case tanh
  /// An Elman step with ReLU in place of tanh.
  case relu
  /// A long short-term memory step, gates (i, f, g, o) as PyTorch's `LSTM`.
  case lstm
  /// A gated recurrent unit step, gates (r, z, n) as PyTorch's `GRU`.
  case gru

  /// The number of gate blocks of size `hiddenSize` in the weights.
  package var gateCount: Int {
    switch self {
    case .tanh, .relu: 1
    case .lstm: 4
    case .gru: 3
    }
  }

  /// The op's name in messages and on the tape.
  var name: String {
    switch self {
    case .tanh: "rnnTanh"
    case .relu: "rnnRelu"
    case .lstm: "lstm"
    case .gru: "gru"
    }
  }
}

extension Tensor {
  /// Runs a recurrent cell over every time step.
  ///
  /// With `lengths`, batch element `b` only runs its first `lengths[b]` steps: later steps keep
  /// its state unchanged, output zeros and pass no gradient. With `reverse`, the steps run from
  /// the last to the first, each sequence starting at its own last step.
  ///
  /// - Parameters:
  ///   - kind: The cell.
  ///   - projectedInput: x·W_ihᵀ + b_ih for every step, `[T, N, gates·H]` (time first).
  ///   - initialHidden: The state before the first step, `[N, S]`, where S is P with a projection
  ///     and H otherwise.
  ///   - initialCell: The LSTM's cell state before the first step, `[N, H]`; nil otherwise.
  ///   - hiddenWeight: W_hh, `[gates·H, S]`.
  ///   - hiddenBias: b_hh, `[gates·H]`, or nil for none.
  ///   - projectionWeight: An LSTM's W_hr, `[P, H]`, or nil for no projection.
  ///   - lengths: The number of valid steps of each batch element (0...T), or nil for all T.
  ///   - reverse: Whether to run from the last step to the first.
  /// - Returns: The hidden state after every step, `[T, N, S]` (zeros past a sequence's end),
  ///   the final hidden state `[N, S]`, and the LSTM's final cell state `[N, H]` (nil for the
  ///   other cells).
  package static func recurrence(
    _ kind: RecurrenceKind, projectedInput: Tensor, initialHidden: Tensor, initialCell: Tensor?,
    hiddenWeight: Tensor, hiddenBias: Tensor?, projectionWeight: Tensor? = nil, lengths: [Int]?,
    reverse: Bool
  ) -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
    let run = Recurrence(
      kind, projectedInput: projectedInput, initialHidden: initialHidden,
      initialCell: initialCell, hiddenWeight: hiddenWeight, hiddenBias: hiddenBias,
      projectionWeight: projectionWeight, lengths: lengths, reverse: reverse)
    let operands = RecurrenceOperands(
      input: projectedInput.detached(), hidden: initialHidden.detached(),
      cell: initialCell?.detached(), weight: hiddenWeight.detached(),
      bias: hiddenBias?.detached(), projection: projectionWeight?.detached())
    func forward<Scalar: KernelScalar>(_: Scalar.Type) -> (RecurrenceResults, SavedRecurrence) {
      run.forward(Scalar.kernels, operands)
    }
    let (results, saved) =
      projectedInput.dtype.isSingle ? forward(Float.self) : forward(Double.self)
    let optionals: [Tensor?] = [initialCell, hiddenBias, projectionWeight]
    let inputs = [projectedInput, initialHidden, hiddenWeight] + optionals.compactMap { $0 }
    let needs = RecurrenceNeeds(
      weight: hiddenWeight.requiresGrad, bias: hiddenBias?.requiresGrad ?? false,
      projection: projectionWeight?.requiresGrad ?? false)
    let recorded = record(
      kind.name, results: [results.output, results.hidden] + (results.cell.map { [$0] } ?? []),
      inputs
    ) { gradients in
      func backward<Scalar: KernelScalar>(_: Scalar.Type) -> RecurrenceGradients {
        run.backward(Scalar.kernels, gradients, saved, operands, needs)
      }
      let grads = operands.input.dtype.isSingle ? backward(Float.self) : backward(Double.self)
      let present = zip([grads.cell, grads.bias, grads.projection], optionals).filter {
        $0.1 != nil
      }
      return [grads.input, grads.hidden, grads.weight] + present.map(\.0)
    }
    return (recorded[0], recorded[1], results.cell == nil ? nil : recorded[2])
  }
}

extension Recurrence {
  /// The run of `kind` over these operands, after checking their shapes (see
  /// `Tensor.recurrence`).
  init(
    _ kind: RecurrenceKind, projectedInput: Tensor, initialHidden: Tensor, initialCell: Tensor?,
    hiddenWeight: Tensor, hiddenBias: Tensor?, projectionWeight: Tensor?, lengths: [Int]?,
    reverse: Bool
  ) {
    let name = kind.name
    let optionals = [initialCell, hiddenBias, projectionWeight].compactMap { $0 }
    for operand in [initialHidden, hiddenWeight] + optionals {
      Tensor.requireMatching(projectedInput, operand, name)
    }
    var (hiddenSize, stateSize) = (hiddenWeight.shape.last ?? 0, hiddenWeight.shape.last ?? 0)
    if let projectionWeight {
      require(
        kind == .lstm && projectionWeight.rank == 2,
        "\(name): a projection weight of shape \(describe(projectionWeight.shape)) needs an "
          + "LSTM and the shape [projection, hidden]")
      (stateSize, hiddenSize) = (projectionWeight.shape[0], projectionWeight.shape[1])
    }
    let gateWidth = kind.gateCount * hiddenSize
    require(
      hiddenWeight.shape == [gateWidth, stateSize],
      "\(name): hidden weight of shape \(describe(hiddenWeight.shape)) is not "
        + "[\(kind.gateCount) * hidden, \(projectionWeight == nil ? "hidden" : "projection")]"
        + (projectionWeight.map { " for projection weight of shape \(describe($0.shape))" } ?? ""))
    require(
      projectedInput.rank == 3 && projectedInput.shape[2] == gateWidth,
      "\(name): projected input of shape \(describe(projectedInput.shape)) is not "
        + "[steps, batch, \(gateWidth)]")
    let (steps, batch) = (projectedInput.shape[0], projectedInput.shape[1])
    require(
      initialHidden.shape == [batch, stateSize],
      "\(name): initial hidden state of shape \(describe(initialHidden.shape)), expected "
        + "\(describe([batch, stateSize]))")
    require(
      (kind == .lstm) == (initialCell != nil),
      "\(name): an initial cell state is needed by an LSTM and only by an LSTM")
    if let initialCell {
      require(
        initialCell.shape == [batch, hiddenSize],
        "\(name): initial cell state of shape \(describe(initialCell.shape)), expected "
          + "\(describe([batch, hiddenSize]))")
    }
    if let hiddenBias {
      require(
        hiddenBias.shape == [gateWidth],
        "\(name): hidden bias of shape \(describe(hiddenBias.shape)), expected [\(gateWidth)]")
    }
    if let lengths {
      require(
        lengths.count == batch && lengths.allSatisfy { $0 >= 0 && $0 <= steps },
        "\(name): lengths \(lengths) must be \(batch) numbers in 0...\(steps)")
    }
    self.init(
      kind: kind, steps: steps, batch: batch, hiddenSize: hiddenSize, stateSize: stateSize,
      isProjected: projectionWeight != nil, lengths: lengths.map { $0.map(Int64.init) },
      reverse: reverse)
  }
}

/// Some consecutive rows of a recurrence's batch, and where they sit in its arrays.
struct RowBlock {
  /// The block's first row in the batch.
  let first: Int
  /// The number of rows.
  let count: Int
  /// The number of rows of the whole batch.
  let batch: Int

  /// The block's first row in step `r` of an array `[_, batch, width]` (r = 0 for `[batch,
  /// width]`).
  func at<Scalar>(_ base: UnsafeMutablePointer<Scalar>, _ r: Int, _ width: Int)
    -> UnsafeMutablePointer<Scalar>
  { base + (r * batch + first) * width }

  /// The block's rows' lengths in the batch's, or nil for none.
  func lengths(_ lengths: UnsafePointer<Int64>?) -> UnsafePointer<Int64>? {
    lengths.map { $0 + first }
  }
}

/// Runs `body` on blocks of a batch of `count` rows, one block per thread of the pool, and
/// returns when every block is done; work started inside a block runs on its thread.
///
/// `products` are the (columns, depth) of the GEMMs `body` computes for its rows. Blocks are
/// made only where they cannot change the results: where the GEMM says (`rowsIndependent` of
/// m, n, k) that it computes each row of every product alone for the smallest block. Otherwise
/// all rows make one block, run on the calling thread.
func forEachRowBlock(
  _ count: Int, products: [(columns: Int, depth: Int)],
  rowsIndependent: (Int, Int, Int) -> Int32, _ body: (RowBlock) -> Void
) {
  var blocks = min(Int(nabla_thread_count()), count)
  while blocks > 1
    && !products.allSatisfy({ rowsIndependent(count / blocks, $0.columns, $0.depth) != 0 })
  {
    blocks -= 1
  }
  guard blocks > 1 else { return body(RowBlock(first: 0, count: count, batch: count)) }
  withoutActuallyEscaping(body) { body in
    var job = RowBlocks(count: count, blocks: blocks, body: body)
    withUnsafeMutablePointer(to: &job) { job in
      nabla_parallel_for(
        blocks,
        { context, index in
          let job = context!.assumingMemoryBound(to: RowBlocks.self).pointee
          let (first, end) = (job.count * index / job.blocks, job.count * (index + 1) / job.blocks)
          job.body(RowBlock(first: first, count: end - first, batch: job.count))
        }, job)
    }
  }
}

/// What the tasks of `forEachRowBlock` share.
private struct RowBlocks {
  let count: Int
  let blocks: Int
  let body: (RowBlock) -> Void
}
