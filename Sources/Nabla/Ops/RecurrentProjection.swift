import CNablaKernels

// The recurrence of an LSTM layer with projections (PyTorch's `proj_size`, Sak et al. 2014), as
// one differentiable op beside the plain recurrence of Recurrent.swift.
//
// Each step runs the LSTM's fused gate kernel as the plain recurrence does, on h_{t−1}·W_hhᵀ
// with W_hh `[4H, P]`, and then one more GEMM: the hidden state is the projection
// h_t = (o_t ⊙ tanh(c_t))·W_hrᵀ, of size P < H, while the cell state keeps size H. The backward
// is back-propagation through time written out by hand over the same fused backward kernel, with
// one GEMM per step through W_hr and one GEMM over all steps for each of dW_hh and dW_hr. Its
// passes split the batch into blocks of rows, one per thread, as the plain recurrence does.
//
// Variable lengths are handled around the projection: the fused kernels keep the cell state of
// a padded row and give it no gradient, and this op copies the projected hidden state of such a
// row through the step and writes zeros to its output.

extension Tensor {
  /// Runs an LSTM with a projected hidden state over every time step.
  ///
  /// With `lengths`, batch element `b` only runs its first `lengths[b]` steps: later steps keep
  /// its states unchanged, output zeros and pass no gradient. With `reverse`, the steps run from
  /// the last to the first, each sequence starting at its own last step.
  ///
  /// - Parameters:
  ///   - projectedInput: x·W_ihᵀ + b_ih for every step, `[T, N, 4H]` (time first).
  ///   - initialHidden: The projected hidden state before the first step, `[N, P]`.
  ///   - initialCell: The cell state before the first step, `[N, H]`.
  ///   - hiddenWeight: W_hh, `[4H, P]`.
  ///   - hiddenBias: b_hh, `[4H]`, or nil for none.
  ///   - projectionWeight: W_hr, `[P, H]`.
  ///   - lengths: The number of valid steps of each batch element (0...T), or nil for all T.
  ///   - reverse: Whether to run from the last step to the first.
  /// - Returns: The hidden state after every step, `[T, N, P]` (zeros past a sequence's end),
  ///   and the final hidden (`[N, P]`) and cell (`[N, H]`) states.
  package static func projectedLSTMRecurrence(
    projectedInput: Tensor, initialHidden: Tensor, initialCell: Tensor, hiddenWeight: Tensor,
    hiddenBias: Tensor?, projectionWeight: Tensor, lengths: [Int]?, reverse: Bool
  ) -> (output: Tensor, hidden: Tensor, cell: Tensor) {
    let name = "projectedLSTM"
    let operands = [initialHidden, initialCell, hiddenWeight, projectionWeight]
    for operand in operands + (hiddenBias.map { [$0] } ?? []) {
      requireMatching(projectedInput, operand, name)
    }
    require(
      projectionWeight.rank == 2,
      "\(name): projection weight of shape \(describe(projectionWeight.shape)) is not "
        + "[projection, hidden]")
    let (projectionSize, hiddenSize) = (projectionWeight.shape[0], projectionWeight.shape[1])
    let gateWidth = 4 * hiddenSize
    require(
      hiddenWeight.shape == [gateWidth, projectionSize],
      "\(name): hidden weight of shape \(describe(hiddenWeight.shape)), expected "
        + "\(describe([gateWidth, projectionSize])) for projection weight of shape "
        + "\(describe(projectionWeight.shape))")
    require(
      projectedInput.rank == 3 && projectedInput.shape[2] == gateWidth,
      "\(name): projected input of shape \(describe(projectedInput.shape)) is not "
        + "[steps, batch, \(gateWidth)]")
    let (steps, batch) = (projectedInput.shape[0], projectedInput.shape[1])
    require(
      initialHidden.shape == [batch, projectionSize],
      "\(name): initial hidden state of shape \(describe(initialHidden.shape)), expected "
        + "\(describe([batch, projectionSize]))")
    require(
      initialCell.shape == [batch, hiddenSize],
      "\(name): initial cell state of shape \(describe(initialCell.shape)), expected "
        + "\(describe([batch, hiddenSize]))")
    requireRecurrenceExtras(
      name, hiddenBias: hiddenBias, gateWidth: gateWidth, lengths: lengths, batch: batch,
      steps: steps)
    let run = ProjectedRecurrence(
      steps: steps, batch: batch, hiddenSize: hiddenSize, projectionSize: projectionSize,
      lengths: lengths, reverse: reverse)
    let inputs =
      [projectedInput, initialHidden, initialCell, hiddenWeight, projectionWeight]
      + (hiddenBias.map { [$0] } ?? [])
    let weights = (hidden: hiddenWeight.detached(), projection: projectionWeight.detached())
    let detachedBias = hiddenBias?.detached()
    let (result, saved) =
      projectedInput.dtype == .float32
      ? run.forward(
        StepKernels<Float>.standard, projectedInput, initialHidden, initialCell, weights.hidden,
        detachedBias, weights.projection)
      : run.forward(
        StepKernels<Double>.standard, projectedInput, initialHidden, initialCell, weights.hidden,
        detachedBias, weights.projection)
    let needs = (
      hidden: hiddenWeight.requiresGrad, bias: hiddenBias?.requiresGrad ?? false,
      projection: projectionWeight.requiresGrad
    )
    let hasBias = hiddenBias != nil
    let packed = projectedInput.record(name, result, inputs) { g in
      let grads =
        g.dtype == .float32
        ? run.backward(StepKernels<Float>.standard, g, saved, weights, needs)
        : run.backward(StepKernels<Double>.standard, g, saved, weights, needs)
      return [grads.input, grads.hidden, grads.cell, grads.weight, grads.projection]
        + (hasBias ? [grads.bias] : [])
    }
    // The packed result is one flat tensor: outputs, then final hidden, then final cell.
    let (outputCount, hiddenCount) = (steps * batch * projectionSize, batch * projectionSize)
    return (
      packed.narrowed(alongAxis: 0, start: 0, length: outputCount).reshaped(
        [steps, batch, projectionSize]),
      packed.narrowed(alongAxis: 0, start: outputCount, length: hiddenCount).reshaped(
        [batch, projectionSize]),
      packed.narrowed(alongAxis: 0, start: outputCount + hiddenCount, length: batch * hiddenSize)
        .reshaped([batch, hiddenSize])
    )
  }
}

