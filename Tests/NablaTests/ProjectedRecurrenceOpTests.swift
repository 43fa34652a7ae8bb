import Testing

@testable import Nabla

/// The fused recurrence of an LSTM with projections on its own: its hand-written backward
/// against central differences in both directions, with and without a bias, with variable
/// lengths including an empty sequence, and its values against the same LSTM written with
/// primitive ops.
@Suite struct ProjectedRecurrenceOpTests {
  /// Random operands for `steps` steps of a batch of 3, hidden size 4, projection size 2:
  /// projected input, initial hidden and cell states, W_hh, W_hr, b_hh.
  func operands(steps: Int) -> [Tensor] {
    [
      Tensor.randomNormal([steps, 3, 16], dtype: .float64),
      Tensor.randomNormal([3, 2], dtype: .float64),
      Tensor.randomNormal([3, 4], dtype: .float64),
      Tensor.randomNormal([16, 2], standardDeviation: 0.5, dtype: .float64),
      Tensor.randomNormal([2, 4], standardDeviation: 0.5, dtype: .float64),
      Tensor.randomNormal([16], dtype: .float64),
    ]
  }

  /// The op's output and final states, flattened into one tensor.
  func apply(_ values: [Tensor], bias: Bool, lengths: [Int]?, reverse: Bool) -> Tensor {
    let result = Tensor.recurrence(
      .lstm, projectedInput: values[0], initialHidden: values[1], initialCell: values[2],
      hiddenWeight: values[3], hiddenBias: bias ? values[5] : nil, projectionWeight: values[4],
      lengths: lengths, reverse: reverse)
    return Tensor(
      concatenating: [result.output, result.hidden, result.cell!].map { $0.flattened() })
  }

  @Test(arguments: [false, true])
  func gradientsThroughSixSteps(reverse: Bool) {
    manualSeed(51)
    let inputs = operands(steps: 6)
    for (bias, lengths) in [(true, nil), (false, [6, 0, 4]), (true, [2, 6, 5])] as [(Bool, [Int]?)]
    {
      let result = gradientCheck(at: inputs) { values in
        apply(values, bias: bias, lengths: lengths, reverse: reverse)
      }
      #expect(result.passed, "bias \(bias), lengths \(String(describing: lengths)): \(result)")
    }
  }

  @Test func matchesTheLSTMWrittenWithPrimitiveOps() {
    manualSeed(52)
    let values = operands(steps: 5)
    let (x, weight, projection, bias) = (values[0], values[3], values[4], values[5])
    for reverse in [false, true] {
      let result = Tensor.recurrence(
        .lstm, projectedInput: x, initialHidden: values[1], initialCell: values[2],
        hiddenWeight: weight, hiddenBias: bias, projectionWeight: projection, lengths: nil,
        reverse: reverse)
      var (h, c) = (values[1], values[2])
      for t in reverse ? Array((0..<5).reversed()) : Array(0..<5) {
        let gates = x[t] + h.matmul(weight.transposed()) + bias
        let i = gates.narrowed(alongAxis: 1, start: 0, length: 4).sigmoid()
        let f = gates.narrowed(alongAxis: 1, start: 4, length: 4).sigmoid()
        let g = gates.narrowed(alongAxis: 1, start: 8, length: 4).tanh()
        let o = gates.narrowed(alongAxis: 1, start: 12, length: 4).sigmoid()
        c = f * c + i * g
        h = (o * c.tanh()).matmul(projection.transposed())
        #expect(isClose([Double](result.output[t]), [Double](h)))
      }
      #expect(isClose([Double](result.hidden), [Double](h)))
      #expect(isClose([Double](result.cell!), [Double](c)))
    }
  }

  @Test func anEmptySequenceKeepsItsInitialState() {
    manualSeed(53)
    let values = operands(steps: 4)
    for reverse in [false, true] {
      let result = Tensor.recurrence(
        .lstm, projectedInput: values[0], initialHidden: values[1], initialCell: values[2],
        hiddenWeight: values[3], hiddenBias: values[5], projectionWeight: values[4],
        lengths: [4, 0, 2], reverse: reverse)
      #expect([Double](result.output[0..., 1]).allSatisfy { $0 == 0 })
      #expect([Double](result.output[2..., 2]).allSatisfy { $0 == 0 })
      #expect([Double](result.hidden[1]) == [Double](values[1][1]))
      #expect([Double](result.cell![1]) == [Double](values[2][1]))
    }
  }

  /// Whether two arrays agree elementwise to 1e-12.
  func isClose(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 }
  }
}
