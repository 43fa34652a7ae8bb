import Foundation
import Testing

@testable import NablaNN

/// Weights saved under PyTorch's state-dict names load into Nabla's layers and give the outputs
/// of the reference.
///
/// The reference is NOT PyTorch: PyTorch cannot be installed where this project is built, so
/// Fixtures/make_rnn_fixtures.py implements the equations PyTorch documents for `nn.LSTM`,
/// `nn.GRU` and `nn.RNN` (gate orders, stacking, the reverse direction, packed sequences) in
/// NumPy, in float64, and saved its weights, inputs and outputs in recurrent.safetensors.
@Suite struct RecurrentFixtureTests {
  /// The tensors of one case whose names start with `prefix.`, without the prefix.
  func fixture(_ prefix: String) throws -> [String: Tensor] {
    let resources = try #require(Bundle.module.resourceURL)
    let url = resources.appendingPathComponent("Fixtures/recurrent.safetensors")
    var result: [String: Tensor] = [:]
    for (name, tensor) in try SafeTensors.read(from: url).tensors where name.hasPrefix(prefix + ".")
    {
      result[String(name.dropFirst(prefix.count + 1))] = tensor
    }
    return result
  }

  /// The weights only: the names a PyTorch state dict has.
  func stateDict(_ case: [String: Tensor]) -> [String: Tensor] {
    `case`.filter { $0.key.hasPrefix("weight_") || $0.key.hasPrefix("bias_") }
  }

  func expectMatch(
    _ actual: Tensor, _ expected: Tensor?, tolerance: Double,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard let expected else {
      Issue.record("missing reference tensor", sourceLocation: sourceLocation)
      return
    }
    #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
    let worst = zip([Double](actual), [Double](expected)).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= tolerance, "max difference \(worst)", sourceLocation: sourceLocation)
  }

  @Test(arguments: [DType.float64, .float32])
  func lstmMatchesTheReference(dtype: DType) throws {
    let data = try fixture("lstm")
    // Two layers, bidirectional, fed batch first to check that layout too.
    let lstm = LSTM(
      inputSize: 3, hiddenSize: 4, layerCount: 2, batchFirst: true, bidirectional: true,
      dtype: dtype)
    try lstm.loadStateDict(stateDict(data))
    let x = data["input"]!.converted(to: dtype).transposed(0, 1)
    let state = LSTMState(
      hidden: data["h0"]!.converted(to: dtype), cell: data["c0"]!.converted(to: dtype))
    let tolerance = dtype == .float64 ? 1e-12 : 1e-5
    let (output, final) = lstm(x, initialState: state)
    expectMatch(output.transposed(0, 1), data["output"], tolerance: tolerance)
    expectMatch(final.hidden, data["h_n"], tolerance: tolerance)
    expectMatch(final.cell, data["c_n"], tolerance: tolerance)

    let lengths = [Int](data["lengths"]!)
    let (packed, packedFinal) = lstm(x, initialState: state, lengths: lengths)
    expectMatch(packed.transposed(0, 1), data["packed_output"], tolerance: tolerance)
    expectMatch(packedFinal.hidden, data["packed_h_n"], tolerance: tolerance)
    expectMatch(packedFinal.cell, data["packed_c_n"], tolerance: tolerance)
  }

  @Test(arguments: [DType.float64, .float32])
  func gruMatchesTheReference(dtype: DType) throws {
    let data = try fixture("gru")
    let gru = GRU(inputSize: 3, hiddenSize: 5, layerCount: 2, bidirectional: true, dtype: dtype)
    try gru.loadStateDict(stateDict(data))
    let x = data["input"]!.converted(to: dtype)
    let h0 = data["h0"]!.converted(to: dtype)
    let tolerance = dtype == .float64 ? 1e-12 : 1e-5
    let (output, hidden) = gru(x, initialHidden: h0)
    expectMatch(output, data["output"], tolerance: tolerance)
    expectMatch(hidden, data["h_n"], tolerance: tolerance)

    let lengths = [Int](data["lengths"]!)
    let (packed, packedHidden) = gru(x, initialHidden: h0, lengths: lengths)
    expectMatch(packed, data["packed_output"], tolerance: tolerance)
    expectMatch(packedHidden, data["packed_h_n"], tolerance: tolerance)
  }

  @Test func rnnMatchesTheReference() throws {
    let data = try fixture("rnn")
    let rnn = RNN(inputSize: 2, hiddenSize: 3, bidirectional: true, dtype: .float64)
    try rnn.loadStateDict(stateDict(data))
    let x = data["input"]!.converted(to: .float64)
    let h0 = data["h0"]!.converted(to: .float64)
    let (output, hidden) = rnn(x, initialHidden: h0)
    expectMatch(output, data["output"], tolerance: 1e-12)
    expectMatch(hidden, data["h_n"], tolerance: 1e-12)
    let lengths = [Int](data["lengths"]!)
    let (packed, packedHidden) = rnn(x, initialHidden: h0, lengths: lengths)
    expectMatch(packed, data["packed_output"], tolerance: 1e-12)
    expectMatch(packedHidden, data["packed_h_n"], tolerance: 1e-12)
  }
}