/// What the forward pass of a projected LSTM keeps for backward.
private struct SavedProjectedRecurrence {
  /// The projected hidden states, `[T + 1, N, P]`: the state entering step t is row t (forward)
  /// or row t + 1 (reverse).
  var states: Tensor
  /// The cell states, `[T + 1, N, H]`, laid out as `states`.
  var cells: Tensor
  /// Per step, the gate activations as the fused LSTM kernel leaves them, `[T, N, 4H]`.
  var activations: Tensor
  /// Per step, tanh(c), `[T, N, H]`.
  var tanhCells: Tensor
  /// Per step, the hidden state before projection, o ⊙ tanh(c), `[T, N, H]`; zero in padded
  /// rows.
  var unprojected: Tensor
}

/// The gradients of a projected LSTM's inputs.
private struct ProjectedRecurrenceGradients {
  var input: Tensor
  var hidden: Tensor
  var cell: Tensor
  var weight: Tensor?
  var projection: Tensor?
  var bias: Tensor?
}

/// One run of a projected LSTM: its sizes, and the forward and backward passes over the steps.
private struct ProjectedRecurrence: RecurrenceSchedule {
  let steps: Int
  let batch: Int
  let hiddenSize: Int
  let projectionSize: Int
  let lengths: [Int]?
  let reverse: Bool

  /// Whether batch element `b` runs the step at time `t`.
  func isActive(_ b: Int, at t: Int) -> Bool { lengths.map { t < $0[b] } ?? true }

