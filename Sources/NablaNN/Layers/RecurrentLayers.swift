// Recurrent layers over whole sequences: RNN, LSTM and GRU, stacked and optionally
// bidirectional, with PyTorch's arguments, shapes and state-dict names.

/// The common base of `RNN`, `LSTM` and `GRU`: a stack of recurrent layers run over a sequence.
///
/// Each layer and direction has its own weights, a `RecurrentCell` in `cells`; in state dicts
/// they are named as PyTorch names them (`weight_ih_l0`, `bias_hh_l1_reverse`, ...). Per layer
/// and direction, the input of every time step is projected in one matrix product, and the steps
/// then run in one fused op whose backward is back-propagation through time.
///
/// Shapes (as PyTorch's): the input is `[T, N, inputSize]`, or `[N, T, inputSize]` with
/// `batchFirst`, or `[T, inputSize]` for one unbatched sequence; the output is `[T, N,
/// directionCount · hiddenSize]` laid out the same way; states are `[layerCount ·
/// directionCount, N, hiddenSize]` (`[layerCount · directionCount, hiddenSize]` unbatched), the
/// state of layer l in direction d at index `l · directionCount + d`. In an `LSTM` with
/// projections, `projectionSize` takes the place of `hiddenSize` in the output and the hidden
/// state (not in the cell state).
///
/// Variable-length batches: pass `lengths`, the number of valid steps of each batch element.
/// Steps past a sequence's length leave its state unchanged, output zeros and receive no
/// gradient; the reverse direction starts at each sequence's own last step.
public class RecurrentLayer: Module, @unchecked Sendable {
  /// The number of input features.
  public let inputSize: Int
  /// The number of features of each direction's hidden state (of its cell state, for an LSTM
  /// with projections).
  public let hiddenSize: Int
  /// The number of features each direction's hidden state is projected to (PyTorch's
  /// `proj_size`), or 0 without projection; only an `LSTM` has projections.
  public let projectionSize: Int
  /// The number of stacked layers.
  public let layerCount: Int
  /// Whether each layer also runs from the last step to the first (outputs concatenated).
  public let isBidirectional: Bool
  /// Whether inputs and outputs are `[batch, steps, features]` rather than time first.
  public let isBatchFirst: Bool
  /// The probability of dropping each output of every layer but the last, in training only.
  public let dropout: Double
  /// The source of the dropout masks.
  public let generator: RandomGenerator
  /// The weights of layer l in direction d (0 forward, 1 reverse) at `l · directionCount + d`.
  public let cells: [RecurrentCell]

  init(
    inputSize: Int, hiddenSize: Int, projectionSize: Int = 0, layerCount: Int,
    bidirectional: Bool, batchFirst: Bool, dropout: Double, generator: RandomGenerator,
    makeCell: (_ inputSize: Int) -> RecurrentCell
  ) {
    let name = String(describing: Self.self)
    require(
      inputSize > 0 && hiddenSize > 0 && layerCount > 0,
      "\(name): sizes and layer count must be positive, got input \(inputSize), hidden "
        + "\(hiddenSize), \(layerCount) layers")
    require(dropout >= 0 && dropout <= 1, "\(name): dropout \(dropout) is outside [0, 1]")
    self.inputSize = inputSize
    self.hiddenSize = hiddenSize
    self.projectionSize = projectionSize
    self.layerCount = layerCount
    self.isBidirectional = bidirectional
    self.isBatchFirst = batchFirst
    self.dropout = dropout
    self.generator = generator
    let directions = bidirectional ? 2 : 1
    let outputSize = directions * (projectionSize > 0 ? projectionSize : hiddenSize)
    cells = (0..<layerCount).flatMap { layer in
      (0..<directions).map { direction in
        let cell = makeCell(layer == 0 ? inputSize : outputSize)
        cell.stateKeySuffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
        return cell
      }
    }
  }

