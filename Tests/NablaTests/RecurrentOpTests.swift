import Testing

@testable import Nabla

/// The fused recurrence op on its own: its hand-written backward (back-propagation through time
/// over the fused step kernels) against central differences, for every cell, both directions,
/// with and without biases, and with variable lengths including an empty sequence.
@Suite struct RecurrentOpTests {
  static let kinds: [RecurrenceKind] = [.tanh, .relu, .lstm, .gru]

  /// Random operands for `steps` steps of a batch of 3 with hidden size 4.
  func operands(_ kind: RecurrenceKind, steps: Int) -> [Tensor] {
    let width = kind.gateCount * 4
    var values = [
      Tensor.randomNormal([steps, 3, width], dtype: .float64),
      Tensor.randomNormal([3, 4], dtype: .float64),
      Tensor.randomNormal([width, 4], standardDeviation: 0.5, dtype: .float64),
      Tensor.randomNormal([width], dtype: .float64),
    ]
    if kind == .lstm { values.append(Tensor.randomNormal([3, 4], dtype: .float64)) }
    return values
  }

  func apply(
    _ kind: RecurrenceKind, _ values: [Tensor], bias: Bool, lengths: [Int]?, reverse: Bool
  ) -> Tensor {
    let result = Tensor.recurrence(
      kind, projectedInput: values[0], initialHidden: values[1],
      initialCell: kind == .lstm ? values[4] : nil, hiddenWeight: values[2],
      hiddenBias: bias ? values[3] : nil, lengths: lengths, reverse: reverse)
    // The outputs, then the final hidden state and (LSTM) the final cell state, as rows.
    let finals = [result.hidden, result.cell].compactMap { $0?.unsqueezed(at: 0) }
    return Tensor(concatenating: [result.output] + finals)
  }

  @Test(arguments: kinds, [false, true])
  func gradientsThroughSixSteps(kind: RecurrenceKind, reverse: Bool) {
    manualSeed(31)
    let inputs = operands(kind, steps: 6)
    for (bias, lengths) in [(true, nil), (false, [6, 0, 4])] as [(Bool, [Int]?)] {
      let result = gradientCheck(at: inputs) { values in
        apply(kind, values, bias: bias, lengths: lengths, reverse: reverse)
      }
      #expect(result.passed, "bias \(bias), lengths \(String(describing: lengths)): \(result)")
    }
  }

  @Test(arguments: kinds)
  func anEmptySequenceKeepsItsInitialState(kind: RecurrenceKind) {
    manualSeed(32)
    let values = operands(kind, steps: 4)
    for reverse in [false, true] {
      let packed = apply(kind, values, bias: true, lengths: [4, 0, 2], reverse: reverse)
      #expect([Double](packed[0..<4, 1]).allSatisfy { $0 == 0 })
      #expect([Double](packed[4, 1]) == [Double](values[1][1]))
      if kind == .lstm { #expect([Double](packed[5, 1]) == [Double](values[4][1])) }
    }
  }
}

/// A batch large enough to be split into blocks of rows, one per thread, gives the values and
/// gradients it gives on one thread, to the bit: every cell and the projected LSTM, both
/// directions, variable lengths, blocks of odd sizes, sizes off the vector width.
@Suite(.serialized) struct RecurrenceThreadTests {
  /// Expects `run` (values and gradients) to give the same at 2 and 3 threads as at 1.
  func expectSameAtEveryThreadCount(_ label: String, _ run: () -> [Float]) {
    defer { Parallelism.threadCount = 0 }
    Parallelism.threadCount = 1
    let reference = run()
    for threads in [2, 3] {
      Parallelism.threadCount = threads
      let differing = zip(run(), reference).count { $0 != $1 }
      #expect(differing == 0, "\(label), \(threads) threads: \(differing) values differ")
    }
  }

  /// Values, then the gradients of `inputs` that have one, after back-propagating from the sum
  /// of the squared values.
  func valuesAndGradients(_ inputs: [Tensor], _ apply: ([Tensor]) -> Tensor) -> [Float] {
    let inputs = inputs.map { $0.requiringGrad() }
    let values = apply(inputs)
    (values * values).sum().backward()
    return [Float](values) + inputs.flatMap { $0.grad.map { [Float]($0) } ?? [] }
  }

  static let cases: [(reverse: Bool, lengths: [Int]?)] = [
    (false, nil), (false, (0..<80).map { $0 % 6 }), (true, (0..<80).map { $0 % 6 }),
  ]

  @Test(arguments: RecurrentOpTests.kinds)
  func threadCountDoesNotChangeTheRecurrence(kind: RecurrenceKind) {
    // 80 rows of hidden size 40 make 2 or 3 blocks of 26 to 40 rows.
    let (steps, batch, hidden) = (5, 80, 40)
    let width = kind.gateCount * hidden
    let generator = RandomGenerator(seed: 48)
    let values = [
      Tensor.randomNormal([steps, batch, width], generator: generator),
      Tensor.randomNormal([batch, hidden], generator: generator),
      Tensor.randomNormal([width, hidden], standardDeviation: 0.2, generator: generator),
      Tensor.randomNormal([width], generator: generator),
      Tensor.randomNormal([batch, hidden], generator: generator),
    ]
    for (reverse, lengths) in Self.cases {
      expectSameAtEveryThreadCount("\(kind) reverse \(reverse) lengths \(lengths != nil)") {
        valuesAndGradients(values) { inputs in
          RecurrentOpTests().apply(kind, inputs, bias: true, lengths: lengths, reverse: reverse)
        }
      }
    }
  }

  @Test func threadCountDoesNotChangeTheProjectedLSTM() {
    // 80 rows of projection size 40 make 2 or 3 blocks of 26 to 40 rows.
    let (steps, batch, hidden, projection) = (5, 80, 50, 40)
    let generator = RandomGenerator(seed: 49)
    let values = [
      Tensor.randomNormal([steps, batch, 4 * hidden], generator: generator),
      Tensor.randomNormal([batch, projection], generator: generator),
      Tensor.randomNormal([batch, hidden], generator: generator),
      Tensor.randomNormal([4 * hidden, projection], standardDeviation: 0.2, generator: generator),
      Tensor.randomNormal([projection, hidden], standardDeviation: 0.2, generator: generator),
      Tensor.randomNormal([4 * hidden], generator: generator),
    ]
    for (reverse, lengths) in Self.cases {
      expectSameAtEveryThreadCount("reverse \(reverse) lengths \(lengths != nil)") {
        valuesAndGradients(values) { inputs in
          ProjectedRecurrenceOpTests().apply(
            inputs, bias: true, lengths: lengths, reverse: reverse)
        }
      }
    }
  }
}
