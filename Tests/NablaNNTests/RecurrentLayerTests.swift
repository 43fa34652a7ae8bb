import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// Everything a sequence layer returns, flattened into one tensor for gradient checks.
private func flat(_ parts: [Tensor]) -> Tensor {
  Tensor(concatenating: parts.map { $0.flattened() })
}

/// Runs an RNN, LSTM or GRU with optional initial states and lengths; returns the output and
/// the final states.
private func run(
  _ layer: RecurrentLayer, _ input: Tensor, states: [Tensor]? = nil, lengths: [Int]? = nil
) -> [Tensor] {
  switch layer {
  case let lstm as LSTM:
    let state = states.map { LSTMState(hidden: $0[0], cell: $0[1]) }
    let (output, final) = lstm(input, initialState: state, lengths: lengths)
    return [output, final.hidden, final.cell]
  case let gru as GRU:
    let (output, hidden) = gru(input, initialHidden: states?[0], lengths: lengths)
    return [output, hidden]
  case let rnn as RNN:
    let (output, hidden) = rnn(input, initialHidden: states?[0], lengths: lengths)
    return [output, hidden]
  default:
    fatalError("unknown layer \(layer)")
  }
}

private enum Kind: String, CaseIterable, Sendable {
  case rnnTanh, rnnRelu, lstm, gru

  func make(
    _ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false,
    batchFirst: Bool = false, dropout: Double = 0, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> RecurrentLayer {
    switch self {
    case .rnnTanh, .rnnRelu:
      RNN(
        inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layers,
        nonlinearity: self == .rnnTanh ? .tanh : .relu, batchFirst: batchFirst, dropout: dropout,
        bidirectional: bidirectional, dtype: dtype, generator: generator)
    case .lstm:
      LSTM(
        inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layers, batchFirst: batchFirst,
        dropout: dropout, bidirectional: bidirectional, dtype: dtype, generator: generator)
    case .gru:
      GRU(
        inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layers, batchFirst: batchFirst,
        dropout: dropout, bidirectional: bidirectional, dtype: dtype, generator: generator)
    }
  }

  var stateCount: Int { self == .lstm ? 2 : 1 }
}

@Suite struct RecurrentLayerTests {
  @Test func parameterNamesAndShapesArePyTorchs() {
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true)
    var expected: [String] = []
    for layer in 0..<2 {
      for suffix in ["", "_reverse"] {
        expected += ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map {
          "\($0)_l\(layer)\(suffix)"
        }
      }
    }
    let named = lstm.namedParameters()
    #expect(named.map(\.name) == expected)
    let shapes = Dictionary(uniqueKeysWithValues: named.map { ($0.name, $0.parameter.value.shape) })
    #expect(shapes["weight_ih_l0"] == [16, 3] && shapes["weight_ih_l1_reverse"] == [16, 8])
    #expect(shapes["weight_hh_l1"] == [16, 4] && shapes["bias_hh_l0_reverse"] == [16])
    let gru = GRU(inputSize: 2, hiddenSize: 5, bias: false)
    #expect(gru.namedParameters().map(\.name) == ["weight_ih_l0", "weight_hh_l0"])
    #expect(gru.cells[0].inputWeight.value.shape == [15, 2])

