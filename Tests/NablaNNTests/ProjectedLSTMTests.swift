import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// The output and both final states of `lstm`, flattened into one tensor for gradient checks.
private func flatRun(
  _ lstm: LSTM, _ input: Tensor, states: [Tensor]? = nil, lengths: [Int]? = nil
) -> Tensor {
  let initial = states.map { LSTMState(hidden: $0[0], cell: $0[1]) }
  let (output, final) = lstm(input, initialState: initial, lengths: lengths)
  return Tensor(concatenating: [output, final.hidden, final.cell].map { $0.flattened() })
}

/// `LSTM` with projections (`projectionSize`, PyTorch's `proj_size`): parameters, shapes,
/// gradients through time, and the paths around the fused recurrence (dropout, stepping a
/// layer's cell). The values are compared with PyTorch's in RecurrentFixtureTests.
@Suite struct ProjectedLSTMTests {
  @Test func parametersHavePyTorchsNamesShapesAndOrder() {
    let lstm = LSTM(
      inputSize: 3, hiddenSize: 5, layerCount: 2, bidirectional: true, projectionSize: 2)
    var expected: [String] = []
    for layer in 0..<2 {
      for suffix in ["", "_reverse"] {
        expected += ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"].map {
          "\($0)_l\(layer)\(suffix)"
        }
      }
    }
    let named = lstm.namedParameters()
    #expect(named.map(\.name) == expected)
    let shapes = Dictionary(uniqueKeysWithValues: named.map { ($0.name, $0.parameter.value.shape) })
    #expect(shapes["weight_ih_l0"] == [20, 3] && shapes["weight_hh_l0"] == [20, 2])
    #expect(shapes["weight_hr_l0"] == [2, 5] && shapes["weight_hr_l1_reverse"] == [2, 5])
    #expect(shapes["weight_ih_l1"] == [20, 4] && shapes["bias_hh_l1_reverse"] == [20])
    #expect(lstm.projectionSize == 2)
    #expect(lstm.cells[3].projectionWeight?.value.shape == [2, 5])
    let bound = 1 / 5.0.squareRoot()
    #expect([Float](lstm.cells[0].projectionWeight!.value).allSatisfy { abs(Double($0)) <= bound })

