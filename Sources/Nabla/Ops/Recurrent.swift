import CNablaKernels

// The recurrence of an RNN, LSTM or GRU layer over a whole sequence, as one differentiable op.
//
// The caller projects the input of every time step at once (one matmul, x·W_ihᵀ + b_ih); this op
// runs the steps: per step one GEMM for h·W_hhᵀ and one fused kernel for the gate arithmetic
// (templates/recurrent.h). Its backward is back-propagation through time written out by hand: the
// fused backward kernel per step, one GEMM per step for the gradient flowing to the previous
// state, and one GEMM over all steps for the gradient of W_hh. Being one node of the tape, a
// sequence of any length costs the tape a constant number of nodes.
//
// The rows of a batch never meet in a recurrence: h_t of a row depends on that row's x_t and
// h_{t-1} alone, and so, backward, does the gradient of its h_{t-1}. Each pass therefore splits
// the batch into blocks of rows once, a block per thread, and each block runs every step on its
// own (forEachRowBlock), with no waiting between steps: the per-step products, small, then run
// on one thread each instead of being split, and joined, twice per step.

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
  /// Runs a recurrent cell over every time step and returns the outputs and the final state
  /// packed in one tensor: rows `0..<T` are the outputs `[T, N, H]`, row `T` the final hidden
  /// state and, for an LSTM, row `T + 1` the final cell state.
  ///
  /// With `lengths`, batch element `b` only runs its first `lengths[b]` steps: later steps keep
  /// its state unchanged, output zeros and pass no gradient. With `reverse`, the steps run from
  /// the last to the first, each sequence starting at its own last step.
  ///
  /// - Parameters:
  ///   - kind: The cell.
  ///   - projectedInput: x·W_ihᵀ + b_ih for every step, `[T, N, gates·H]` (time first).
  ///   - initialHidden: The state before the first step, `[N, H]`.
  ///   - initialCell: The LSTM's cell state before the first step, `[N, H]`; nil otherwise.
  ///   - hiddenWeight: W_hh, `[gates·H, H]`.
  ///   - hiddenBias: b_hh, `[gates·H]`, or nil for none.
  ///   - lengths: The number of valid steps of each batch element (0...T), or nil for all T.
  ///   - reverse: Whether to run from the last step to the first.
  package static func recurrence(
    _ kind: RecurrenceKind, projectedInput: Tensor, initialHidden: Tensor, initialCell: Tensor?,
    hiddenWeight: Tensor, hiddenBias: Tensor?, lengths: [Int]?, reverse: Bool
  ) -> Tensor {
    let name = kind.name
    let optionalOperands = [initialCell, hiddenBias].compactMap { $0 }
    for operand in [initialHidden, hiddenWeight] + optionalOperands {
      requireMatching(projectedInput, operand, name)
    }
    require(
      hiddenWeight.rank == 2 && hiddenWeight.shape[0] == kind.gateCount * hiddenWeight.shape[1],
      "\(name): hidden weight of shape \(describe(hiddenWeight.shape)) is not "
        + "[\(kind.gateCount) * hidden, hidden]")
    let (gateWidth, hiddenSize) = (hiddenWeight.shape[0], hiddenWeight.shape[1])
    require(
      projectedInput.rank == 3 && projectedInput.shape[2] == gateWidth,
      "\(name): projected input of shape \(describe(projectedInput.shape)) is not "
        + "[steps, batch, \(gateWidth)]")
    let (steps, batch) = (projectedInput.shape[0], projectedInput.shape[1])
    let stateShape = [batch, hiddenSize]
    require(
      initialHidden.shape == stateShape,
      "\(name): initial hidden state of shape \(describe(initialHidden.shape)), expected "
        + "\(describe(stateShape))")
    require(
      (kind == .lstm) == (initialCell != nil),
      "\(name): an initial cell state is needed by an LSTM and only by an LSTM")
    if let initialCell {
      require(
        initialCell.shape == stateShape,
        "\(name): initial cell state of shape \(describe(initialCell.shape)), expected "
          + "\(describe(stateShape))")
    }
    requireRecurrenceExtras(
      name, hiddenBias: hiddenBias, gateWidth: gateWidth, lengths: lengths, batch: batch,
      steps: steps)
    let run = Recurrence(
      kind: kind, steps: steps, batch: batch, hiddenSize: hiddenSize,
      lengths: lengths.map { $0.map(Int64.init) }, reverse: reverse)
    let inputs =
      [projectedInput, initialHidden] + (initialCell.map { [$0] } ?? []) + [hiddenWeight]
      + (hiddenBias.map { [$0] } ?? [])
    let detachedBias = hiddenBias?.detached()
    let (result, saved) =
      projectedInput.dtype == .float32
      ? run.forward(
        StepKernels<Float>.standard, projectedInput, initialHidden, initialCell, hiddenWeight,
        detachedBias)
      : run.forward(
        StepKernels<Double>.standard, projectedInput, initialHidden, initialCell, hiddenWeight,
        detachedBias)
    let weight = hiddenWeight.detached()
    let (needWeight, needBias) = (hiddenWeight.requiresGrad, hiddenBias?.requiresGrad ?? false)
    let hasBias = hiddenBias != nil
    return projectedInput.record(name, result, inputs) { g in
      let grads =
        g.dtype == .float32
        ? run.backward(StepKernels<Float>.standard, g, saved, weight, needWeight, needBias)
        : run.backward(StepKernels<Double>.standard, g, saved, weight, needWeight, needBias)
      return [grads.input, grads.hidden] + (kind == .lstm ? [grads.cell] : []) + [grads.weight]
        + (hasBias ? [grads.bias] : [])
    }
  }
}