  /// The number of features of each direction's hidden state and output: `projectionSize`
  /// with projections, `hiddenSize` otherwise.
  var hiddenStateSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }

  /// PyTorch's text for the layer (`RNNBase.extra_repr`): the sizes, then the options that differ
  /// from their defaults, as in `40, 128, num_layers=2, batch_first=True, bidirectional=True`.
  public override var extraDescription: String {
    var text = "\(inputSize), \(hiddenSize)"
    if projectionSize != 0 { text += ", proj_size=\(projectionSize)" }
    if layerCount != 1 { text += ", num_layers=\(layerCount)" }
    if cells[0].inputBias == nil { text += ", bias=False" }
    if isBatchFirst { text += ", batch_first=True" }
    if dropout != 0 { text += ", dropout=\(pythonRepr(dropout))" }
    if isBidirectional { text += ", bidirectional=True" }
    return text
  }

  /// 2 for a bidirectional layer, 1 otherwise.
  public var directionCount: Int { isBidirectional ? 2 : 1 }

  /// Merges the cells into the layer (see `Module.stateKeys`), so that their weights appear
  /// under PyTorch's names and in PyTorch's order (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
  /// `bias_hh_l0`, with projections `weight_hr_l0`, then `weight_ih_l0_reverse`, ...) in
  /// `namedParameters()` and `stateDict()`, and `print(model)` shows no children, as PyTorch's.
  public override var stateKeys: [String: String] { ["cells": ""] }

  /// A description such as `LSTM(10 -> 20)`, for messages.
  var label: String {
    let projection = projectionSize > 0 ? ", projectionSize: \(projectionSize)" : ""
    return "\(type(of: self))(\(inputSize) -> \(hiddenSize)\(projection))"
  }

  /// The output and final hidden states of an RNN or GRU, whose only state is the hidden one.
  func forward(
    _ input: Tensor, initialHidden: Tensor?, lengths: [Int]?
  ) -> (output: Tensor, hidden: Tensor) {
    let result = forward(input, initialStates: [initialHidden], lengths: lengths)
    return (result.output, result.finalStates[0])
  }

  /// Checks the input, initial states and lengths, runs every layer and direction, and returns
  /// the output and final states in the caller's layout.
  func forward(
    _ input: Tensor, initialStates: [Tensor?], lengths: [Int]?
  ) -> (output: Tensor, finalStates: [Tensor]) {
    let layout = isBatchFirst ? "[batch, steps, \(inputSize)]" : "[steps, batch, \(inputSize)]"
    require(
      (input.rank == 2 || input.rank == 3) && input.shape.last == inputSize,
      "\(label): input of shape \(describe(input.shape)) does not match \(layout) or "
        + "[steps, \(inputSize)]")
    let weightType = cells[0].inputWeight.value.dtype
    require(
      input.dtype == weightType,
      "\(label): input is \(input.dtype) but the weights are \(weightType); convert one of them")
    let unbatched = input.rank == 2
    // Time first inside: [T, N, features].
    let x =
      unbatched ? input.unsqueezed(at: 1) : (isBatchFirst ? input.transposed(0, 1) : input)
    let (steps, batch) = (x.shape[0], x.shape[1])
    let stateCount = layerCount * directionCount
    // The hidden state first, then for an LSTM the cell state (which is never projected).
    let states = initialStates.enumerated().map { index, state -> Tensor in
      let size = index == 0 ? hiddenStateSize : hiddenSize
      guard let state else {
        return Tensor.zeros([stateCount, batch, size], dtype: x.dtype)
      }
      let expected = unbatched ? [stateCount, size] : [stateCount, batch, size]
      require(
        state.shape == expected,
        "\(label): initial state of shape \(describe(state.shape)), expected "
          + "\(describe(expected))")
      require(
        state.dtype == x.dtype,
        "\(label): initial state is \(state.dtype) but the input is \(x.dtype)")
      return unbatched ? state.unsqueezed(at: 1) : state
    }
    if let lengths {
      require(
        lengths.count == batch && lengths.allSatisfy { $0 >= 0 && $0 <= steps },
        "\(label): lengths \(lengths) must be \(batch) numbers in 0...\(steps) for input of "
          + "shape \(describe(input.shape))")
    }

    var layerInput = x
    var finals = [[Tensor]](repeating: [], count: states.count)
    for layer in 0..<layerCount {
      var outputs: [Tensor] = []
      for direction in 0..<directionCount {
        let index = layer * directionCount + direction
        let result = cells[index].run(
          layerInput, hidden: states[0][index], cell: states.count > 1 ? states[1][index] : nil,
          lengths: lengths, reverse: direction == 1)
        outputs.append(result.output)
        finals[0].append(result.hidden)
        if let cell = result.cell { finals[1].append(cell) }
      }
      layerInput =
        outputs.count == 1 ? outputs[0] : Tensor(concatenating: outputs, alongAxis: 2)
      if layer < layerCount - 1 && isTraining && dropout > 0 {
        layerInput = Dropout(probability: dropout, generator: generator)(layerInput)
      }
    }
    let output =
      unbatched
      ? layerInput.squeezed(axes: [1]) : (isBatchFirst ? layerInput.transposed(0, 1) : layerInput)
    let finalStates = finals.map { parts in
      let stacked = Tensor(stacking: parts, alongAxis: 0)
      return unbatched ? stacked.squeezed(axes: [1]) : stacked
    }
    return (output, finalStates)
  }
}

