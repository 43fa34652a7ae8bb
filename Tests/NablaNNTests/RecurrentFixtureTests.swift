import Foundation
import Testing

@testable import NablaNN

/// State dicts saved from PyTorch's `nn.RNN`, `nn.LSTM`, `nn.GRU` and their cells load into
/// Nabla's layers and give the outputs and final states PyTorch gave.
///
/// The reference is Fixtures/recurrent.safetensors, written by Fixtures/make_rnn_fixtures.py with
/// PyTorch itself (float64, eval mode). Loading is strict, so it also checks that the parameter
/// names and shapes are PyTorch's; the outputs check the gate orders (LSTM i, f, g, o; GRU r, z,
/// n), the stacking of layers and directions, and variable-length batches against
/// `pack_padded_sequence`.
@Suite struct RecurrentFixtureTests {
  let fixture: PyTorchFixture

  init() throws {
    fixture = try PyTorchFixture("recurrent")
  }

  /// How far Nabla may be from the float64 reference in `dtype`.
  func tolerance(_ dtype: DType) -> Double { dtype == .float64 ? 1e-12 : 5e-6 }

  /// The output and final states (hidden, then cell for an LSTM) of `layer`.
  func run(
    _ layer: RecurrentLayer, _ input: Tensor, hidden: Tensor?, cell: Tensor?, lengths: [Int]?
  ) -> (output: Tensor, states: [Tensor]) {
    switch layer {
    case let lstm as LSTM:
      let initial = hidden.map { LSTMState(hidden: $0, cell: cell!) }
      let (output, state) = lstm(input, initialState: initial, lengths: lengths)
      return (output, [state.hidden, state.cell])
    case let rnn as RNN:
      let (output, final) = rnn(input, initialHidden: hidden, lengths: lengths)
      return (output, [final])
    case let gru as GRU:
      let (output, final) = gru(input, initialHidden: hidden, lengths: lengths)
      return (output, [final])
    default:
      fatalError("not a recurrent layer: \(type(of: layer))")
    }
  }

