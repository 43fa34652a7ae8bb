import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

private func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

/// Sets a cell's four parameters from row-major values (float64 cells).
private func setWeights(
  _ cell: RecurrentCell, inputWeight: [Double], hiddenWeight: [Double], inputBias: [Double],
  hiddenBias: [Double]
) {
  cell.inputWeight.assign(tensor(inputWeight, cell.inputWeight.value.shape))
  cell.hiddenWeight.assign(tensor(hiddenWeight, cell.hiddenWeight.value.shape))
  cell.inputBias!.assign(tensor(inputBias, cell.inputBias!.value.shape))
  cell.hiddenBias!.assign(tensor(hiddenBias, cell.hiddenBias!.value.shape))
}

@Suite struct RecurrentCellTests {
  @Test func cellsUsePyTorchNamesShapesAndInitialization() {
    manualSeed(3)
    let cells: [(RecurrentCell, Int)] = [
      (RNNCell(inputSize: 3, hiddenSize: 5), 1), (LSTMCell(inputSize: 3, hiddenSize: 5), 4),
      (GRUCell(inputSize: 3, hiddenSize: 5), 3),
    ]
    for (cell, gates) in cells {
      let named = cell.namedParameters()
      #expect(named.map(\.name) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
      #expect(
        named.map(\.parameter.value.shape) == [
          [gates * 5, 3], [gates * 5, 5], [gates * 5], [gates * 5],
        ])
      let bound = 1 / 5.0.squareRoot()
      for (_, parameter) in named {
        let values = [Double](parameter.value)
        #expect(values.allSatisfy { abs($0) <= bound })
        #expect(Set(values).count == values.count)
      }
    }
    let noBias = LSTMCell(inputSize: 2, hiddenSize: 3, bias: false)
    #expect(noBias.namedParameters().map(\.name) == ["weight_ih", "weight_hh"])
    #expect(Set(noBias.stateDict().keys) == ["weight_ih", "weight_hh"])
  }

  @Test func rnnCellByHand() {
    for nonlinearity in [RNNNonlinearity.tanh, .relu] {
      let cell = RNNCell(inputSize: 1, hiddenSize: 1, nonlinearity: nonlinearity, dtype: .float64)
      setWeights(cell, inputWeight: [0.5], hiddenWeight: [-1], inputBias: [0.1], hiddenBias: [0.2])
      // 0.5·2 + 0.1 − 1·0.5 + 0.2 = 0.8 and 0.5·(−2) + 0.1 − 0.5 + 0.2 = −1.2.
      let up = cell(tensor([2], [1, 1]), hidden: tensor([0.5], [1, 1]))
      let down = cell(tensor([-2], [1, 1]), hidden: tensor([0.5], [1, 1]))
      if nonlinearity == .tanh {
        expectClose([Double](up), [Foundation.tanh(0.8)])
        expectClose([Double](down), [Foundation.tanh(-1.2)])
      } else {
        expectClose([Double](up), [0.8])
        expectClose([Double](down), [0])
      }
    }
  }

  @Test func lstmCellByHand() {
    let cell = LSTMCell(inputSize: 1, hiddenSize: 1, dtype: .float64)
    setWeights(
      cell, inputWeight: [0.1, 0.2, 0.3, 0.4], hiddenWeight: [-0.1, 0.5, 0.2, -0.3],
      inputBias: [0, 0.1, -0.1, 0.2], hiddenBias: [0.05, 0, 0, -0.05])
    let state = cell(
      tensor([1], [1, 1]),
      state: LSTMState(hidden: tensor([0.5], [1, 1]), cell: tensor([-0.25], [1, 1])))
    // Pre-activations with x = 1, h = 0.5: i 0.1 − 0.05 + 0 + 0.05 = 0.1, f 0.2 + 0.25 + 0.1 =
    // 0.55, g 0.3 + 0.1 − 0.1 = 0.3, o 0.4 − 0.15 + 0.2 − 0.05 = 0.4.
    let (i, f, g, o) = (sigmoid(0.1), sigmoid(0.55), Foundation.tanh(0.3), sigmoid(0.4))
    let c = f * -0.25 + i * g
    expectClose([Double](state.cell), [c])
    expectClose([Double](state.hidden), [o * Foundation.tanh(c)])
  }

  @Test func gruCellByHand() {
    let cell = GRUCell(inputSize: 1, hiddenSize: 1, dtype: .float64)
    setWeights(
      cell, inputWeight: [0.1, 0.2, 0.3], hiddenWeight: [0.4, -0.5, 0.6],
      inputBias: [0.01, 0.02, 0.03], hiddenBias: [-0.01, 0.05, 0.1])
    let next = cell(tensor([2], [1, 1]), hidden: tensor([-0.5], [1, 1]))
    // x = 2, h = −0.5: r = σ(0.21 − 0.21) = 0.5, z = σ(0.42 + 0.3),
    // n = tanh(0.63 + r·(−0.3 + 0.1)) = tanh(0.53).
    let (z, n) = (sigmoid(0.72), Foundation.tanh(0.53))
    expectClose([Double](next), [(1 - z) * n + z * -0.5])
  }

  @Test func unbatchedInputAndZeroStates() {
    manualSeed(1)
    let cell = GRUCell(inputSize: 3, hiddenSize: 4, dtype: .float64)
    let x = Tensor.randomNormal([3], dtype: .float64)
    let single = cell(x, hidden: nil)
    #expect(single.shape == [4])
    let batched = cell(x.unsqueezed(at: 0), hidden: Tensor.zeros([1, 4], dtype: .float64))
    expectClose([Double](single), [Double](batched))
    let lstm = LSTMCell(inputSize: 3, hiddenSize: 4, dtype: .float64)
    let state = lstm(x, state: nil)
    #expect(state.hidden.shape == [4] && state.cell.shape == [4])
    expectClose([Double](lstm(x)), [Double](state.hidden))
  }

  @Test(arguments: [RNNNonlinearity.tanh, .relu])
  func rnnCellGradientsThroughSixSteps(nonlinearity: RNNNonlinearity) {
    manualSeed(11)
    let cell = RNNCell(inputSize: 3, hiddenSize: 4, nonlinearity: nonlinearity)
    let inputs = [Tensor.randomNormal([6, 2, 3]), Tensor.randomNormal([2, 4])]
    let result = gradientCheck(cell, inputs: inputs) { module, values in
      let cell = module as! RNNCell
      var hidden = values[1]
      var outputs: [Tensor] = []
      for t in 0..<6 {
        hidden = cell(values[0][t], hidden: hidden)
        outputs.append(hidden)
      }
      return Tensor(stacking: outputs)
    }
    #expect(result.passed, "\(result)")
  }

  @Test func lstmCellGradientsThroughSixSteps() {
    manualSeed(12)
    let cell = LSTMCell(inputSize: 3, hiddenSize: 4)
    let inputs = [
      Tensor.randomNormal([6, 2, 3]), Tensor.randomNormal([2, 4]), Tensor.randomNormal([2, 4]),
    ]
    let result = gradientCheck(cell, inputs: inputs) { module, values in
      let cell = module as! LSTMCell
      var state = LSTMState(hidden: values[1], cell: values[2])
      var outputs: [Tensor] = []
      for t in 0..<6 {
        state = cell(values[0][t], state: state)
        outputs.append(state.hidden)
      }
      return Tensor(concatenating: [Tensor(stacking: outputs), state.cell.unsqueezed(at: 0)])
    }
    #expect(result.passed, "\(result)")
  }

  @Test func gruCellGradientsThroughSixSteps() {
    manualSeed(13)
    let cell = GRUCell(inputSize: 3, hiddenSize: 4)
    let inputs = [Tensor.randomNormal([6, 2, 3]), Tensor.randomNormal([2, 4])]
    let result = gradientCheck(cell, inputs: inputs) { module, values in
      let cell = module as! GRUCell
      var hidden = values[1]
      var outputs: [Tensor] = []
      for t in 0..<6 {
        hidden = cell(values[0][t], hidden: hidden)
        outputs.append(hidden)
      }
      return Tensor(stacking: outputs)
    }
    #expect(result.passed, "\(result)")
  }

  @Test func cellsWithoutBiasCheckToo() {
    manualSeed(14)
    let cell = LSTMCell(inputSize: 2, hiddenSize: 3, bias: false)
    let result = gradientCheck(cell, inputs: [Tensor.randomNormal([5, 2, 2])]) { module, values in
      let cell = module as! LSTMCell
      var state: LSTMState? = nil
      for t in 0..<5 { state = cell(values[0][t], state: state) }
      return state!.hidden
    }
    #expect(result.passed, "\(result)")
  }

  @Test func aThousandStepCellLoopBackpropagates() {
    manualSeed(15)
    let cell = LSTMCell(inputSize: 2, hiddenSize: 4)
    let x = Tensor.randomNormal([1000, 1, 2])
    var state: LSTMState? = nil
    for t in 0..<1000 { state = cell(x[t], state: state) }
    state!.hidden.sum().backward()
    let grad = [Double](cell.hiddenWeight.grad!)
    #expect(grad.allSatisfy { $0.isFinite } && grad.contains { $0 != 0 })
  }
}