    let plain = LSTM(inputSize: 3, hiddenSize: 5)
    #expect(plain.projectionSize == 0 && plain.cells[0].projectionWeight == nil)
    #expect(!plain.namedParameters().map(\.name).contains("weight_hr_l0"))
    let noBias = LSTM(inputSize: 3, hiddenSize: 5, bias: false, projectionSize: 4)
    #expect(
      noBias.namedParameters().map(\.name) == ["weight_ih_l0", "weight_hh_l0", "weight_hr_l0"])
  }

  @Test func outputAndHiddenStateHaveTheProjectionSize() {
    manualSeed(41)
    let lstm = LSTM(
      inputSize: 3, hiddenSize: 5, layerCount: 2, batchFirst: true, bidirectional: true,
      projectionSize: 2)
    let (output, state) = lstm(Tensor.randomNormal([4, 7, 3]))
    #expect(output.shape == [4, 7, 4])
    #expect(state.hidden.shape == [4, 4, 2] && state.cell.shape == [4, 4, 5])
    let (single, singleState) = lstm(Tensor.randomNormal([7, 3]))
    #expect(single.shape == [7, 4])
    #expect(singleState.hidden.shape == [4, 2] && singleState.cell.shape == [4, 5])
    // Given initial states of those shapes, it runs from them.
    let (_, again) = lstm(
      Tensor.randomNormal([4, 7, 3]), initialState: state, lengths: [7, 0, 3, 5])
    #expect([Float](again.hidden[0..., 1]) == [Float](state.hidden[0..., 1]))
    #expect([Float](again.cell[0..., 1]) == [Float](state.cell[0..., 1]))
    #expect(lstm(Tensor.randomNormal([2, 6, 3])).shape == [2, 6, 4])
  }

  @Test(arguments: [true, false])
  func gradientsOfTwoBidirectionalLayersThroughFiveSteps(bias: Bool) {
    manualSeed(42)
    let lstm = LSTM(
      inputSize: 2, hiddenSize: 4, layerCount: 2, bias: bias, bidirectional: true,
      projectionSize: 3)
    let states = [Tensor.randomNormal([4, 2, 3]), Tensor.randomNormal([4, 2, 4])]
    let result = gradientCheck(lstm, inputs: [Tensor.randomNormal([5, 2, 2])] + states) {
      module, values in
      flatRun(module as! LSTM, values[0], states: Array(values.dropFirst()))
    }
    #expect(result.passed, "\(result)")
  }

  @Test func gradientsWithLengthsBatchFirst() {
    manualSeed(43)
    let lstm = LSTM(
      inputSize: 2, hiddenSize: 4, layerCount: 2, batchFirst: true, bidirectional: true,
      projectionSize: 2)
    let states = [Tensor.randomNormal([4, 3, 2]), Tensor.randomNormal([4, 3, 4])]
    let result = gradientCheck(lstm, inputs: [Tensor.randomNormal([3, 6, 2])] + states) {
      module, values in
      flatRun(
        module as! LSTM, values[0], states: Array(values.dropFirst()), lengths: [6, 2, 0])
    }
    #expect(result.passed, "\(result)")
  }

  @Test func paddedStepsGetNoGradient() {
    manualSeed(44)
    let lstm = LSTM(
      inputSize: 2, hiddenSize: 4, bidirectional: true, projectionSize: 2, dtype: .float64)
    let x = Tensor.randomNormal([5, 2, 2], dtype: .float64).requiringGrad()
    flatRun(lstm, x, lengths: [5, 3]).squared().sum().backward()
    let grad = try! #require(x.grad)
    #expect([Double](grad[3..., 1]).allSatisfy { $0 == 0 })
    #expect([Double](grad[0..<3, 1]).allSatisfy { $0 != 0 })
    #expect([Double](grad[3..., 0]).allSatisfy { $0 != 0 })
  }

  @Test func float32GradientsAgreeWithFloat64() throws {
    manualSeed(45)
    let wide = LSTM(
      inputSize: 3, hiddenSize: 5, layerCount: 2, bidirectional: true, projectionSize: 3,
      dtype: .float64)
    let narrow = LSTM(
      inputSize: 3, hiddenSize: 5, layerCount: 2, bidirectional: true, projectionSize: 3,
      dtype: .float32)
    try narrow.loadStateDict(wide.stateDict())
    let x = Tensor.randomNormal([6, 2, 3], dtype: .float64)
    var inputGradients: [[Double]] = []
    for (lstm, dtype) in [(wide, DType.float64), (narrow, .float32)] {
      let input = x.converted(to: dtype).requiringGrad()
      flatRun(lstm, input, lengths: [6, 4]).squared().sum().backward()
      inputGradients.append([Double](input.grad!))
    }
    expectClose(inputGradients[1], inputGradients[0], tolerance: 1e-4)
    for (a, b) in zip(wide.parameters(), narrow.parameters()) {
      expectClose([Double](b.grad!), [Double](a.grad!), tolerance: 1e-4)
    }
  }

  @Test func aLayersCellSteppedByHandGivesTheLayersOutputs() {
    manualSeed(46)
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, projectionSize: 2, dtype: .float64)
    let x = Tensor.randomNormal([5, 2, 3], dtype: .float64)
    let start = LSTMState(
      hidden: Tensor.randomNormal([1, 2, 2], dtype: .float64),
      cell: Tensor.randomNormal([1, 2, 4], dtype: .float64))
    let (output, final) = lstm(x, initialState: start)
    let cell = lstm.cells[0] as! LSTMCell
    var state = LSTMState(hidden: start.hidden[0], cell: start.cell[0])
    for t in 0..<5 {
      state = cell(x[t], state: state)
      expectClose([Double](state.hidden), [Double](output[t]))
    }
    expectClose([Double](state.hidden), [Double](final.hidden[0]))
    expectClose([Double](state.cell), [Double](final.cell[0]))
  }

  @Test func dropoutActsBetweenLayersInTrainingOnly() {
    manualSeed(47)
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, dropout: 0.5, projectionSize: 2)
    let x = Tensor.randomNormal([5, 2, 3])
    #expect([Float](lstm(x)) != [Float](lstm(x)))
    lstm.eval()
    let evaluated = [Float](lstm(x))
    #expect(evaluated == [Float](lstm(x)))
    let plain = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, projectionSize: 2)
    try! plain.loadStateDict(lstm.stateDict())
    #expect([Float](plain(x)) == evaluated)
  }

  @Test func aProjectedStateDictDoesNotLoadIntoAPlainLSTM() {
    let projected = LSTM(inputSize: 3, hiddenSize: 4, projectionSize: 2)
    let plain = LSTM(inputSize: 3, hiddenSize: 4)
    #expect(throws: (any Error).self) { try plain.loadStateDict(projected.stateDict()) }
    #expect(throws: (any Error).self) { try projected.loadStateDict(plain.stateDict()) }
  }
}