  /// Loads the PyTorch state dict of `name` into `layer` (made in `dtype`) and compares its
  /// outputs and final states with PyTorch's, over the padded batch and, when the case has
  /// lengths, over the packed one.
  func expectMatchesPyTorch(
    _ name: String, _ layer: RecurrentLayer, dtype: DType,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    try layer.loadStateDict(fixture.state(name))
    layer.eval()
    let input = try fixture(name, "input").converted(to: dtype)
    let hidden = fixture.optional(name, "h0")?.converted(to: dtype)
    let cell = fixture.optional(name, "c0")?.converted(to: dtype)
    let stateNames = layer is LSTM ? ["h_n", "c_n"] : ["h_n"]
    let tolerance = tolerance(dtype)

    let (output, states) = run(layer, input, hidden: hidden, cell: cell, lengths: nil)
    expectMatch(
      output, try fixture(name, "output"), tolerance: tolerance, sourceLocation: sourceLocation)
    for (state, stateName) in zip(states, stateNames) {
      expectMatch(
        state, try fixture(name, stateName), tolerance: tolerance, sourceLocation: sourceLocation)
    }

    guard let lengths = fixture.optional(name, "lengths") else { return }
    let (packed, packedStates) = run(
      layer, input, hidden: hidden, cell: cell, lengths: [Int](lengths))
    expectMatch(
      packed, try fixture(name, "packed_output"), tolerance: tolerance,
      sourceLocation: sourceLocation)
    for (state, stateName) in zip(packedStates, stateNames) {
      expectMatch(
        state, try fixture(name, "packed_" + stateName), tolerance: tolerance,
        sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: [DType.float64, .float32])
  func tanhRNN(dtype: DType) throws {
    // nn.RNN(2, 3, bidirectional=True), time first, with a packed batch.
    let rnn = RNN(inputSize: 2, hiddenSize: 3, bidirectional: true, dtype: dtype)
    try expectMatchesPyTorch("rnn_tanh", rnn, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func reluRNN(dtype: DType) throws {
    // nn.RNN(3, 4, num_layers=3, nonlinearity="relu", batch_first=True, dropout=0.25), in eval
    // mode, from zero states, with a packed batch.
    let rnn = RNN(
      inputSize: 3, hiddenSize: 4, layerCount: 3, nonlinearity: .relu, batchFirst: true,
      dropout: 0.25, dtype: dtype)
    try expectMatchesPyTorch("rnn_relu", rnn, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func reluRNNWithoutBiases(dtype: DType) throws {
    // nn.RNN(3, 2, num_layers=2, nonlinearity="relu", bias=False, bidirectional=True).
    let rnn = RNN(
      inputSize: 3, hiddenSize: 2, layerCount: 2, nonlinearity: .relu, bias: false,
      bidirectional: true, dtype: dtype)
    try expectMatchesPyTorch("rnn_relu_nobias", rnn, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func lstm(dtype: DType) throws {
    // nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True), with a packed batch.
    let lstm = LSTM(
      inputSize: 3, hiddenSize: 4, layerCount: 2, batchFirst: true, bidirectional: true,
      dtype: dtype)
    try expectMatchesPyTorch("lstm", lstm, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func deepLSTM(dtype: DType) throws {
    // nn.LSTM(2, 3, num_layers=3, dropout=0.5), in eval mode, time first, with a packed batch.
    let lstm = LSTM(inputSize: 2, hiddenSize: 3, layerCount: 3, dropout: 0.5, dtype: dtype)
    try expectMatchesPyTorch("lstm_deep", lstm, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func unbatchedLSTMWithoutBiases(dtype: DType) throws {
    // nn.LSTM(4, 3, bias=False, bidirectional=True) over one sequence [T, 4].
    let lstm = LSTM(inputSize: 4, hiddenSize: 3, bias: false, bidirectional: true, dtype: dtype)
    try expectMatchesPyTorch("lstm_unbatched", lstm, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func projectedLSTM(dtype: DType) throws {
    // nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True, proj_size=2), with a
    // packed batch: h0 and h_n are [4, 3, 2], c0 and c_n [4, 3, 5], the output [3, 6, 4].
    let lstm = LSTM(
      inputSize: 3, hiddenSize: 5, layerCount: 2, batchFirst: true, bidirectional: true,
      projectionSize: 2, dtype: dtype)
    try expectMatchesPyTorch("lstm_proj", lstm, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func deepProjectedLSTMWithoutBiases(dtype: DType) throws {
    // nn.LSTM(4, 6, num_layers=3, bias=False, dropout=0.5, proj_size=3), in eval mode, time
    // first, with a packed batch.
    let lstm = LSTM(
      inputSize: 4, hiddenSize: 6, layerCount: 3, bias: false, dropout: 0.5, projectionSize: 3,
      dtype: dtype)
    try expectMatchesPyTorch("lstm_proj_deep", lstm, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func gru(dtype: DType) throws {
    // nn.GRU(3, 5, num_layers=2, bidirectional=True), time first, with a packed batch.
    let gru = GRU(inputSize: 3, hiddenSize: 5, layerCount: 2, bidirectional: true, dtype: dtype)
    try expectMatchesPyTorch("gru", gru, dtype: dtype)
  }

  @Test(arguments: [DType.float64, .float32])
  func batchFirstGRU(dtype: DType) throws {
    // nn.GRU(4, 3, num_layers=3, batch_first=True), from zero states, with a packed batch.
    let gru = GRU(inputSize: 4, hiddenSize: 3, layerCount: 3, batchFirst: true, dtype: dtype)
    try expectMatchesPyTorch("gru_batch_first", gru, dtype: dtype)
  }

  /// Loads the PyTorch state dict of `name` into `cell`, steps it over the case's inputs from
  /// its initial state (hidden, then cell for an LSTM) as the script stepped PyTorch's, and
  /// compares the state after every step.
  func expectStepsMatchPyTorch(
    _ name: String, _ cell: RecurrentCell, dtype: DType,
    sourceLocation: SourceLocation = #_sourceLocation,
    step: (_ input: Tensor, _ state: [Tensor]) -> [Tensor]
  ) throws {
    try cell.loadStateDict(fixture.state(name))
    let inputs = try fixture(name, "input").converted(to: dtype)
    var state = ["h0", "c0"].compactMap { fixture.optional(name, $0)?.converted(to: dtype) }
    var history = [[Tensor]](repeating: [], count: state.count)
    for time in 0..<inputs.shape[0] {
      state = step(inputs[time], state)
      for index in state.indices { history[index].append(state[index]) }
    }
    for (steps, item) in zip(history, ["hidden", "cell"]) {
      expectMatch(
        Tensor(stacking: steps, alongAxis: 0), try fixture(name, item),
        tolerance: tolerance(dtype), sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: [DType.float64, .float32])
  func reluRNNCell(dtype: DType) throws {
    // nn.RNNCell(3, 4, nonlinearity="relu"), three steps.
    let cell = RNNCell(inputSize: 3, hiddenSize: 4, nonlinearity: .relu, dtype: dtype)
    try expectStepsMatchPyTorch("rnn_cell", cell, dtype: dtype) { x, state in
      [cell(x, hidden: state[0])]
    }
  }

  @Test(arguments: [DType.float64, .float32])
  func lstmCell(dtype: DType) throws {
    // nn.LSTMCell(3, 4), three steps.
    let cell = LSTMCell(inputSize: 3, hiddenSize: 4, dtype: dtype)
    try expectStepsMatchPyTorch("lstm_cell", cell, dtype: dtype) { x, state in
      let next = cell(x, state: LSTMState(hidden: state[0], cell: state[1]))
      return [next.hidden, next.cell]
    }
  }

  @Test(arguments: [DType.float64, .float32])
  func gruCell(dtype: DType) throws {
    // nn.GRUCell(3, 4), three steps.
    let cell = GRUCell(inputSize: 3, hiddenSize: 4, dtype: dtype)
    try expectStepsMatchPyTorch("gru_cell", cell, dtype: dtype) { x, state in
      [cell(x, hidden: state[0])]
    }
  }
}