/// A multi-layer Elman RNN over sequences, as `torch.nn.RNN`:
/// h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), or ReLU in place of tanh.
///
/// ```swift
/// let rnn = RNN(inputSize: 10, hiddenSize: 20, layerCount: 2)
/// let (output, hidden) = rnn(Tensor.randomNormal([5, 3, 10]))  // [5, 3, 20], [2, 3, 20]
/// ```
public final class RNN: RecurrentLayer, @unchecked Sendable {
  /// The activation, tanh or ReLU.
  public let nonlinearity: RNNNonlinearity

  /// Creates the layers with weights uniform in ±1/√hiddenSize.
  ///
  /// - Parameters:
  ///   - inputSize: The number of input features.
  ///   - hiddenSize: The number of features of the hidden state.
  ///   - layerCount: The number of stacked layers.
  ///   - nonlinearity: tanh (default) or ReLU.
  ///   - bias: Whether to learn the biases b_ih and b_hh.
  ///   - batchFirst: Whether inputs and outputs are `[batch, steps, features]`.
  ///   - dropout: The probability of dropout on the outputs of each layer but the last, in
  ///     training mode.
  ///   - bidirectional: Whether each layer also runs backwards in time.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values and dropout masks.
  public init(
    inputSize: Int, hiddenSize: Int, layerCount: Int = 1, nonlinearity: RNNNonlinearity = .tanh,
    bias: Bool = true, batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
    dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    self.nonlinearity = nonlinearity
    super.init(
      inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
      bidirectional: bidirectional, batchFirst: batchFirst, dropout: dropout, generator: generator
    ) { size in
      RNNCell(
        inputSize: size, hiddenSize: hiddenSize, bias: bias, nonlinearity: nonlinearity,
        dtype: dtype, generator: generator)
    }
  }

  /// Creates the layers with the sizes in PyTorch's order, unlabeled, as `nn.RNN(10, 20)`:
  /// the same as `init(inputSize:hiddenSize:...)`.
  ///
  /// ```swift
  /// let rnn = RNN(10, 20, layerCount: 2, batchFirst: true)
  /// ```
  public convenience init(
    _ inputSize: Int, _ hiddenSize: Int, layerCount: Int = 1,
    nonlinearity: RNNNonlinearity = .tanh, bias: Bool = true, batchFirst: Bool = false,
    dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    self.init(
      inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
      nonlinearity: nonlinearity, bias: bias, batchFirst: batchFirst, dropout: dropout,
      bidirectional: bidirectional, dtype: dtype, generator: generator)
  }

