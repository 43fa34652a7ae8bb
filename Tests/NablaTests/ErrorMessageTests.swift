import Testing

@testable import Nabla

/// Programmer errors stop the process with a message naming the op and the shapes. Each test
/// runs the failing call in a child process and reads what it printed.
@Suite struct ErrorMessageTests {
  func expectMessage(
    _ result: ExitTest.Result?, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(printed.contains(message), "stderr was: \(printed)", sourceLocation: sourceLocation)
  }

  @Test func layerNormNamesTheShapes() async {
    let input = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([4, 10]).layerNorm(normalizedShape: [8])
    }
    expectMessage(input, "layerNorm([8]): input of shape [4, 10] does not end in [8]")
    let weight = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([4, 10]).layerNorm(normalizedShape: [10], weight: Tensor.ones([8]))
    }
    expectMessage(
      weight, "layerNorm([10]): the weight must be float32 of shape [10], got float32 of shape [8]")
  }

  @Test func matmulNamesBothShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([4, 10]).matmul(Tensor.zeros([8, 5]))
    }
    expectMessage(result, "matmul: shapes [4, 10] and [8, 5] cannot be multiplied (10 != 8)")
  }

  @Test func broadcastingNamesBothShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
    }
    expectMessage(result, "add: shapes [2, 3] and [4] cannot be broadcast together")
  }

  @Test func axisOutOfRangeNamesTheRank() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).sum(alongAxis: 2)
    }
    expectMessage(result, "sum: axis 2 is out of range for a tensor of rank 2")
  }

  @Test func dtypeMismatchNamesBothTypes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2]) * Tensor.zeros([2], dtype: .float64)
    }
    expectMessage(result, "multiply: dtypes float32 and float64 do not match")
  }

  @Test func integerTensorsRefuseArithmetic() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor(indices: [1, 2]).exp()
    }
    expectMessage(result, "exp: expected a float32 or float64 tensor, got int64 of shape [2]")
  }

  @Test func halfPrecisionTensorsRefuseArithmetic() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, 2], dtype: .bfloat16).exp()
    }
    expectMessage(
      result,
      "exp: expected a float32 or float64 tensor, got bfloat16 of shape [2]; bfloat16 tensors are "
        + "stored, not computed on: convert with converted(to: .float32)")
  }

  @Test func reshapeNamesBothShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).reshaped([4, -1])
    }
    expectMessage(result, "reshaped: shape [2, 3] cannot be reshaped to [4, -1]")
  }

  @Test func gatherNamesTheBadIndex() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).gather(
        alongAxis: 1, indices: Tensor(indices: [0, 3], shape: [2, 1]))
    }
    expectMessage(result, "gather: index 3 is out of range for axis 1 of size 3")
  }

  @Test func backwardOnANonScalarNeedsAGradient() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      (Tensor.ones([3]).requiringGrad() * 2).backward()
    }
    expectMessage(result, "backward: the tensor has shape [3]; backward() without a gradient")
  }

  @Test func backwardWithoutGradientsSaysSo() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor.ones([1]).sum().backward()
    }
    expectMessage(result, "backward: this tensor does not require gradients")
  }

  @Test func backwardTwiceThroughAFreedGraphSaysSo() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let loss = (Tensor.ones([2]).requiringGrad() * 3).sum()
      loss.backward()
      loss.backward()
    }
    expectMessage(result, "was already freed by an earlier backward(); pass retainingGraph: true")
  }

  @Test func backwardGradientShapeMustMatch() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      (Tensor.ones([3]).requiringGrad() * 2).backward(gradient: Tensor.ones([2]))
    }
    expectMessage(
      result, "backward: the gradient has shape [2] (float32) but the tensor has shape [3]")
  }
}

extension ErrorMessageTests {
  @Test func expandedRejectsANewMinusOneDimension() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([3]).expanded(to: [-1, 3])
    }
    expectMessage(result, "expanded: -1 in [-1, 3] can only keep an existing dimension of [3]")
  }

  @Test func concatenatingScalarsPointsToStacking() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor(concatenating: [Tensor(scalar: 1), Tensor(scalar: 2)])
    }
    expectMessage(result, "concatenating: rank-0 tensors have no axis to join along")
  }

  @Test func tensorRangeNeedsAPositiveStep() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([4])[TensorRange(0, 4, step: 0)]
    }
    expectMessage(result, "TensorRange: step 0 must be positive")
  }
}