    // Inside another module the names get the usual dotted prefix.
    final class Tagger: Module, @unchecked Sendable {
      let encoder = GRU(inputSize: 2, hiddenSize: 3)
      let head = Linear(3, 2)
    }
    #expect(
      Tagger().namedParameters().map(\.name) == [
        "encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0",
        "encoder.bias_hh_l0", "head.weight", "head.bias",
      ])
  }

  @Test(arguments: Kind.allCases)
  fileprivate func shapesFollowPyTorch(kind: Kind) {
    manualSeed(2)
    let layer = kind.make(3, 4, layers: 2, bidirectional: true, batchFirst: true)
    let parts = run(layer, Tensor.randomNormal([5, 7, 3]))
    #expect(parts[0].shape == [5, 7, 8])
    for state in parts.dropFirst() { #expect(state.shape == [4, 5, 4]) }
    let unbatched = run(layer, Tensor.randomNormal([7, 3]))
    #expect(unbatched[0].shape == [7, 8])
    for state in unbatched.dropFirst() { #expect(state.shape == [4, 4]) }
    #expect(layer(Tensor.randomNormal([2, 6, 3])).shape == [2, 6, 8])
  }

  @Test func batchFirstIsTheTransposeOfTimeFirst() {
    manualSeed(4)
    let timeFirst = LSTM(inputSize: 3, hiddenSize: 4, bidirectional: true, dtype: .float64)
    let batchFirst = LSTM(
      inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true, dtype: .float64)
    try! batchFirst.loadStateDict(timeFirst.stateDict())
    let x = Tensor.randomNormal([5, 2, 3], dtype: .float64)
    let (a, stateA) = timeFirst(x)
    let (b, stateB) = batchFirst(x.transposed(0, 1))
    expectClose([Double](a), [Double](b.transposed(0, 1)))
    expectClose([Double](stateA.hidden), [Double](stateB.hidden))
    expectClose([Double](stateA.cell), [Double](stateB.cell))
  }

  @Test(arguments: Kind.allCases)
  fileprivate func gradientsOfTwoBidirectionalLayersThroughFiveSteps(kind: Kind) {
    manualSeed(21)
    let layer = kind.make(2, 3, layers: 2, bidirectional: true)
    let states = (0..<kind.stateCount).map { _ in Tensor.randomNormal([4, 2, 3]) }
    let result = gradientCheck(layer, inputs: [Tensor.randomNormal([5, 2, 2])] + states) {
      module, values in
      flat(run(module as! RecurrentLayer, values[0], states: Array(values.dropFirst())))
    }
    #expect(result.passed, "\(result)")
  }

  @Test(arguments: Kind.allCases)
  fileprivate func gradientsWithLengthsBatchFirst(kind: Kind) {
    manualSeed(22)
    let layer = kind.make(2, 3, layers: 2, bidirectional: true, batchFirst: true)
    let states = (0..<kind.stateCount).map { _ in Tensor.randomNormal([4, 3, 3]) }
    let result = gradientCheck(layer, inputs: [Tensor.randomNormal([3, 6, 2])] + states) {
      module, values in
      flat(
        run(
          module as! RecurrentLayer, values[0], states: Array(values.dropFirst()),
          lengths: [6, 2, 5]))
    }
    #expect(result.passed, "\(result)")
  }

  @Test(arguments: Kind.allCases)
  fileprivate func eachSequenceRunsAloneOverItsOwnLength(kind: Kind) {
    manualSeed(23)
    let layer = kind.make(2, 3, layers: 2, bidirectional: true, dtype: .float64)
    let x = Tensor.randomNormal([6, 3, 2], dtype: .float64)
    let states = (0..<kind.stateCount).map { _ in Tensor.randomNormal([4, 3, 3], dtype: .float64) }
    let lengths = [6, 2, 4]
    let padded = run(layer, x, states: states, lengths: lengths)
    for (b, length) in lengths.enumerated() {
      let alone = run(
        layer, x[0..<length, b..<(b + 1)], states: states.map { $0[0..., b..<(b + 1)] })
      expectClose([Double](padded[0][0..<length, b]), [Double](alone[0][0..., 0]))
      if length < 6 {
        #expect([Double](padded[0][length..., b]).allSatisfy { $0 == 0 })
      }
      for (final, single) in zip(padded.dropFirst(), alone.dropFirst()) {
        expectClose([Double](final[0..., b]), [Double](single[0..., 0]))
      }
    }
  }

  @Test(arguments: Kind.allCases)
  fileprivate func paddedStepsGetNoGradient(kind: Kind) {
    // A generator of its own: the global one is shared with suites running in parallel, and a
    // draw that leaves every ReLU unit dead would give zero gradients where the test wants some.
    let generator = RandomGenerator(seed: 24)
    let layer = kind.make(2, 3, bidirectional: true, dtype: .float64, generator: generator)
    let x = Tensor.randomNormal([5, 2, 2], dtype: .float64, generator: generator).requiringGrad()
    flat(run(layer, x, lengths: [5, 3])).squared().sum().backward()
    let grad = try! #require(x.grad)
    #expect([Double](grad[3..., 1]).allSatisfy { $0 == 0 })
    #expect([Double](grad[0..<3, 1]).allSatisfy { $0 != 0 })
    #expect([Double](grad[3..., 0]).allSatisfy { $0 != 0 })
  }

  @Test func dropoutActsBetweenLayersInTrainingOnly() {
    manualSeed(5)
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, dropout: 0.5)
    let x = Tensor.randomNormal([5, 2, 3])
    let first = [Float](lstm(x))
    let second = [Float](lstm(x))
    #expect(first != second)
    lstm.eval()
    let evaluated = [Float](lstm(x))
    #expect(evaluated == [Float](lstm(x)))
    let plain = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2)
    try! plain.loadStateDict(lstm.stateDict())
    #expect([Float](plain(x)) == evaluated)
    // One layer: nothing follows it, so dropout changes nothing even in training.
    let single = GRU(inputSize: 3, hiddenSize: 4, dropout: 0.5)
    #expect([Float](single(x)) == [Float](single(x)))
  }

  @Test func truncatedBackpropagationCarriesADetachedState() {
    manualSeed(6)
    let lstm = LSTM(inputSize: 2, hiddenSize: 3, batchFirst: true, dtype: .float64)
    let chunk1 = Tensor.randomNormal([2, 4, 2], dtype: .float64).requiringGrad()
    let chunk2 = Tensor.randomNormal([2, 4, 2], dtype: .float64).requiringGrad()
    let (_, carried) = lstm(chunk1)
    let (output, _) = lstm(chunk2, initialState: carried.detached())
    output.sum().backward()
    #expect(chunk1.grad == nil)
    #expect(chunk2.grad != nil)
    let weightGrad = [Double](lstm.cells[0].hiddenWeight.grad!)

    // The same chunk run from the same (constant) state gives the same weight gradient.
    lstm.zeroGradients()
    let constant = LSTMState(
      hidden: Tensor([Double](carried.hidden), shape: [1, 2, 3], dtype: .float64),
      cell: Tensor([Double](carried.cell), shape: [1, 2, 3], dtype: .float64))
    lstm(chunk2.detached(), initialState: constant).output.sum().backward()
    expectClose([Double](lstm.cells[0].hiddenWeight.grad!), weightGrad)

    // Without detaching, the second chunk's loss reaches the first chunk.
    let (_, attached) = lstm(chunk1)
    lstm(chunk2, initialState: attached).output.sum().backward()
    #expect(chunk1.grad != nil)
  }

  @Test func aThousandStepSequenceTrains() {
    manualSeed(7)
    let gru = GRU(inputSize: 1, hiddenSize: 8, batchFirst: true)
    let head = Linear(8, 1)
    let x = Tensor.randomNormal([2, 1000, 1])
    let target = Tensor([0.5, -0.5], shape: [2, 1])
    var losses: [Double] = []
    for _ in 0..<30 {
      let (output, _) = gru(x)
      let prediction = head(output[0..., 999])
      let loss = (prediction - target).squared().mean()
      losses.append(loss.item)
      gru.zeroGradients()
      head.zeroGradients()
      loss.backward()
      for parameter in gru.parameters() + head.parameters() {
        parameter.assign(parameter.value - parameter.grad! * 0.2)
      }
    }
    #expect(losses.allSatisfy { $0.isFinite })
    #expect(losses.last! < 0.5 * losses.first!, "losses \(losses)")
  }

  @Test(arguments: Kind.allCases)
  fileprivate func float32GradientsAgreeWithFloat64(kind: Kind) throws {
    manualSeed(25)
    let wide = kind.make(3, 4, layers: 2, bidirectional: true, dtype: .float64)
    let narrow = kind.make(3, 4, layers: 2, bidirectional: true, dtype: .float32)
    try narrow.loadStateDict(wide.stateDict())
    let x = Tensor.randomNormal([6, 2, 3], dtype: .float64)
    var inputGradients: [[Double]] = []
    for (layer, dtype) in [(wide, DType.float64), (narrow, .float32)] {
      let input = x.converted(to: dtype).requiringGrad()
      flat(run(layer, input, lengths: [6, 4])).squared().sum().backward()
      inputGradients.append([Double](input.grad!))
    }
    expectClose(inputGradients[1], inputGradients[0], tolerance: 1e-4)
    for (a, b) in zip(wide.parameters(), narrow.parameters()) {
      expectClose([Double](b.grad!), [Double](a.grad!), tolerance: 1e-4)
    }
  }

  @Test func sameGeneratorSeedGivesTheSameWeights() {
    let a = LSTM(inputSize: 3, hiddenSize: 4, generator: RandomGenerator(seed: 9))
    let b = LSTM(inputSize: 3, hiddenSize: 4, generator: RandomGenerator(seed: 9))
    for (x, y) in zip(a.parameters(), b.parameters()) {
      #expect([Float](x.value) == [Float](y.value))
    }
  }

  @Test func worksInsideSequential() {
    manualSeed(9)
    let model = Sequential {
      GRU(inputSize: 3, hiddenSize: 4, batchFirst: true, bidirectional: true)
      Linear(8, 2)
    }
    #expect(model(Tensor.randomNormal([5, 7, 3])).shape == [5, 7, 2])
    #expect(model.namedParameters().first?.name == "0.weight_ih_l0")
  }

  @Test func stateDictRoundTripGivesTheSameOutputs() throws {
    manualSeed(8)
    let source = GRU(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true)
    let copy = GRU(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true)
    try copy.loadStateDict(source.stateDict())
    let x = Tensor.randomNormal([4, 2, 3])
    #expect([Float](source(x)) == [Float](copy(x)))
  }
}