  /// The outputs of the last layer at every step and the final hidden state of every layer and
  /// direction.
  ///
  /// - Parameters:
  ///   - input: `[T, N, inputSize]` (`[N, T, inputSize]` batch first) or `[T, inputSize]`.
  ///   - initialHidden: `[layerCount · directionCount, N, hiddenSize]`; zeros when nil.
  ///   - lengths: The number of valid steps of each of the N sequences; all T when nil.
  public func callAsFunction(
    _ input: Tensor, initialHidden: Tensor? = nil, lengths: [Int]? = nil
  ) -> (output: Tensor, hidden: Tensor) {
    reportingCall { () -> (output: Tensor, hidden: Tensor) in
      forward(input, initialHidden: initialHidden, lengths: lengths)
    } output: {
      $0.output
    }
  }

  /// The outputs of the last layer at every step, from zero initial states.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(input, initialHidden: nil).output
    }
  }
}

/// A multi-layer long short-term memory over sequences, as `torch.nn.LSTM`, with gates (i, f, g,
/// o) as in `LSTMCell`.
///
/// ```swift
/// let lstm = LSTM(inputSize: 32, hiddenSize: 128, batchFirst: true)
/// let (output, state) = lstm(Tensor.randomNormal([8, 50, 32]))
/// // output [8, 50, 128]; state.hidden and state.cell [1, 8, 128]
/// ```
///
/// With a `projectionSize` P > 0 (PyTorch's `proj_size`; LSTM with projections, Sak et al.
/// 2014), each layer and direction also learns W_hr (`weight_hr_l0`, `[P, hiddenSize]`) and its
/// hidden state is h_t = W_hr · (o_t ⊙ tanh(c_t)), of P features: the output and the hidden
/// states have P features per direction, the cell states keep `hiddenSize`, W_hh is
/// `[4 · hiddenSize, P]` and the layers after the first take `directionCount · P` inputs.
///
/// ```swift
/// let lstm = LSTM(inputSize: 32, hiddenSize: 128, projectionSize: 64)
/// let (output, state) = lstm(Tensor.randomNormal([50, 8, 32]))
/// // output [50, 8, 64]; state.hidden [1, 8, 64], state.cell [1, 8, 128]
/// ```
public final class LSTM: RecurrentLayer, @unchecked Sendable {
  /// Creates the layers with weights uniform in ±1/√hiddenSize.
  ///
  /// - Parameters:
  ///   - inputSize: The number of input features.
  ///   - hiddenSize: The number of features of the cell state, and of the hidden state without
  ///     projection.
  ///   - layerCount: The number of stacked layers.
  ///   - bias: Whether to learn the biases b_ih and b_hh.
  ///   - batchFirst: Whether inputs and outputs are `[batch, steps, features]`.
  ///   - dropout: The probability of dropout on the outputs of each layer but the last, in
  ///     training mode.
  ///   - bidirectional: Whether each layer also runs backwards in time.
  ///   - projectionSize: The number of features the hidden state is projected to, in
  ///     `1..<hiddenSize`; 0 (the default) for no projection.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values and dropout masks.
  public init(
    inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
    batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
    projectionSize: Int = 0, dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    require(
      projectionSize == 0 || (projectionSize > 0 && projectionSize < hiddenSize),
      "LSTM: projectionSize \(projectionSize) must be in 0..<hiddenSize, with hiddenSize "
        + "\(hiddenSize) (0 means no projection)")
    super.init(
      inputSize: inputSize, hiddenSize: hiddenSize, projectionSize: projectionSize,
      layerCount: layerCount, bidirectional: bidirectional, batchFirst: batchFirst,
      dropout: dropout, generator: generator
    ) { size in
      LSTMCell(
        inputSize: size, hiddenSize: hiddenSize, projectionSize: projectionSize, bias: bias,
        dtype: dtype, generator: generator)
    }
  }

  /// Creates the layers with the sizes in PyTorch's order, unlabeled, as `nn.LSTM(40, 128)`:
  /// the same as `init(inputSize:hiddenSize:...)`.
  ///
  /// ```swift
  /// let lstm = LSTM(40, 128, layerCount: 2, bidirectional: true)
  /// ```
  public convenience init(
    _ inputSize: Int, _ hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
    batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
    projectionSize: Int = 0, dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    self.init(
      inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
      batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
      projectionSize: projectionSize, dtype: dtype, generator: generator)
  }

