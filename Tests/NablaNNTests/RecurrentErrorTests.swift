import Testing

@testable import NablaNN

/// Input and states of the wrong shape stop with a message naming the expected and actual
/// shapes. Each test runs the failing call in a child process and reads what it printed.
@Suite struct RecurrentErrorTests {
  @Test func sequenceInputWithTheWrongFeatureCount() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = LSTM(inputSize: 4, hiddenSize: 8)(Tensor.zeros([5, 2, 3]))
    }
    expectMessage(
      result,
      "LSTM(4 -> 8): input of shape [5, 2, 3] does not match [steps, batch, 4] or [steps, 4]")
  }

  @Test func sequenceInputOfTheWrongRank() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = GRU(inputSize: 4, hiddenSize: 8, batchFirst: true)(Tensor.zeros([4]))
    }
    expectMessage(
      result, "GRU(4 -> 8): input of shape [4] does not match [batch, steps, 4] or [steps, 4]")
  }

  @Test func initialHiddenStateOfTheWrongShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let rnn = RNN(inputSize: 3, hiddenSize: 5, layerCount: 2, bidirectional: true)
      _ = rnn(Tensor.zeros([6, 2, 3]), initialHidden: Tensor.zeros([2, 2, 5]))
    }
    expectMessage(result, "RNN(3 -> 5): initial state of shape [2, 2, 5], expected [4, 2, 5]")
  }

  @Test func initialCellStateOfTheWrongShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let lstm = LSTM(inputSize: 3, hiddenSize: 5)
      let state = LSTMState(hidden: Tensor.zeros([1, 2, 5]), cell: Tensor.zeros([1, 2, 4]))
      _ = lstm(Tensor.zeros([6, 2, 3]), initialState: state)
    }
    expectMessage(result, "LSTM(3 -> 5): initial state of shape [1, 2, 4], expected [1, 2, 5]")
  }

  @Test func lengthsMustFitTheBatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = GRU(inputSize: 3, hiddenSize: 5)(Tensor.zeros([6, 2, 3]), lengths: [6, 7])
    }
    expectMessage(
      result, "GRU(3 -> 5): lengths [6, 7] must be 2 numbers in 0...6 for input of shape [6, 2, 3]")
  }

  @Test func cellInputWithTheWrongFeatureCount() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = LSTMCell(inputSize: 10, hiddenSize: 20)(Tensor.zeros([3, 7]))
    }
    expectMessage(
      result, "LSTMCell(10 -> 20): input of shape [3, 7] does not match [batch, 10] or [10]")
  }

  @Test func cellStateOfTheWrongShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = GRUCell(inputSize: 2, hiddenSize: 4)(Tensor.zeros([3, 2]), hidden: Tensor.zeros([2, 4]))
    }
    expectMessage(result, "GRUCell(2 -> 4): state of shape [2, 4], expected [3, 4]")
  }

  @Test(arguments: [4, 6, -1])
  func projectionSizeOutsideTheHiddenSize(projectionSize: Int) async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      [projectionSize] in
      _ = LSTM(inputSize: 3, hiddenSize: 4, projectionSize: projectionSize)
    }
    expectMessage(
      result,
      "LSTM: projectionSize \(projectionSize) must be in 0..<hiddenSize, with hiddenSize 4 "
        + "(0 means no projection)")
  }

  @Test func projectedHiddenStateOfTheHiddenSize() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let lstm = LSTM(inputSize: 3, hiddenSize: 5, bidirectional: true, projectionSize: 2)
      let state = LSTMState(hidden: Tensor.zeros([2, 4, 5]), cell: Tensor.zeros([2, 4, 5]))
      _ = lstm(Tensor.zeros([6, 4, 3]), initialState: state)
    }
    expectMessage(
      result,
      "LSTM(3 -> 5, projectionSize: 2): initial state of shape [2, 4, 5], expected [2, 4, 2]")
  }

  @Test func cellStateOfAProjectedLSTMKeepsTheHiddenSize() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let lstm = LSTM(inputSize: 3, hiddenSize: 5, projectionSize: 2)
      // Unbatched: the hidden state [1, 2] is right, the cell state must be [1, 5].
      let state = LSTMState(hidden: Tensor.zeros([1, 2]), cell: Tensor.zeros([1, 2]))
      _ = lstm(Tensor.zeros([6, 3]), initialState: state)
    }
    expectMessage(
      result, "LSTM(3 -> 5, projectionSize: 2): initial state of shape [1, 2], expected [1, 5]")
  }

  @Test func inputOfAnotherDtypeThanTheWeights() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = RNNCell(inputSize: 2, hiddenSize: 4)(Tensor.zeros([3, 2], dtype: .float64))
    }
    expectMessage(
      result, "RNNCell(2 -> 4): input is float64 but the weights are float32; convert one of them")
  }
}