/// Sizes can be passed unlabeled, in PyTorch's order, as `nn.LSTM(40, 128, num_layers=2)`.
@Suite struct PositionalSizeTests {
  @Test func positionalAndLabeledSizesBuildTheSameLayers() {
    func shapes(_ module: Module) -> [String: [Int]] { module.stateDict().mapValues(\.shape) }
    #expect(
      shapes(LSTM(40, 128, layerCount: 2, bidirectional: true))
        == shapes(LSTM(inputSize: 40, hiddenSize: 128, layerCount: 2, bidirectional: true)))
    #expect(shapes(GRU(3, 5)) == shapes(GRU(inputSize: 3, hiddenSize: 5)))
    #expect(shapes(RNN(3, 5, bias: false)) == shapes(RNN(inputSize: 3, hiddenSize: 5, bias: false)))
    #expect(shapes(LSTMCell(3, 5)) == shapes(LSTMCell(inputSize: 3, hiddenSize: 5)))
    #expect(shapes(GRUCell(3, 5)) == shapes(GRUCell(inputSize: 3, hiddenSize: 5)))
    #expect(shapes(RNNCell(3, 5)) == shapes(RNNCell(inputSize: 3, hiddenSize: 5)))
    #expect(
      shapes(MultiHeadAttention(8, 2))
        == shapes(MultiHeadAttention(embedDimension: 8, headCount: 2)))
    #expect(LSTM(4, 6, layerCount: 3).stateDict()["weight_ih_l2"]?.shape == [24, 6])
  }
}