  /// The outputs of the last layer at every step and the final state of every layer and
  /// direction.
  ///
  /// - Parameters:
  ///   - input: `[T, N, inputSize]` (`[N, T, inputSize]` batch first) or `[T, inputSize]`.
  ///   - initialState: Hidden and cell states, each `[layerCount · directionCount, N,
  ///     hiddenSize]` (the hidden state `[layerCount · directionCount, N, projectionSize]` with
  ///     projections); zeros when nil.
  ///   - lengths: The number of valid steps of each of the N sequences; all T when nil.
  public func callAsFunction(
    _ input: Tensor, initialState: LSTMState? = nil, lengths: [Int]? = nil
  ) -> (output: Tensor, state: LSTMState) {
    reportingCall { () -> (output: Tensor, state: LSTMState) in
      let result = forward(
        input, initialStates: [initialState?.hidden, initialState?.cell], lengths: lengths)
      return (result.output, LSTMState(hidden: result.finalStates[0], cell: result.finalStates[1]))
    } output: {
      $0.output
    }
  }

  /// The outputs of the last layer at every step, from zero initial states.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(input, initialState: nil).output
    }
  }
}

/// A multi-layer gated recurrent unit over sequences, as `torch.nn.GRU`, with gates (r, z, n) as
/// in `GRUCell`.
///
/// ```swift
/// let gru = GRU(inputSize: 1, hiddenSize: 6, batchFirst: true, bidirectional: true)
/// let (output, hidden) = gru(x)  // x [N, T, 1]: output [N, T, 12], hidden [2, N, 6]
/// ```
public final class GRU: RecurrentLayer, @unchecked Sendable {
  /// Creates the layers with weights uniform in ±1/√hiddenSize.
  ///
  /// - Parameters:
  ///   - inputSize: The number of input features.
  ///   - hiddenSize: The number of features of the hidden state.
  ///   - layerCount: The number of stacked layers.
  ///   - bias: Whether to learn the biases b_ih and b_hh.
  ///   - batchFirst: Whether inputs and outputs are `[batch, steps, features]`.
  ///   - dropout: The probability of dropout on the outputs of each layer but the last, in
  ///     training mode.
  ///   - bidirectional: Whether each layer also runs backwards in time.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values and dropout masks.
  public init(
    inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
    batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
    dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    super.init(
      inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
      bidirectional: bidirectional, batchFirst: batchFirst, dropout: dropout, generator: generator
    ) { size in
      GRUCell(
        inputSize: size, hiddenSize: hiddenSize, bias: bias, dtype: dtype, generator: generator)
    }
  }

  /// Creates the layers with the sizes in PyTorch's order, unlabeled, as `nn.GRU(10, 20)`:
  /// the same as `init(inputSize:hiddenSize:...)`.
  ///
  /// ```swift
  /// let gru = GRU(40, 6, batchFirst: true)
  /// ```
  public convenience init(
    _ inputSize: Int, _ hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
    batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
    dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    self.init(
      inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
      batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, dtype: dtype,
      generator: generator)
  }

  /// The outputs of the last layer at every step and the final hidden state of every layer and
  /// direction.
  ///
  /// - Parameters:
  ///   - input: `[T, N, inputSize]` (`[N, T, inputSize]` batch first) or `[T, inputSize]`.
  ///   - initialHidden: `[layerCount · directionCount, N, hiddenSize]`; zeros when nil.
  ///   - lengths: The number of valid steps of each of the N sequences; all T when nil.
  public func callAsFunction(
    _ input: Tensor, initialHidden: Tensor? = nil, lengths: [Int]? = nil
  ) -> (output: Tensor, hidden: Tensor) {
    reportingCall { () -> (output: Tensor, hidden: Tensor) in
      forward(input, initialHidden: initialHidden, lengths: lengths)
    } output: {
      $0.output
    }
  }

  /// The outputs of the last layer at every step, from zero initial states.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      callAsFunction(input, initialHidden: nil).output
    }
  }
}
