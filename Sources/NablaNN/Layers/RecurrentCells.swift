// One time step of a recurrent network: RNNCell, LSTMCell and GRUCell, with PyTorch's parameter
// names, layouts, gate orders and initialization, so state dicts move between the two.

/// The activation of an Elman RNN, as PyTorch's `nonlinearity` argument.
public enum RNNNonlinearity: String, Sendable {
  /// The hyperbolic tangent (PyTorch's default).
  case tanh
  /// The rectifier.
  case relu
}

/// The state an LSTM carries from one step to the next: the hidden state (also the output) and
/// the cell state, as PyTorch's `(h, c)` pair.
///
/// For a cell both are `[batch, hiddenSize]`; for a sequence layer both are
/// `[layerCount · directionCount, batch, hiddenSize]`, except that the hidden state of an `LSTM`
/// with projections has `projectionSize` features instead of `hiddenSize`.
public struct LSTMState {
  /// The hidden state h.
  public var hidden: Tensor
  /// The cell state c.
  public var cell: Tensor

  /// Creates a state from its hidden and cell parts.
  public init(hidden: Tensor, cell: Tensor) {
    self.hidden = hidden
    self.cell = cell
  }

  /// The same values cut off from the graph, to carry a state across the chunks of truncated
  /// back-propagation through time.
  ///
  /// ```swift
  /// var state: LSTMState? = nil
  /// for chunk in chunks {
  ///   let (output, last) = lstm(chunk, initialState: state)
  ///   loss(output).backward()
  ///   state = last.detached()
  /// }
  /// ```
  public func detached() -> LSTMState {
    LSTMState(hidden: hidden.detached(), cell: cell.detached())
  }
}

/// The weights of one recurrent step, and the step itself: the common base of `RNNCell`,
/// `LSTMCell` and `GRUCell`, and the weights of each layer and direction of `RNN`, `LSTM` and
/// `GRU`.
///
/// The layouts are PyTorch's, with the gate blocks stacked along the first axis:
/// `inputWeight` is `[gates · hiddenSize, inputSize]` and `hiddenWeight` is
/// `[gates · hiddenSize, hiddenSize]`, where gates is 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU:
/// r, z, n). In state dicts they are named `weight_ih`, `weight_hh`, `bias_ih` and `bias_hh`.
/// Every weight and bias starts uniform in ±1/√hiddenSize, as in PyTorch.
///
/// The layers of an `LSTM` with projections (`projectionSize` P > 0) have one weight more,
/// `projectionWeight` (`weight_hr`, `[P, hiddenSize]`), which maps o ⊙ tanh(c) to the hidden
/// state of P features; their `hiddenWeight` is then `[4 · hiddenSize, P]`.
public class RecurrentCell: Module, @unchecked Sendable {
  /// The number of input features.
  public let inputSize: Int
  /// The number of features of the hidden state.
  public let hiddenSize: Int
  /// W_ih, `[gates · hiddenSize, inputSize]`; `weight_ih` in state dicts.
  public let inputWeight: Parameter
  /// W_hh, `[gates · hiddenSize, hiddenSize]` (`[4 · hiddenSize, projectionSize]` with a
  /// projection); `weight_hh` in state dicts.
  public let hiddenWeight: Parameter
  /// b_ih, `[gates · hiddenSize]`, or nil without biases; `bias_ih` in state dicts.
  public let inputBias: Parameter?
  /// b_hh, `[gates · hiddenSize]`, or nil without biases; `bias_hh` in state dicts.
  public let hiddenBias: Parameter?
  /// W_hr, `[projectionSize, hiddenSize]`, in the layers of an `LSTM` made with a
  /// `projectionSize` and nil in every other cell; `weight_hr` in state dicts.
  public let projectionWeight: Parameter?
  /// The step this cell computes.
  let kind: RecurrenceKind
  /// The size of the projected hidden state, or 0 without projection.
  let projectionSize: Int

