import CNablaKernels

// The forward and backward passes of the recurrence op (Recurrent.swift), over raw pointers.
//
// The rows of a batch never meet in a recurrence: h_t of a row depends on that row's x_t and
// h_{t-1} alone, and so, backward, does the gradient of its h_{t-1}. Each pass therefore splits
// the batch into blocks of rows once, a block per thread, and each block runs every step on its
// own (forEachRowBlock), with no waiting between steps: the per-step products, small, then run
// on one thread each instead of being split, and joined, twice per step.
//
// Variable lengths are handled by the fused kernels, which keep a padded row's states, write it
// zeros and pass it no gradient. With a projection, the kernels' hidden state is the
// unprojected o ⊙ tanh(c), which is not carried between steps; the passes then copy a padded
// row's projected state through the step themselves.

/// One run of a recurrence: its sizes, and the forward and backward passes over the steps.
struct Recurrence {
  let kind: RecurrenceKind
  let steps: Int
  let batch: Int
  /// The size H of the gates and of the LSTM's cell state.
  let hiddenSize: Int
  /// The size S of the hidden state carried between steps: P with a projection, H otherwise.
  let stateSize: Int
  let isProjected: Bool
  let lengths: [Int64]?
  let reverse: Bool

  var gateWidth: Int { kind.gateCount * hiddenSize }

  /// The time index of the `s`-th step run.
  func time(ofStep s: Int) -> Int { reverse ? steps - 1 - s : s }
  /// The row of the saved states holding the state that enters the step at time `t`: the
  /// states are `steps + 1` rows, the initial state first (forward) or last (reverse).
  func enteringRow(_ t: Int) -> Int { reverse ? t + 1 : t }
  /// The row of the saved states holding the state that leaves the step at time `t`.
  func leavingRow(_ t: Int) -> Int { reverse ? t : t + 1 }
  /// Whether batch element `b` runs the step at time `t`.
  func isActive(_ b: Int, at t: Int) -> Bool { lengths.map { Int64(t) < $0[b] } ?? true }