/// The fused step kernels and GEMM of one element type.
struct StepKernels<Scalar> {
  typealias In = UnsafePointer<Scalar>?
  typealias Out = UnsafeMutablePointer<Scalar>?
  typealias Lengths = UnsafePointer<Int64>?

  let gemm: (Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, Out, Int) -> Void
  /// Packs op(B) once, for `packedGemm` at every step (free with nabla_packed_matrix_free).
  let packB: (Int32, Int, Int, In, Int) -> OpaquePointer?
  let packedGemm: (Int32, Int, Scalar, In, Int, OpaquePointer?, Scalar, Out, Int) -> Void
  let rnn: (Int, Int, Lengths, Int, Int32, In, In, In, In, Out, Out) -> Void
  let rnnBackward: (Int, Int, Lengths, Int, Int32, In, In, In, Out, Out) -> Void
  let lstm: (Int, Int, Lengths, Int, In, In, In, In, In, Out, Out, Out, Out, Out) -> Void
  let lstmBackward: (Int, Int, Lengths, Int, In, In, In, In, In, Out, Out, Out) -> Void
  let gru: (Int, Int, Lengths, Int, In, In, In, In, Out, Int, Out, Out) -> Void
  let gruBackward: (Int, Int, Lengths, Int, In, Int, In, In, In, Out, Out, Out) -> Void
  let sumRows: (NablaReduceOp, Int, Int, Int, In, Out) -> Void
}

extension StepKernels<Float> {
  static var standard: StepKernels<Float> {
    StepKernels<Float>(
      gemm: nabla_sgemm, packB: nabla_sgemm_pack_b, packedGemm: nabla_sgemm_packed,
      rnn: nabla_rnn_step_f32, rnnBackward: nabla_rnn_step_backward_f32,
      lstm: nabla_lstm_step_f32, lstmBackward: nabla_lstm_step_backward_f32,
      gru: nabla_gru_step_f32, gruBackward: nabla_gru_step_backward_f32,
      sumRows: nabla_reduce_f32)
  }
}

extension StepKernels<Double> {
  static var standard: StepKernels<Double> {
    StepKernels<Double>(
      gemm: nabla_dgemm, packB: nabla_dgemm_pack_b, packedGemm: nabla_dgemm_packed,
      rnn: nabla_rnn_step_f64, rnnBackward: nabla_rnn_step_backward_f64,
      lstm: nabla_lstm_step_f64, lstmBackward: nabla_lstm_step_backward_f64,
      gru: nabla_gru_step_f64, gruBackward: nabla_gru_step_backward_f64,
      sumRows: nabla_reduce_f64)
  }
}

