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
    Tensor.recurrence(
      kind, projectedInput: values[0], initialHidden: values[1],
      initialCell: kind == .lstm ? values[4] : nil, hiddenWeight: values[2],
      hiddenBias: bias ? values[3] : nil, lengths: lengths, reverse: reverse)
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
