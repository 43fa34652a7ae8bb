import Testing

@testable import Nabla

/// `detectingAnomalies` stops at the first op that makes a NaN or an infinity and names it; each
/// test runs the failing code in a child process and reads what it printed.
@Suite struct AnomalyDetectionTests {
  static func logOfANegativeNumber() {
    detectingAnomalies {
      _ = Tensor([1, 4, 9]).sqrt()
      _ = Tensor([1, -1, 2]).log()  // the line the message names
    }
  }

  static func zeroOverZeroInABackward() {
    detectingAnomalies {
      let x = Tensor([0, 1], dtype: .float64).requiringGrad()
      let root = x.sqrt()  // where the op is recorded; its backward divides 0 by 2·√0
      (root * Tensor([0, 1], dtype: .float64)).sum().backward()
    }
  }

  /// What the child process printed on standard error.
  func printed(_ result: ExitTest.Result?) -> String {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
  }

  @Test func theLogOfANegativeNumberIsCaughtInTheForwardPass() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      AnomalyDetectionTests.logOfANegativeNumber()
    }
    let text = printed(result)
    #expect(
      text.contains(
        "detectingAnomalies: 'log' made NaN in its forward result (shape [3]; inputs of shapes [3])"
      ), "stderr was: \(text)")
    #if os(Linux)
      #expect(text.contains("AnomalyDetectionTests.swift:11: Fatal error:"), "stderr was: \(text)")
    #endif
  }

  @Test func zeroOverZeroInABackwardRuleIsCaughtWithWhereTheOpWasRecorded() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      AnomalyDetectionTests.zeroOverZeroInABackward()
    }
    let text = printed(result)
    #expect(
      text.contains(
        "detectingAnomalies: the backward of 'sqrt' made NaN in the gradient of its input 0 "
          + "(shape [2]) (the op's inputs had shapes [2])"), "stderr was: \(text)")
    #if os(Linux)
      #expect(
        text.contains("the op was recorded at ") && text.contains("AnomalyDetectionTests.swift:18"),
        "stderr was: \(text)")
    #endif
  }

  @Test func aBackwardOutsideTheForwardScopeIsStillChecked() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([0, 1], dtype: .float64).requiringGrad()
      let loss = (x.sqrt() * Tensor([0, 1], dtype: .float64)).sum()
      detectingAnomalies { loss.backward() }
    }
    let text = printed(result)
    #expect(text.contains("the backward of 'sqrt' made NaN"), "stderr was: \(text)")
    #expect(text.contains("run the forward pass inside detectingAnomalies too"))
  }

  @Test func anInfinityIsCaughtAndItsInputIsBlamed() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      detectingAnomalies {
        let weight = Tensor([1, .infinity, 3, 4], shape: [2, 2])
        _ = Tensor.ones([3, 2]).matmul(weight)
      }
    }
    let text = printed(result)
    #expect(
      text.contains(
        "'matmul' made infinity in its forward result (shape [3, 2]; inputs of shapes [3, 2], "
          + "[2, 2]; input 1 already held one)"), "stderr was: \(text)")
  }

  /// Off (the default), and suspended inside backward rules, nothing is checked: NaNs flow.
  @Test func withoutDetectionNaNsFlowAndResultsAreTheSame() {
    #expect(!isDetectingAnomalies)
    #expect(Tensor([-1]).log().scalars[0].isNaN)
    let x = Tensor([0.5, 2, 3], dtype: .float64).requiringGrad()
    let y = Tensor([0.5, 2, 3], dtype: .float64).requiringGrad()
    (x.log() * x).sum().backward()
    detectingAnomalies {
      #expect(isDetectingAnomalies)
      detectingAnomalies { #expect(isDetectingAnomalies) }
      #expect(isDetectingAnomalies)
      (y.log() * y).sum().backward()
    }
    #expect(!isDetectingAnomalies)
    #expect(x.grad!.scalars == y.grad!.scalars)
  }
}

/// A programmer error's first line names the caller's line, and what was printed before is not
/// lost in a pipe.
@Suite struct ErrorLocationTests {
  static func multiplyMismatchedMatrices() {
    _ = Tensor.zeros([4, 10]).matmul(Tensor.zeros([8, 5]))  // the line the message names
  }

  @Test func theFatalErrorLineNamesTheCallersLine() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      ErrorLocationTests.multiplyMismatchedMatrices()
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #if os(Linux)
      let first = text.split(separator: "\n").first { $0.contains("Fatal error") } ?? ""
      #expect(
        first.contains("AnomalyDetectionTests.swift:105")
          && first.contains("matmul: shapes [4, 10] and [8, 5] cannot be multiplied"),
        "stderr was: \(text)")
    #endif
    #expect(text.contains("matmul: shapes [4, 10] and [8, 5] cannot be multiplied (10 != 8)"))
  }

  @Test func standardOutputIsFlushedBeforeStopping() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardOutputContent]) {
      print("epoch 1: loss 0.5", terminator: "")  // buffered: stdout is a pipe here
      _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
    }
    let text = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
    #expect(text.contains("epoch 1: loss 0.5"), "stdout was: \(text)")
  }
}
