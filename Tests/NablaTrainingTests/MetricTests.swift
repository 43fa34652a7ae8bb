import Testing

@testable import NablaTraining

@Suite struct RunningMeanTests {
  @Test func weightsCountEachValueThatManyTimes() {
    var mean = RunningMean()
    #expect(mean.mean.isNaN)
    mean.add(1, weight: 100)
    mean.add(4, weight: 50)  // a short last batch
    #expect(mean.mean == 2)
    mean.add(8)
    #expect(mean.total == 308 && mean.weight == 151)
    mean.reset()
    #expect(mean.weight == 0 && mean.mean.isNaN)
  }
}

@Suite struct ClassificationMetricTests {
  /// Logits whose row maxima are the classes [2, 0, 1, 1].
  let logits = Tensor(
    [
      0.1, 0.2, 0.7,
      0.9, 0.05, 0.05,
      0.3, 0.6, 0.1,
      0.2, 0.5, 0.3,
    ], shape: [4, 3])
  let labels = Tensor(indices: [2, 0, 0, 1], shape: [4])

  @Test func accuracyTakesLogitsOrPredictions() {
    #expect(accuracy(logits, labels: labels) == 0.75)
    #expect(accuracy(Tensor(indices: [2, 0, 1, 1], shape: [4]), labels: labels) == 0.75)
    #expect(accuracy(Tensor([2, 0, 1, 1]), labels: Tensor([2, 0, 0, 1])) == 0.75)
  }

  @Test func topKCountsTheLabelAmongTheBestK() {
    // Row 2's label 0 scores 0.3, second best: a hit for k = 2, not for k = 1.
    #expect(topKAccuracy(logits, labels: labels, k: 1) == 0.75)
    #expect(topKAccuracy(logits, labels: labels, k: 2) == 1)
    #expect(topKAccuracy(logits, labels: Tensor(indices: [1, 1, 2, 0], shape: [4]), k: 2) == 0.5)
    #expect(topKAccuracy(logits, labels: labels, k: 3) == 1)
  }

  @Test func meanSquaredErrorIsTheMeanOfSquares() {
    #expect(meanSquaredError(Tensor([1, 2, 3]), Tensor([1, 4, 0])) == 13.0 / 3)
  }

  /// Worked by hand as scikit-learn's confusion_matrix and precision_recall_fscore_support
  /// (zero_division=0) give them for y_true [2, 0, 0, 1, 3], y_pred [2, 0, 1, 1, 2], 4 classes.
  @Test func confusionMatrixCountsAndPerClassScores() {
    var confusion = ConfusionMatrix(classCount: 4)
    confusion.add(logits, labels: labels)
    confusion.add(Tensor(indices: [2], shape: [1]), labels: Tensor(indices: [3], shape: [1]))
    #expect(confusion.counts == [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0]])
    #expect(confusion.total == 5 && confusion.accuracy == 0.6)
    #expect([0, 1, 2, 3].map(confusion.precision(of:)) == [1, 0.5, 0.5, 0])
    #expect([0, 1, 2, 3].map(confusion.recall(of:)) == [0.5, 1, 1, 0])
    let f1 = [0, 1, 2, 3].map(confusion.f1(of:))
    #expect(zip(f1, [2.0 / 3, 2.0 / 3, 2.0 / 3, 0]).allSatisfy { abs($0 - $1) < 1e-12 })
    #expect(abs(confusion.macroPrecision - 0.5) < 1e-12)
    #expect(abs(confusion.macroRecall - 0.625) < 1e-12)
    #expect(abs(confusion.macroF1 - 0.5) < 1e-12)
    #expect(confusion.description.split(separator: "\n").count == 5)
    #expect(confusion.description.hasPrefix("  t\\p    0    1    2    3"))
  }

  @Test func mismatchedCountsStopWithBothShapes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = accuracy(Tensor.zeros([4, 3]), labels: Tensor(indices: [1, 2], shape: [2]))
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(
      text.contains("accuracy: 4 predictions (output of shape [4, 3]) but 2 labels (shape [2])"),
      "stderr was: \(text)")
  }
}
