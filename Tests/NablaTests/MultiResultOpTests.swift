import Testing

@testable import Nabla

/// Ops with several results on the tape: one backward per op, taking each result's gradient
/// (nil for a result that no gradient reached), whichever results the loss uses.
@Suite struct MultiResultOpTests {
  /// (2x, x²) as one op with two results; `reached` records which gradients its backward got.
  func doubleAndSquare(_ x: Tensor, reached: Box? = nil) -> (Tensor, Tensor) {
    let (doubled, squared) = withoutGradients { (x * 2, x * x) }
    let results = Tensor.record("doubleAndSquare", results: [doubled, squared], [x]) { g in
      reached?.calls.append(g.map { $0 != nil })
      let fromDoubled = g[0].map { $0 * 2 }
      let fromSquared = g[1].map { $0 * 2 * x.detached() }
      switch (fromDoubled, fromSquared) {
      case (let a?, let b?): return [a + b]
      case (let a, let b): return [a ?? b]
      }
    }
    return (results[0], results[1])
  }

  /// Which results' gradients each call of a backward received.
  final class Box { var calls: [[Bool]] = [] }

  @Test func bothResultsGiveOneBackwardWithBothGradients() {
    let x = Tensor([1, 2, 3], dtype: .float64).requiringGrad()
    let reached = Box()
    let (doubled, squared) = doubleAndSquare(x, reached: reached)
    #expect(!doubled.isLeaf && !squared.isLeaf)
    (doubled * squared).sum().backward()  // d/dx 2x·x² = 6x²
    #expect([Double](x.grad!) == [6, 24, 54])
    #expect(reached.calls == [[true, true]])
  }

  @Test func aResultNoGradientReachesIsNil() {
    let x = Tensor([1, 2, 3], dtype: .float64).requiringGrad()
    let reached = Box()
    let (_, squared) = doubleAndSquare(x, reached: reached)
    squared.sum().backward()
    #expect([Double](x.grad!) == [2, 4, 6])
    #expect(reached.calls == [[false, true]])
  }

  @Test func gradientsMatchCentralDifferences() {
    manualSeed(61)
    let x = Tensor.randomNormal([4], dtype: .float64)
    let result = gradientCheck(at: [x]) { values in
      let (doubled, squared) = doubleAndSquare(values[0])
      return (doubled.tanh() + squared * doubled).exp()
    }
    #expect(result.passed, "\(result)")
  }

  @Test func aRetainedGraphRunsTheOpAgain() {
    let x = Tensor([1, 2], dtype: .float64).requiringGrad()
    let reached = Box()
    let (doubled, squared) = doubleAndSquare(x, reached: reached)
    let loss = (doubled + squared).sum()
    loss.backward(retainingGraph: true)
    loss.backward()
    #expect([Double](x.grad!) == [8, 12])  // twice 2 + 2x
    #expect(reached.calls == [[true, true], [true, true]])
  }

  @Test func withoutGradientsRecordsNothing() {
    let x = Tensor([1, 2], dtype: .float64).requiringGrad()
    let (doubled, squared) = withoutGradients { doubleAndSquare(x) }
    #expect(!doubled.requiresGrad && !squared.requiresGrad)
  }

  /// The recurrence's final states alone (its output unused) get their gradients right: the
  /// output's gradient reaches the op as nil.
  @Test(arguments: RecurrentOpTests.kinds)
  func aRecurrenceDifferentiatedThroughItsFinalStateAlone(kind: RecurrenceKind) {
    manualSeed(62)
    let inputs = RecurrentOpTests().operands(kind, steps: 4)
    for lengths in [nil, [4, 1, 3]] as [[Int]?] {
      let result = gradientCheck(at: inputs) { values in
        let run = Tensor.recurrence(
          kind, projectedInput: values[0], initialHidden: values[1],
          initialCell: kind == .lstm ? values[4] : nil, hiddenWeight: values[2],
          hiddenBias: values[3], lengths: lengths, reverse: false)
        return run.cell ?? run.hidden
      }
      #expect(result.passed, "lengths \(String(describing: lengths)): \(result)")
    }
  }
}