/// What the forward pass keeps for backward.
private struct SavedRecurrence {
  /// The hidden states, `[T + 1, N, H]`: the state entering step t is row t (forward) or row
  /// t + 1 (reverse); the initial state is row 0 (forward) or row T (reverse).
  var states: Tensor
  /// The LSTM's cell states, laid out as `states`.
  var cells: Tensor?
  /// Per step: the LSTM's gate activations `[N, 4H]`, or the GRU's r, z, n and W_hn·h + b_hn
  /// as four `[N, H]` blocks; `T · N · 4H` elements in all.
  var activations: Tensor?
  /// Per step: the LSTM's tanh(c), `[T, N, H]`.
  var tanhCells: Tensor?
}

/// The gradients of a recurrence's inputs.
private struct RecurrenceGradients {
  var input: Tensor
  var hidden: Tensor
  var cell: Tensor?
  var weight: Tensor?
  var bias: Tensor?
}

/// Stops with `name` unless the hidden bias (if any) has `gateWidth` elements and the lengths (if
/// any) are `batch` numbers in 0...steps: the checks every recurrence op shares.
func requireRecurrenceExtras(
  _ name: String, hiddenBias: Tensor?, gateWidth: Int, lengths: [Int]?, batch: Int, steps: Int
) {
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
}

/// The order in which a recurrence runs its steps, and where the states of `SavedRecurrence`'s
/// layout sit: `steps + 1` rows, the initial state first (forward) or last (reverse).
protocol RecurrenceSchedule {
  /// The number of time steps.
  var steps: Int { get }
  /// Whether the steps run from the last time to the first.
  var reverse: Bool { get }
}

extension RecurrenceSchedule {
  /// The time index of the `s`-th step run.
  func time(ofStep s: Int) -> Int { reverse ? steps - 1 - s : s }
  /// The row of the saved states holding the state that enters the step at time `t`.
  func enteringRow(_ t: Int) -> Int { reverse ? t + 1 : t }
  /// The row of the saved states holding the state that leaves the step at time `t`.
  func leavingRow(_ t: Int) -> Int { reverse ? t : t + 1 }
}

/// One run of a recurrence: its sizes, and the forward and backward passes over the steps.
private struct Recurrence: RecurrenceSchedule {
  let kind: RecurrenceKind
  let steps: Int
  let batch: Int
  let hiddenSize: Int
  let lengths: [Int64]?
  let reverse: Bool

  var gateWidth: Int { kind.gateCount * hiddenSize }
  var stateCount: Int { batch * hiddenSize }