  func forward<Scalar: BinaryFloatingPoint>(
    _ k: StepKernels<Scalar>, _ input: Tensor, _ hidden: Tensor, _ cell: Tensor,
    _ weight: Tensor, _ bias: Tensor?, _ projection: Tensor
  ) -> (Tensor, SavedProjectedRecurrence) {
    let (n, h, p) = (batch, hiddenSize, projectionSize)
    let (width, cellCount, stateCount) = (4 * h, n * h, n * p)
    let dtype = input.dtype
    let result = Tensor(empty: [steps * stateCount + stateCount + cellCount], dtype: dtype)
    let saved = SavedProjectedRecurrence(
      states: Tensor(empty: [steps + 1, n, p], dtype: dtype),
      cells: Tensor(empty: [steps + 1, n, h], dtype: dtype),
      activations: Tensor(empty: [steps, n, width], dtype: dtype),
      tanhCells: Tensor(empty: [steps, n, h], dtype: dtype),
      // Zeroed: padded rows are never written, and backward multiplies them by zero.
      unprojected: Tensor(empty: [steps, n, h], dtype: dtype, zeroed: true))
    let hiddenProduct = Tensor(empty: [n, width], dtype: dtype)
    // What the fused kernel copies into a padded row's unprojected state: zero, as that state
    // is not carried from step to step (the projected one is).
    let zeros = Tensor(empty: [n, h], dtype: dtype, zeroed: true)
    let first = reverse ? steps : 0
    let states: UnsafeMutablePointer<Scalar> = pointer(saved.states)
    let cells: UnsafeMutablePointer<Scalar> = pointer(saved.cells)
    states.advanced(by: first * stateCount).update(from: pointer(hidden), count: stateCount)
    cells.advanced(by: first * cellCount).update(from: pointer(cell), count: cellCount)
    let activations: UnsafeMutablePointer<Scalar> = pointer(saved.activations)
    let tanhCells: UnsafeMutablePointer<Scalar> = pointer(saved.tanhCells)
    let unprojected: UnsafeMutablePointer<Scalar> = pointer(saved.unprojected)
    let xg: UnsafeMutablePointer<Scalar> = pointer(input)
    let out: UnsafeMutablePointer<Scalar> = pointer(result)
    let hg: UnsafeMutablePointer<Scalar> = pointer(hiddenProduct)
    let w: UnsafeMutablePointer<Scalar> = pointer(weight)
    let wr: UnsafeMutablePointer<Scalar> = pointer(projection)
    let b: UnsafeMutablePointer<Scalar>? = bias.map(pointer)
    let zero: UnsafeMutablePointer<Scalar> = pointer(zeros)
    withLengths { lengths in
      // Rows never meet: each block of rows runs every step on its own thread.
      forEachRowBlock(n, productSide: p) { block in
        let m = block.count
        let (hg, zero, lengths) = (
          block.at(hg, 0, width), block.at(zero, 0, h), block.lengths(lengths)
        )
        for s in 0..<steps {
          let t = time(ofStep: s)
          let (enter, leave) = (enteringRow(t), leavingRow(t))
          let hPrev = UnsafePointer(block.at(states, enter, p))
          k.gemm(0, 1, m, width, p, 1, hPrev, p, w, p, 0, hg, width)
          // The kernel's hidden state is the unprojected one, o ⊙ tanh(c).
          let raw = block.at(unprojected, t, h)
          k.lstm(
            m, h, lengths, t, block.at(xg, t, width), hg, b, zero, block.at(cells, enter, h),
            block.at(activations, t, width), block.at(tanhCells, t, h), raw,
            block.at(cells, leave, h), nil)
          // h_t = raw · W_hrᵀ, then padded rows keep their state; the output is h_t or zero.
          let hNext = block.at(states, leave, p)
          k.gemm(0, 1, m, p, h, 1, raw, h, wr, h, 0, hNext, p)
          let output = block.at(out, t, p)
          for row in 0..<m {
            let offset = row * p
            if isActive(block.first + row, at: t) {
              (output + offset).update(from: hNext + offset, count: p)
            } else {
              (hNext + offset).update(from: hPrev + offset, count: p)
              (output + offset).update(repeating: 0, count: p)
            }
          }
        }
      }
    }
    let last = reverse ? 0 : steps
    (out + steps * stateCount).update(from: states + last * stateCount, count: stateCount)
    (out + (steps + 1) * stateCount).update(from: cells + last * cellCount, count: cellCount)
    withExtendedLifetime((input, hidden, cell, weight, bias, projection, hiddenProduct, zeros)) {}
    return (result, saved)
  }