  init(
    kind: RecurrenceKind, inputSize: Int, hiddenSize: Int, projectionSize: Int = 0, bias: Bool,
    dtype: DType, generator: RandomGenerator
  ) {
    let name = Self.typeName
    require(
      inputSize > 0 && hiddenSize > 0,
      "\(name): sizes must be positive, got input \(inputSize) and hidden \(hiddenSize)")
    require(dtype.supportsArithmetic, "\(name): weights must be float32 or float64, not \(dtype)")
    self.kind = kind
    self.inputSize = inputSize
    self.hiddenSize = hiddenSize
    self.projectionSize = projectionSize
    let bound = 1 / Double(hiddenSize).squareRoot()
    let width = kind.gateCount * hiddenSize
    func uniform(_ shape: [Int]) -> Parameter {
      Parameter(
        Tensor.randomUniform(shape, low: -bound, high: bound, dtype: dtype, generator: generator))
    }
    // PyTorch's reset_parameters draws them in this order: w_ih, w_hh, b_ih, b_hh, w_hr.
    inputWeight = uniform([width, inputSize])
    hiddenWeight = uniform([width, projectionSize > 0 ? projectionSize : hiddenSize])
    inputBias = bias ? uniform([width]) : nil
    hiddenBias = bias ? uniform([width]) : nil
    projectionWeight = projectionSize > 0 ? uniform([projectionSize, hiddenSize]) : nil
  }

  /// The number of features of the hidden state h: `projectionSize` with a projection,
  /// `hiddenSize` otherwise. (The cell state always has `hiddenSize`.)
  var hiddenStateSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }

  /// PyTorch's text for the cell, as in `40, 128` or `40, 128, bias=False`.
  public override var extraDescription: String {
    "\(inputSize), \(hiddenSize)" + (inputBias == nil ? ", bias=False" : "")
      + (projectionSize > 0 ? ", proj_size=\(projectionSize)" : "")
  }

  /// The type's name for messages, such as `LSTMCell`.
  static var typeName: String { String(describing: self) }

  /// What the layer holding this cell appends to its weights' state-dict keys (`_l0`,
  /// `_l1_reverse`, ...); empty for a cell on its own. Set once, by the layer's initializer.
  var stateKeySuffix = ""

  /// PyTorch's names of the weights (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, and
  /// `weight_hr` with a projection), followed by the layer's suffix in a sequence layer.
  public override var stateKeys: [String: String] {
    [
      "inputWeight": "weight_ih", "hiddenWeight": "weight_hh", "inputBias": "bias_ih",
      "hiddenBias": "bias_hh", "projectionWeight": "weight_hr",
    ].mapValues { $0 + stateKeySuffix }
  }

  /// A description such as `LSTMCell(10 -> 20)`, for messages.
  var label: String {
    let projection = projectionSize > 0 ? ", projectionSize: \(projectionSize)" : ""
    return "\(type(of: self).typeName)(\(inputSize) -> \(hiddenSize)\(projection))"
  }

  /// Checks a cell's input and states (hidden, then cell) and returns them batched:
  /// `[N, inputSize]`, `[N, hiddenStateSize]` and `[N, hiddenSize]` (nil states become zeros),
  /// and whether the input had no batch axis.
  func batched(_ input: Tensor, _ states: [Tensor?]) -> (
    input: Tensor, states: [Tensor], unbatched: Bool
  ) {
    require(
      (input.rank == 1 || input.rank == 2) && input.shape.last == inputSize,
      "\(label): input of shape \(describe(input.shape)) does not match [batch, \(inputSize)] "
        + "or [\(inputSize)]")
    requireWeightType(input)
    let unbatched = input.rank == 1
    let x = unbatched ? input.unsqueezed(at: 0) : input
    let batchedStates = states.enumerated().map { index, state -> Tensor in
      let size = index == 0 ? hiddenStateSize : hiddenSize
      let expected = unbatched ? [size] : [x.shape[0], size]
      guard let state else { return Tensor.zeros([x.shape[0], size], dtype: x.dtype) }
      require(
        state.shape == expected,
        "\(label): state of shape \(describe(state.shape)), expected \(describe(expected))")
      require(
        state.dtype == x.dtype,
        "\(label): state is \(state.dtype) but the input is \(x.dtype)")
      return unbatched ? state.unsqueezed(at: 0) : state
    }
    return (x, batchedStates, unbatched)
  }

  /// Stops unless `input` has the weights' dtype.
  func requireWeightType(_ input: Tensor) {
    require(
      input.dtype == inputWeight.value.dtype,
      "\(label): input is \(input.dtype) but the weights are \(inputWeight.value.dtype); "
        + "convert one of them")
  }

  /// Whether b_hh enters the gates just as b_ih does (everywhere but in the GRU, whose b_hn sits
  /// inside its reset gate): then both go into the input projection, and the gradient they share
  /// (the same column sums) is computed once.
  var foldsHiddenBias: Bool { kind != .gru }

  /// x·W_ihᵀ + b_ih (+ b_hh, see `foldsHiddenBias`) for input rows `[rows, inputSize]`: every time
  /// step in one product.
  func projectInput(_ input: Tensor) -> Tensor {
    var bias = inputBias?.value
    if foldsHiddenBias, let hiddenBias = hiddenBias?.value {
      bias = bias.map { $0 + hiddenBias } ?? hiddenBias
    }
    return input.linear(weight: inputWeight.value, bias: bias)
  }

  /// Runs the fused recurrence over `[T, N, inputSize]` input; see `Tensor.recurrence`.
  func run(
    _ input: Tensor, hidden: Tensor, cell: Tensor?, lengths: [Int]?, reverse: Bool
  ) -> (output: Tensor, hidden: Tensor, cell: Tensor?) {
    let (steps, batch) = (input.shape[0], input.shape[1])
    let projected = projectInput(input.reshaped([steps * batch, inputSize]))
    return Tensor.recurrence(
      kind, projectedInput: projected.reshaped([steps, batch, kind.gateCount * hiddenSize]),
      initialHidden: hidden, initialCell: cell, hiddenWeight: hiddenWeight.value,
      hiddenBias: foldsHiddenBias ? nil : hiddenBias?.value,
      projectionWeight: projectionWeight?.value, lengths: lengths, reverse: reverse)
  }

  /// The next hidden state of an RNN or GRU cell from `input` and `hidden` (zeros when nil), in
  /// the batched or unbatched layout of `input`.
  func nextHidden(_ input: Tensor, hidden: Tensor?) -> Tensor {
    let (x, states, unbatched) = batched(input, [hidden])
    let next = step(x, hidden: states[0], cell: nil).hidden
    return unbatched ? next.squeezed(axes: [0]) : next
  }

  /// One step from `hidden` (`[N, hiddenStateSize]`) and, for an LSTM, `cell`
  /// (`[N, hiddenSize]`).
  func step(_ input: Tensor, hidden: Tensor, cell: Tensor?) -> (hidden: Tensor, cell: Tensor?) {
    let result = run(
      input.unsqueezed(at: 0), hidden: hidden, cell: cell, lengths: nil, reverse: false)
    return (result.hidden, result.cell)
  }
}