  func forward<Scalar: BinaryFloatingPoint>(
    _ k: StepKernels<Scalar>, _ input: Tensor, _ hidden: Tensor, _ cell: Tensor?,
    _ weight: Tensor, _ bias: Tensor?
  ) -> (Tensor, SavedRecurrence) {
    let (n, h, width, count) = (batch, hiddenSize, gateWidth, stateCount)
    let dtype = input.dtype
    let isLSTM = kind == .lstm
    let result = Tensor(empty: [steps + (isLSTM ? 2 : 1), n, h], dtype: dtype)
    let saved = SavedRecurrence(
      states: Tensor(empty: [steps + 1, n, h], dtype: dtype),
      cells: isLSTM ? Tensor(empty: [steps + 1, n, h], dtype: dtype) : nil,
      activations: kind == .lstm || kind == .gru
        ? Tensor(empty: [steps, n, 4 * h], dtype: dtype) : nil,
      tanhCells: isLSTM ? Tensor(empty: [steps, n, h], dtype: dtype) : nil)
    let hiddenProduct = Tensor(empty: [n, width], dtype: dtype)
    let first = reverse ? steps : 0
    let states: UnsafeMutablePointer<Scalar> = pointer(saved.states)
    states.advanced(by: first * count).update(from: pointer(hidden), count: count)
    let cells: UnsafeMutablePointer<Scalar>? = saved.cells.map(pointer)
    if let cells, let cell {
      cells.advanced(by: first * count).update(from: pointer(cell), count: count)
    }
    let activations: UnsafeMutablePointer<Scalar>? = saved.activations.map(pointer)
    let tanhCells: UnsafeMutablePointer<Scalar>? = saved.tanhCells.map(pointer)
    let xg: UnsafeMutablePointer<Scalar> = pointer(input)
    let out: UnsafeMutablePointer<Scalar> = pointer(result)
    let hg: UnsafeMutablePointer<Scalar> = pointer(hiddenProduct)
    let w: UnsafeMutablePointer<Scalar> = pointer(weight)
    let b: UnsafeMutablePointer<Scalar>? = bias.map(pointer)
    // W_hhᵀ is packed for the GEMM once, not at every step.
    let packedWeight = k.packB(1, h, width, w, h)
    defer { nabla_packed_matrix_free(packedWeight) }
    withLengths { lengths in
      // Rows never meet in a recurrence: each block of rows runs every step on its own thread.
      forEachRowBlock(n, productSide: h) { block in
        let m = block.count
        let (hg, lengths) = (block.at(hg, 0, width), block.lengths(lengths))
        for s in 0..<steps {
          let t = time(ofStep: s)
          let (enter, leave) = (enteringRow(t), leavingRow(t))
          let hPrev = UnsafePointer(block.at(states, enter, h))
          k.packedGemm(0, m, 1, hPrev, h, packedWeight, 0, hg, width)
          let x = UnsafePointer(block.at(xg, t, width))
          switch kind {
          case .tanh, .relu:
            k.rnn(
              m, h, lengths, t, kind == .relu ? 1 : 0, x, hg, b, hPrev, block.at(states, leave, h),
              block.at(out, t, h))
          case .lstm:
            k.lstm(
              m, h, lengths, t, x, hg, b, hPrev, block.at(cells!, enter, h),
              block.at(activations!, t, 4 * h), block.at(tanhCells!, t, h),
              block.at(states, leave, h), block.at(cells!, leave, h), block.at(out, t, h))
          case .gru:
            // The GRU's four gate blocks of a step are [N, H] each: the block's rows of each.
            k.gru(
              m, h, lengths, t, x, hg, b, hPrev, block.at(activations!, 4 * t, h), count,
              block.at(states, leave, h), block.at(out, t, h))
          }
        }
      }
    }
    let last = reverse ? 0 : steps
    (out + steps * count).update(from: states + last * count, count: count)
    if let cells { (out + (steps + 1) * count).update(from: cells + last * count, count: count) }
    withExtendedLifetime((input, hidden, cell, weight, bias, hiddenProduct)) {}
    return (result, saved)
  }