  func backward<Scalar: BinaryFloatingPoint>(
    _ k: StepKernels<Scalar>, _ gradient: Tensor, _ saved: SavedProjectedRecurrence,
    _ weights: (hidden: Tensor, projection: Tensor),
    _ needs: (hidden: Bool, bias: Bool, projection: Bool)
  ) -> ProjectedRecurrenceGradients {
    let (n, h, p) = (batch, hiddenSize, projectionSize)
    let (width, cellCount, stateCount) = (4 * h, n * h, n * p)
    let dtype = gradient.dtype
    let hiddenGradient = Tensor(empty: [n, p], dtype: dtype)
    let cellGradient = Tensor(empty: [n, h], dtype: dtype)
    // Per step, the gradient of the projected state of the rows that ran the step.
    let projectedGradient = Tensor(empty: [steps, n, p], dtype: dtype)
    let unprojectedGradient = Tensor(empty: [n, h], dtype: dtype)
    let unusedCarry = Tensor(empty: [n, h], dtype: dtype)
    let gateGradient = Tensor(empty: [steps, n, width], dtype: dtype)
    let g: UnsafeMutablePointer<Scalar> = pointer(gradient)
    let dh: UnsafeMutablePointer<Scalar> = pointer(hiddenGradient)
    let dc: UnsafeMutablePointer<Scalar> = pointer(cellGradient)
    dh.update(from: g + steps * stateCount, count: stateCount)
    dc.update(from: g + (steps + 1) * stateCount, count: cellCount)
    let dProjected: UnsafeMutablePointer<Scalar> = pointer(projectedGradient)
    let dRaw: UnsafeMutablePointer<Scalar> = pointer(unprojectedGradient)
    let carry: UnsafeMutablePointer<Scalar> = pointer(unusedCarry)
    let dGates: UnsafeMutablePointer<Scalar> = pointer(gateGradient)
    let states: UnsafeMutablePointer<Scalar> = pointer(saved.states)
    let cells: UnsafeMutablePointer<Scalar> = pointer(saved.cells)
    let activations: UnsafeMutablePointer<Scalar> = pointer(saved.activations)
    let tanhCells: UnsafeMutablePointer<Scalar> = pointer(saved.tanhCells)
    let unprojected: UnsafeMutablePointer<Scalar> = pointer(saved.unprojected)
    let w: UnsafeMutablePointer<Scalar> = pointer(weights.hidden)
    let wr: UnsafeMutablePointer<Scalar> = pointer(weights.projection)
    withLengths { lengths in
      forEachRowBlock(n, productSide: p) { block in
        let m = block.count
        let (dh, dc, lengths) = (block.at(dh, 0, p), block.at(dc, 0, h), block.lengths(lengths))
        let (dRaw, carry) = (block.at(dRaw, 0, h), block.at(carry, 0, h))
        for s in (0..<steps).reversed() {
          let t = time(ofStep: s)
          let enter = enteringRow(t)
          // An active row's state gradient, with its output's, goes into the step and is spent
          // (dh becomes 0 there); a padded row's passes through to the previous state untouched.
          let dOut = block.at(g, t, p)
          let dStep = block.at(dProjected, t, p)
          for row in 0..<m {
            let offset = row * p
            if isActive(block.first + row, at: t) {
              for j in offset..<(offset + p) { dStep[j] = dh[j] + dOut[j] }
              (dh + offset).update(repeating: 0, count: p)
            } else {
              (dStep + offset).update(repeating: 0, count: p)
            }
          }
          // d(o ⊙ tanh c) = dh_t · W_hr, then the fused backward for the gates and the cell.
          k.gemm(0, 0, m, h, p, 1, dStep, p, wr, h, 0, dRaw, h)
          let dGatesStep = block.at(dGates, t, width)
          k.lstmBackward(
            m, h, lengths, t, block.at(activations, t, width), block.at(tanhCells, t, h),
            block.at(cells, enter, h),
            nil, dRaw, dc, dGatesStep, carry)
          // dh_prev = (what passed through) + dGates · W_hh.
          k.gemm(0, 0, m, p, width, 1, dGatesStep, width, w, p, 1, dh, p)
        }
      }
    }
    var gradients = ProjectedRecurrenceGradients(
      input: gateGradient, hidden: hiddenGradient, cell: cellGradient)
    if needs.hidden {
      // dW_hh = Σ_t dGates[t]ᵀ · h_entering(t), the entering states being rows 0..<T (forward)
      // or 1...T (reverse).
      let weightGradient = Tensor(empty: [width, p], dtype: dtype)
      let entering = states + (reverse ? stateCount : 0)
      k.gemm(
        1, 0, width, p, steps * n, 1, dGates, width, entering, p, 0, pointer(weightGradient), p)
      gradients.weight = weightGradient
    }
    if needs.projection {
      // dW_hr = Σ_t dh[t]ᵀ · (o ⊙ tanh c)[t]; padded rows are zero in dh[t].
      let projectionGradient = Tensor(empty: [p, h], dtype: dtype)
      k.gemm(
        1, 0, p, h, steps * n, 1, dProjected, p, unprojected, h, 0, pointer(projectionGradient),
        h)
      gradients.projection = projectionGradient
    }
    if needs.bias {
      let biasGradient = Tensor(empty: [width], dtype: dtype)
      k.sumRows(NABLA_REDUCE_SUM, 1, steps * n, width, dGates, pointer(biasGradient))
      gradients.bias = biasGradient
    }
    withExtendedLifetime(
      (gradient, saved, weights, projectedGradient, unprojectedGradient, unusedCarry)
    ) {}
    return gradients
  }

  /// Calls `body` with the lengths as a C array, or nil when every sequence is full length.
  func withLengths(_ body: (UnsafePointer<Int64>?) -> Void) {
    if let lengths {
      lengths.map(Int64.init).withUnsafeBufferPointer { body($0.baseAddress) }
    } else {
      body(nil)
    }
  }
}
