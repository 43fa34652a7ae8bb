import Testing

@testable import NablaNN

/// Bad input to the attention layers stops with a message naming the sizes. Each test runs the
/// failing call in a child process and reads what it printed.
@Suite struct AttentionErrorMessageTests {
  @Test func embeddingIndexOutOfRange() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Embedding(10, 4)(Tensor(indices: [3, 10], shape: [1, 2]))
    }
    expectMessage(
      result, "Embedding(10, 4): index 10 is out of range 0..<10 in indices of shape [1, 2]")
  }

  @Test func embeddingNeedsIntegerIndices() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Embedding(10, 4)(Tensor([1, 2]))
    }
    expectMessage(result, "Embedding(10, 4): indices must be int64, got float32 of shape [2]")
  }

  @Test func maskThatDoesNotBroadcastToTheScores() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let q = Tensor.zeros([2, 4, 8])
      _ = scaledDotProductAttention(
        query: q, key: Tensor.zeros([2, 6, 8]), value: Tensor.zeros([2, 6, 8]),
        mask: .allowed(Tensor.ones([3, 6])))
    }
    expectMessage(
      result,
      "scaledDotProductAttention: mask of shape [3, 6] does not broadcast to the attention "
        + "scores of shape [2, 4, 6]")
  }

  @Test func keyPaddingMaskOfTheWrongShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let q = Tensor.zeros([2, 4, 8])
      _ = scaledDotProductAttention(
        query: q, key: Tensor.zeros([2, 6, 8]), value: Tensor.zeros([2, 6, 8]),
        keyPaddingMask: .blocked(Tensor.zeros([2, 5])))
    }
    expectMessage(
      result,
      "scaledDotProductAttention: key padding mask of shape [2, 5] is not [batch, keys] = [2, 6]")
  }

  @Test func embedSizeNotDivisibleByHeads() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = MultiHeadAttention(embedDimension: 10, headCount: 4)
    }
    expectMessage(
      result, "MultiHeadAttention: embedDimension 10 is not divisible by headCount 4")
  }

  @Test func multiHeadAttentionMaskOfTheWrongShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let attention = MultiHeadAttention(embedDimension: 4, headCount: 2)
      let x = Tensor.zeros([3, 2, 4])
      _ = attention(query: x, key: x, value: x, attentionMask: .blocked(Tensor.zeros([2, 3, 3])))
    }
    expectMessage(
      result,
      "MultiHeadAttention: attention mask of shape [2, 3, 3] is neither [3, 3] (target, source) "
        + "nor [4, 3, 3] (batch·heads, target, source)")
  }

  @Test func multiHeadAttentionInputOfTheWrongSize() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let attention = MultiHeadAttention(embedDimension: 4, headCount: 2)
      let x = Tensor.zeros([3, 2, 5])
      _ = attention(x)
    }
    expectMessage(result, "MultiHeadAttention(E: 4, kdim: 4, vdim: 4): query [3, 2, 5]")
  }

  @Test func layerNormInputThatDoesNotEndInTheNormalizedShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = LayerNorm([4])(Tensor.zeros([2, 3]))
    }
    expectMessage(result, "LayerNorm([4]): input of shape [2, 3] does not end in [4]")
  }
}