  func backward<Scalar: BinaryFloatingPoint>(
    _ k: StepKernels<Scalar>, _ gradient: Tensor, _ saved: SavedRecurrence, _ weight: Tensor,
    _ needWeight: Bool, _ needBias: Bool
  ) -> RecurrenceGradients {
    let (n, h, width, count) = (batch, hiddenSize, gateWidth, stateCount)
    let dtype = gradient.dtype
    let isLSTM = kind == .lstm
    var hiddenGradient = Tensor(empty: [n, h], dtype: dtype)
    var carry = Tensor(empty: [n, h], dtype: dtype)
    let cellGradient = isLSTM ? Tensor(empty: [n, h], dtype: dtype) : nil
    // For the GRU the gradients of x·W_ihᵀ and of h·W_hhᵀ differ; otherwise they are the same.
    let hiddenProductGradient = Tensor(empty: [steps, n, width], dtype: dtype)
    let inputGradient =
      kind == .gru ? Tensor(empty: [steps, n, width], dtype: dtype) : hiddenProductGradient
    let g: UnsafeMutablePointer<Scalar> = pointer(gradient)
    let dh: UnsafeMutablePointer<Scalar> = pointer(hiddenGradient)
    let dCarry: UnsafeMutablePointer<Scalar> = pointer(carry)
    dh.update(from: g + steps * count, count: count)
    let dc: UnsafeMutablePointer<Scalar>? = cellGradient.map(pointer)
    if let dc { dc.update(from: g + (steps + 1) * count, count: count) }
    let dHg: UnsafeMutablePointer<Scalar> = pointer(hiddenProductGradient)
    let dXg: UnsafeMutablePointer<Scalar> = pointer(inputGradient)
    let states: UnsafeMutablePointer<Scalar> = pointer(saved.states)
    let cells: UnsafeMutablePointer<Scalar>? = saved.cells.map(pointer)
    let activations: UnsafeMutablePointer<Scalar>? = saved.activations.map(pointer)
    let tanhCells: UnsafeMutablePointer<Scalar>? = saved.tanhCells.map(pointer)
    let w: UnsafeMutablePointer<Scalar> = pointer(weight)
    let packedWeight = k.packB(0, width, h, w, h)  // W_hh, packed once for every step
    defer { nabla_packed_matrix_free(packedWeight) }
    withLengths { lengths in
      forEachRowBlock(n, productSide: h) { block in
        let m = block.count
        let lengths = block.lengths(lengths)
        var (dh, dCarry) = (block.at(dh, 0, h), block.at(dCarry, 0, h))
        let dc = dc.map { block.at($0, 0, h) }
        for s in (0..<steps).reversed() {
          let t = time(ofStep: s)
          let (enter, leave) = (enteringRow(t), leavingRow(t))
          let dOut = UnsafePointer(block.at(g, t, h))
          let dPre = block.at(dHg, t, width)
          switch kind {
          case .tanh, .relu:
            k.rnnBackward(
              m, h, lengths, t, kind == .relu ? 1 : 0, block.at(states, leave, h), dOut, dh, dPre,
              dCarry)
          case .lstm:
            k.lstmBackward(
              m, h, lengths, t, block.at(activations!, t, 4 * h), block.at(tanhCells!, t, h),
              block.at(cells!, enter, h), dOut, dh, dc, dPre, dCarry)
          case .gru:
            k.gruBackward(
              m, h, lengths, t, block.at(activations!, 4 * t, h), count,
              block.at(states, enter, h), dOut, dh, block.at(dXg, t, width), dPre, dCarry)
          }
          // dh_prev = carry + dHg · W_hh.
          k.packedGemm(0, m, 1, dPre, width, packedWeight, 1, dCarry, h)
          swap(&dh, &dCarry)
        }
      }
    }
    if steps % 2 == 1 { swap(&hiddenGradient, &carry) }
    var gradients = RecurrenceGradients(
      input: inputGradient, hidden: hiddenGradient, cell: cellGradient)
    if needWeight {
      // dW_hh = Σ_t dHg[t]ᵀ · h_entering(t): one GEMM over all steps, the entering states being
      // rows 0..<T (forward) or 1...T (reverse) of `states`.
      let weightGradient = Tensor(empty: [width, h], dtype: dtype)
      let entering = states + (reverse ? count : 0)
      k.gemm(1, 0, width, h, steps * n, 1, dHg, width, entering, h, 0, pointer(weightGradient), h)
      gradients.weight = weightGradient
    }
    if needBias {
      let biasGradient = Tensor(empty: [width], dtype: dtype)
      k.sumRows(NABLA_REDUCE_SUM, 1, steps * n, width, dHg, pointer(biasGradient))
      gradients.bias = biasGradient
    }
    withExtendedLifetime((gradient, saved, weight, hiddenProductGradient, carry)) {}
    return gradients
  }

  /// Calls `body` with the lengths as a C array, or nil when every sequence is full length.
  func withLengths(_ body: (UnsafePointer<Int64>?) -> Void) {
    if let lengths {
      lengths.withUnsafeBufferPointer { body($0.baseAddress) }
    } else {
      body(nil)
    }
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

/// Runs `body` on blocks of a recurrence's batch of `count` rows, one block per thread of the
/// pool, and returns when every block is done; work started inside a block runs on its thread.
///
/// `side` is the smallest of the column counts and depths of the products `body` computes for
/// its rows at each step. Blocks are made only where they cannot change the results: each has
/// at least 16 rows and more than 32 × 32 results in each product, and `side` is at least 16.
/// Such products, as the whole batch's, take GEMM's blocked path, which computes each row of the
/// result alone (smaller ones take paths that round differently, and have too little work to
/// share anyway). Otherwise all rows make one block, run on the calling thread.
func forEachRowBlock(_ count: Int, productSide side: Int, _ body: (RowBlock) -> Void) {
  let minimumRows = side >= 16 ? max(16, 1024 / side + 1) : count + 1
  let blocks = min(Int(nabla_thread_count()), count / minimumRows)
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

/// The elements of `tensor` as `Scalar` (which must match its dtype). The caller keeps the
/// tensor alive while using the pointer.
func pointer<Scalar>(_ tensor: Tensor) -> UnsafeMutablePointer<Scalar> {
  tensor.storage.data.assumingMemoryBound(to: Scalar.self)
}