  /// The (columns, depth) of the products each step computes for a block of rows, forward and
  /// backward.
  var stepProducts: [(columns: Int, depth: Int)] {
    let (h, s, width) = (hiddenSize, stateSize, gateWidth)
    return [(width, s), (s, width)] + (isProjected ? [(s, h), (h, s)] : [])
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

/// The operands of a recurrence, detached.
struct RecurrenceOperands {
  var input: Tensor
  var hidden: Tensor
  var cell: Tensor?
  var weight: Tensor
  var bias: Tensor?
  var projection: Tensor?
}

/// Which weight gradients a recurrence's backward computes.
struct RecurrenceNeeds {
  var weight: Bool
  var bias: Bool
  var projection: Bool
}

/// The results of a recurrence.
struct RecurrenceResults {
  /// The hidden state after every step, `[T, N, S]`.
  var output: Tensor
  /// The final hidden state, `[N, S]`.
  var hidden: Tensor
  /// The LSTM's final cell state, `[N, H]`.
  var cell: Tensor?
}

/// What the forward pass keeps for backward.
struct SavedRecurrence {
  /// The hidden states, `[T + 1, N, S]`: the state entering step t is row t (forward) or row
  /// t + 1 (reverse); the initial state is row 0 (forward) or row T (reverse).
  var states: Tensor
  /// The LSTM's cell states, `[T + 1, N, H]`, laid out as `states`.
  var cells: Tensor?
  /// Per step: the LSTM's gate activations `[N, 4H]`, or the GRU's r, z, n and W_hn·h + b_hn
  /// as four `[N, H]` blocks; `T · N · 4H` elements in all.
  var activations: Tensor?
  /// Per step: the LSTM's tanh(c), `[T, N, H]`.
  var tanhCells: Tensor?
  /// Per step, with a projection: the hidden state before it, o ⊙ tanh(c), `[T, N, H]`; zero
  /// in padded rows.
  var unprojected: Tensor?
}

/// The gradients of a recurrence's inputs.
struct RecurrenceGradients {
  var input: Tensor
  var hidden: Tensor
  var cell: Tensor?
  var weight: Tensor?
  var bias: Tensor?
  var projection: Tensor?
}

extension Recurrence {
  func forward<Scalar: BinaryFloatingPoint>(
    _ k: Kernels<Scalar>, _ x: RecurrenceOperands
  ) -> (RecurrenceResults, SavedRecurrence) {
    let (n, h, s, width) = (batch, hiddenSize, stateSize, gateWidth)
    let dtype = x.input.dtype
    let isLSTM = kind == .lstm
    let results = RecurrenceResults(
      output: Tensor(empty: [steps, n, s], dtype: dtype),
      hidden: Tensor(empty: [n, s], dtype: dtype),
      cell: isLSTM ? Tensor(empty: [n, h], dtype: dtype) : nil)
    let saved = SavedRecurrence(
      states: Tensor(empty: [steps + 1, n, s], dtype: dtype),
      cells: isLSTM ? Tensor(empty: [steps + 1, n, h], dtype: dtype) : nil,
      activations: kind == .lstm || kind == .gru
        ? Tensor(empty: [steps, n, 4 * h], dtype: dtype) : nil,
      tanhCells: isLSTM ? Tensor(empty: [steps, n, h], dtype: dtype) : nil,
      // Zeroed: padded rows are never written, and backward multiplies them by zero.
      unprojected: isProjected ? Tensor(empty: [steps, n, h], dtype: dtype, zeroed: true) : nil)
    let hiddenProduct = Tensor(empty: [n, width], dtype: dtype)
    // What the fused kernel copies into a padded row's unprojected state: zero.
    let zeros = isProjected ? Tensor(empty: [n, h], dtype: dtype, zeroed: true) : nil
    let first = reverse ? steps : 0
    let states: UnsafeMutablePointer<Scalar> = pointer(saved.states)
    let cells: UnsafeMutablePointer<Scalar>? = saved.cells.map(pointer)
    states.advanced(by: first * n * s).update(from: pointer(x.hidden), count: n * s)
    if let cells, let cell = x.cell {
      cells.advanced(by: first * n * h).update(from: pointer(cell), count: n * h)
    }
    // W_hhᵀ and W_hrᵀ are packed for the GEMM once, not at every step.
    let packedWeight = k.packB(1, s, width, pointer(x.weight), s)
    let packedProjection = x.projection.map { k.packB(1, h, s, pointer($0), h) } ?? nil
    defer { [packedWeight, packedProjection].forEach(nabla_packed_matrix_free) }
    let pass = ForwardPass(
      run: self, k: k, input: pointer(x.input), states: states, output: pointer(results.output),
      hiddenProduct: pointer(hiddenProduct), cells: cells,
      activations: saved.activations.map(pointer), tanhCells: saved.tanhCells.map(pointer),
      unprojected: saved.unprojected.map(pointer), zeros: zeros.map(pointer),
      bias: x.bias.map(pointer), packedWeight: packedWeight, packedProjection: packedProjection)
    withLengths { lengths in
      forEachRowBlock(n, products: stepProducts, rowsIndependent: k.rowsIndependent) { block in
        pass.run(block, block.lengths(lengths))
      }
    }
    let last = reverse ? 0 : steps
    pointer(results.hidden).update(from: states + last * n * s, count: n * s)
    if let cells, let cell = results.cell {
      pointer(cell).update(from: cells + last * n * h, count: n * h)
    }
    withExtendedLifetime((x, hiddenProduct, zeros)) {}
    return (results, saved)
  }

  func backward<Scalar: BinaryFloatingPoint>(
    _ k: Kernels<Scalar>, _ incoming: [Tensor?], _ saved: SavedRecurrence,
    _ x: RecurrenceOperands, _ needs: RecurrenceNeeds
  ) -> RecurrenceGradients {
    let (n, h, s, width) = (batch, hiddenSize, stateSize, gateWidth)
    let dtype = x.input.dtype
    // A result that no gradient reached has a gradient of zeros.
    let gradient = incoming[0] ?? Tensor(empty: [steps, n, s], dtype: dtype, zeroed: true)
    var hiddenGradient = Tensor(empty: [n, s], dtype: dtype, zeroed: incoming[1] == nil)
    if let g = incoming[1] {
      (pointer(hiddenGradient) as UnsafeMutablePointer<Scalar>).update(
        from: pointer(g), count: n * s)
    }
    var carry = Tensor(empty: [n, isProjected ? h : s], dtype: dtype)
    var cellGradient: Tensor? = nil
    if kind == .lstm {
      let dc = Tensor(
        empty: [n, h], dtype: dtype, zeroed: incoming.count < 3 || incoming[2] == nil)
      if incoming.count == 3, let g = incoming[2] {
        (pointer(dc) as UnsafeMutablePointer<Scalar>).update(from: pointer(g), count: n * h)
      }
      cellGradient = dc
    }
    // The gradient of h·W_hhᵀ at every step; the same as that of x·W_ihᵀ but for the GRU.
    let gateGradient = Tensor(empty: [steps, n, width], dtype: dtype)
    let inputGradient =
      kind == .gru ? Tensor(empty: [steps, n, width], dtype: dtype) : gateGradient
    let projectedGradient = isProjected ? Tensor(empty: [steps, n, s], dtype: dtype) : nil
    let unprojectedGradient = isProjected ? Tensor(empty: [n, h], dtype: dtype) : nil
    // W_hh and W_hr, packed once for every step.
    let packedWeight = k.packB(0, width, s, pointer(x.weight), s)
    let packedProjection = x.projection.map { k.packB(0, s, h, pointer($0), h) } ?? nil
    defer { [packedWeight, packedProjection].forEach(nabla_packed_matrix_free) }
    let pass = BackwardPass(
      run: self, k: k, gradient: pointer(gradient), hiddenGradient: pointer(hiddenGradient),
      carry: pointer(carry), cellGradient: cellGradient.map(pointer),
      gateGradient: pointer(gateGradient), inputGradient: pointer(inputGradient),
      projectedGradient: projectedGradient.map(pointer),
      unprojectedGradient: unprojectedGradient.map(pointer), states: pointer(saved.states),
      cells: saved.cells.map(pointer), activations: saved.activations.map(pointer),
      tanhCells: saved.tanhCells.map(pointer), packedWeight: packedWeight,
      packedProjection: packedProjection)
    withLengths { lengths in
      forEachRowBlock(n, products: stepProducts, rowsIndependent: k.rowsIndependent) { block in
        pass.run(block, block.lengths(lengths))
      }
    }
    // Without a projection the state's gradient and the carry trade places at every step.
    if !isProjected && steps % 2 == 1 { swap(&hiddenGradient, &carry) }
    var gradients = RecurrenceGradients(
      input: inputGradient, hidden: hiddenGradient, cell: cellGradient)
    if needs.weight {
      // dW_hh = Σ_t dGates[t]ᵀ · h_entering(t): one GEMM over all steps, the entering states
      // being rows 0..<T (forward) or 1...T (reverse) of `states`.
      let weightGradient = Tensor(empty: [width, s], dtype: dtype)
      let entering: UnsafeMutablePointer<Scalar> = pointer(saved.states) + (reverse ? n * s : 0)
      k.gemm(
        1, 0, width, s, steps * n, 1, pointer(gateGradient), width, entering, s, 0,
        pointer(weightGradient), s)
      gradients.weight = weightGradient
    }
    if needs.projection, let projectedGradient, let unprojected = saved.unprojected {
      // dW_hr = Σ_t dh[t]ᵀ · (o ⊙ tanh c)[t]; padded rows are zero in dh[t].
      let projectionGradient = Tensor(empty: [s, h], dtype: dtype)
      k.gemm(
        1, 0, s, h, steps * n, 1, pointer(projectedGradient), s, pointer(unprojected), h, 0,
        pointer(projectionGradient), h)
      gradients.projection = projectionGradient
    }
    if needs.bias {
      let biasGradient = Tensor(empty: [width], dtype: dtype)
      k.reduce(
        NABLA_REDUCE_SUM, 1, steps * n, width, pointer(gateGradient), pointer(biasGradient))
      gradients.bias = biasGradient
    }
    withExtendedLifetime((gradient, saved, x, carry, projectedGradient, unprojectedGradient)) {}
    return gradients
  }
}

/// The arrays of one forward pass, and its steps over a block of rows.
private struct ForwardPass<Scalar: BinaryFloatingPoint> {
  let run: Recurrence
  let k: Kernels<Scalar>
  let input: UnsafeMutablePointer<Scalar>
  let states: UnsafeMutablePointer<Scalar>
  let output: UnsafeMutablePointer<Scalar>
  let hiddenProduct: UnsafeMutablePointer<Scalar>
  let cells: UnsafeMutablePointer<Scalar>?
  let activations: UnsafeMutablePointer<Scalar>?
  let tanhCells: UnsafeMutablePointer<Scalar>?
  let unprojected: UnsafeMutablePointer<Scalar>?
  let zeros: UnsafeMutablePointer<Scalar>?
  let bias: UnsafeMutablePointer<Scalar>?
  let packedWeight: OpaquePointer?
  let packedProjection: OpaquePointer?

  /// Runs every step for the rows of `block`, whose lengths are `lengths`.
  func run(_ block: RowBlock, _ lengths: UnsafePointer<Int64>?) {
    let (m, h, s, width) = (block.count, run.hiddenSize, run.stateSize, run.gateWidth)
    let hg = block.at(hiddenProduct, 0, width)
    for step in 0..<run.steps {
      let t = run.time(ofStep: step)
      let (enter, leave) = (run.enteringRow(t), run.leavingRow(t))
      var position = NablaRecurrentStep(batch: m, hidden: h, time: t, lengths: lengths)
      let hPrev = UnsafePointer(block.at(states, enter, s))
      k.packedGemm(0, m, 1, hPrev, s, packedWeight, 0, hg, width)
      let x = UnsafePointer(block.at(input, t, width))
      let (next, out) = (block.at(states, leave, s), block.at(output, t, s))
      switch run.kind {
      case .tanh, .relu:
        k.rnnStep(
          &position, run.kind == .relu ? 1 : 0, x, hg, bias, hPrev, next, out)
      case .gru:
        // The GRU's four gate blocks of a step are [N, H] each: the block's rows of each.
        k.gruStep(
          &position, x, hg, bias, hPrev, block.at(activations!, 4 * t, h), run.batch * h,
          next, out)
      case .lstm:
        let raw = unprojected.map { block.at($0, t, h) }
        k.lstmStep(
          &position, x, hg, bias, raw == nil ? hPrev : UnsafePointer(block.at(zeros!, 0, h)),
          block.at(cells!, enter, h), block.at(activations!, t, 4 * h),
          block.at(tanhCells!, t, h), raw ?? next, block.at(cells!, leave, h),
          raw == nil ? out : nil)
        if let raw { project(block, t, raw, hPrev, next, out) }
      }
    }
  }

  /// h_t = (o ⊙ tanh c)·W_hrᵀ for the rows of `block`, then padded rows keep their state; the
  /// output is h_t or zero.
  func project(
    _ block: RowBlock, _ t: Int, _ raw: UnsafeMutablePointer<Scalar>,
    _ hPrev: UnsafePointer<Scalar>, _ next: UnsafeMutablePointer<Scalar>,
    _ out: UnsafeMutablePointer<Scalar>
  ) {
    let s = run.stateSize
    k.packedGemm(0, block.count, 1, raw, run.hiddenSize, packedProjection, 0, next, s)
    for row in 0..<block.count {
      let offset = row * s
      if run.isActive(block.first + row, at: t) {
        (out + offset).update(from: next + offset, count: s)
      } else {
        (next + offset).update(from: hPrev + offset, count: s)
        (out + offset).update(repeating: 0, count: s)
      }
    }
  }
}

/// The arrays of one backward pass, and its steps over a block of rows.
private struct BackwardPass<Scalar: BinaryFloatingPoint> {
  let run: Recurrence
  let k: Kernels<Scalar>
  let gradient: UnsafeMutablePointer<Scalar>
  let hiddenGradient: UnsafeMutablePointer<Scalar>
  let carry: UnsafeMutablePointer<Scalar>
  let cellGradient: UnsafeMutablePointer<Scalar>?
  let gateGradient: UnsafeMutablePointer<Scalar>
  let inputGradient: UnsafeMutablePointer<Scalar>
  let projectedGradient: UnsafeMutablePointer<Scalar>?
  let unprojectedGradient: UnsafeMutablePointer<Scalar>?
  let states: UnsafeMutablePointer<Scalar>
  let cells: UnsafeMutablePointer<Scalar>?
  let activations: UnsafeMutablePointer<Scalar>?
  let tanhCells: UnsafeMutablePointer<Scalar>?
  let packedWeight: OpaquePointer?
  let packedProjection: OpaquePointer?

  /// Runs every step, last first, for the rows of `block`, whose lengths are `lengths`.
  func run(_ block: RowBlock, _ lengths: UnsafePointer<Int64>?) {
    let (m, h, s, width) = (block.count, run.hiddenSize, run.stateSize, run.gateWidth)
    var (dh, dCarry) = (block.at(hiddenGradient, 0, s), block.at(carry, 0, run.isProjected ? h : s))
    let dc = cellGradient.map { block.at($0, 0, h) }
    for step in (0..<run.steps).reversed() {
      let t = run.time(ofStep: step)
      let (enter, leave) = (run.enteringRow(t), run.leavingRow(t))
      var position = NablaRecurrentStep(batch: m, hidden: h, time: t, lengths: lengths)
      var dOut: UnsafeMutablePointer<Scalar>? = block.at(gradient, t, s)
      var dState = dh
      if let projectedGradient, let unprojectedGradient {
        // d(o ⊙ tanh c) = dh_t · W_hr, and the fused kernel takes it as its state's gradient.
        let dStep = block.at(projectedGradient, t, s)
        takeStepGradient(block, t, dOut!, dh, dStep)
        dState = block.at(unprojectedGradient, 0, h)
        k.packedGemm(0, m, 1, dStep, s, packedProjection, 0, dState, h)
        dOut = nil
      }
      let dPre = block.at(gateGradient, t, width)
      switch run.kind {
      case .tanh, .relu:
        k.rnnStepBackward(
          &position, run.kind == .relu ? 1 : 0, block.at(states, leave, s), dOut, dState,
          dPre, dCarry)
      case .lstm:
        k.lstmStepBackward(
          &position, block.at(activations!, t, 4 * h), block.at(tanhCells!, t, h),
          block.at(cells!, enter, h), dOut, dState, dc, dPre, dCarry)
      case .gru:
        k.gruStepBackward(
          &position, block.at(activations!, 4 * t, h), run.batch * h,
          block.at(states, enter, s), dOut, dState, block.at(inputGradient, t, width), dPre,
          dCarry)
      }
      if run.isProjected {
        // dh_prev = (what passed through) + dGates · W_hh.
        k.packedGemm(0, m, 1, dPre, width, packedWeight, 1, dh, s)
      } else {
        // dh_prev = carry + dGates · W_hh.
        k.packedGemm(0, m, 1, dPre, width, packedWeight, 1, dCarry, s)
        swap(&dh, &dCarry)
      }
    }
  }

  /// With a projection: an active row's state gradient, with its output's, goes into the step
  /// (`dStep`) and is spent there (dh becomes 0); a padded row's passes through to the previous
  /// state untouched.
  func takeStepGradient(
    _ block: RowBlock, _ t: Int, _ dOut: UnsafeMutablePointer<Scalar>,
    _ dh: UnsafeMutablePointer<Scalar>, _ dStep: UnsafeMutablePointer<Scalar>
  ) {
    let s = run.stateSize
    for row in 0..<block.count {
      let offset = row * s
      if run.isActive(block.first + row, at: t) {
        for j in offset..<(offset + s) { dStep[j] = dh[j] + dOut[j] }
        (dh + offset).update(repeating: 0, count: s)
      } else {
        (dStep + offset).update(repeating: 0, count: s)
      }
    }
  }
}