/// An Elman RNN cell, as `torch.nn.RNNCell`: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), or ReLU
/// in place of tanh.
///
/// ```swift
/// let cell = RNNCell(inputSize: 10, hiddenSize: 20)
/// var h = Tensor.zeros([3, 20])
/// for x in inputs { h = cell(x, hidden: h) }  // x: [3, 10]
/// ```
public final class RNNCell: RecurrentCell, @unchecked Sendable {
  /// The activation, tanh or ReLU.
  public let nonlinearity: RNNNonlinearity

  /// Creates a cell with weights uniform in ±1/√hiddenSize.
  ///
  /// - Parameters:
  ///   - inputSize: The number of input features.
  ///   - hiddenSize: The number of features of the hidden state.
  ///   - bias: Whether to learn the biases b_ih and b_hh.
  ///   - nonlinearity: tanh (default) or ReLU.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    inputSize: Int, hiddenSize: Int, bias: Bool = true, nonlinearity: RNNNonlinearity = .tanh,
    dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    self.nonlinearity = nonlinearity
    super.init(
      kind: nonlinearity == .tanh ? .tanh : .relu, inputSize: inputSize, hiddenSize: hiddenSize,
      bias: bias, dtype: dtype, generator: generator)
  }

  /// Creates the cell with the sizes in PyTorch's order, unlabeled, as `nn.RNNCell(10, 20)`: the same as
  /// `init(inputSize:hiddenSize:...)`.
  public convenience init(
    _ inputSize: Int, _ hiddenSize: Int, bias: Bool = true,
    nonlinearity: RNNNonlinearity = .tanh, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    self.init(
      inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, nonlinearity: nonlinearity,
      dtype: dtype, generator: generator)
  }

  /// PyTorch's text for the cell, with `nonlinearity=relu` when it is not tanh.
  public override var extraDescription: String {
    super.extraDescription
      + (nonlinearity == .tanh ? "" : ", nonlinearity=\(nonlinearity.rawValue)")
  }

  /// The next hidden state from `input` (`[N, inputSize]` or `[inputSize]`) and `hidden`
  /// (`[N, hiddenSize]` or `[hiddenSize]`; zeros when nil).
  public func callAsFunction(_ input: Tensor, hidden: Tensor?) -> Tensor {
    reportingOutput {
      nextHidden(input, hidden: hidden)
    }
  }

  /// The next hidden state from a zero hidden state.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(input, hidden: nil)
    }
  }
}

/// A long short-term memory cell, as `torch.nn.LSTMCell`, with gates (i, f, g, o):
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
///
/// The gate arithmetic runs in one fused kernel with a hand-written backward.
///
/// ```swift
/// let cell = LSTMCell(inputSize: 10, hiddenSize: 20)
/// var state: LSTMState? = nil
/// for x in inputs { state = cell(x, state: state) }  // x: [3, 10]
/// ```
public final class LSTMCell: RecurrentCell, @unchecked Sendable {
  /// Creates a cell with weights uniform in ±1/√hiddenSize.
  ///
  /// - Parameters:
  ///   - inputSize: The number of input features.
  ///   - hiddenSize: The number of features of the hidden state.
  ///   - bias: Whether to learn the biases b_ih and b_hh.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    super.init(
      kind: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype,
      generator: generator)
  }

  /// Creates the cell with the sizes in PyTorch's order, unlabeled, as `nn.LSTMCell(10, 20)`: the same as
  /// `init(inputSize:hiddenSize:...)`.
  public convenience init(
    _ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    self.init(
      inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype,
      generator: generator)
  }

  /// Creates the weights of one layer and direction of an `LSTM`, whose hidden state is
  /// projected to `projectionSize` features when that is positive. (PyTorch's `LSTMCell` has
  /// no projection, so only the layer makes cells with one.)
  init(
    inputSize: Int, hiddenSize: Int, projectionSize: Int, bias: Bool, dtype: DType,
    generator: RandomGenerator
  ) {
    super.init(
      kind: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, projectionSize: projectionSize,
      bias: bias, dtype: dtype, generator: generator)
  }

  /// The next state from `input` (`[N, inputSize]` or `[inputSize]`) and `state` (each part
  /// `[N, hiddenSize]` or `[hiddenSize]`; zeros when nil).
  public func callAsFunction(_ input: Tensor, state: LSTMState?) -> LSTMState {
    reportingCall { () -> LSTMState in
      let (x, states, unbatched) = batched(input, [state?.hidden, state?.cell])
      let next = step(x, hidden: states[0], cell: states[1])
      let (hidden, cell) = (next.hidden, next.cell!)
      return unbatched
        ? LSTMState(hidden: hidden.squeezed(axes: [0]), cell: cell.squeezed(axes: [0]))
        : LSTMState(hidden: hidden, cell: cell)
    } output: {
      $0.hidden
    }
  }

  /// The next hidden state from a zero state.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(input, state: nil).hidden
    }
  }
}

/// A gated recurrent unit cell, as `torch.nn.GRUCell`, with gates (r, z, n):
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// The gate arithmetic runs in one fused kernel with a hand-written backward.
///
/// ```swift
/// let cell = GRUCell(inputSize: 10, hiddenSize: 20)
/// let h = cell(x, hidden: nil)  // x: [3, 10], h: [3, 20]
/// ```
public final class GRUCell: RecurrentCell, @unchecked Sendable {
  /// Creates a cell with weights uniform in ±1/√hiddenSize.
  ///
  /// - Parameters:
  ///   - inputSize: The number of input features.
  ///   - hiddenSize: The number of features of the hidden state.
  ///   - bias: Whether to learn the biases b_ih and b_hh.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    inputSize: Int, hiddenSize: Int, bias: Bool = true, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    super.init(
      kind: .gru, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype,
      generator: generator)
  }

  /// Creates the cell with the sizes in PyTorch's order, unlabeled, as `nn.GRUCell(10, 20)`: the same as
  /// `init(inputSize:hiddenSize:...)`.
  public convenience init(
    _ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    self.init(
      inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, dtype: dtype,
      generator: generator)
  }

  /// The next hidden state from `input` (`[N, inputSize]` or `[inputSize]`) and `hidden`
  /// (`[N, hiddenSize]` or `[hiddenSize]`; zeros when nil).
  public func callAsFunction(_ input: Tensor, hidden: Tensor?) -> Tensor {
    reportingOutput {
      nextHidden(input, hidden: hidden)
    }
  }

  /// The next hidden state from a zero hidden state.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(input, hidden: nil)
    }
  }
}
