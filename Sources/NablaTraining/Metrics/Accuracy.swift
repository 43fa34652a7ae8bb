/// The fraction of samples whose predicted class is the label, from 0 to 1.
///
/// `output` is either logits (or probabilities) of shape [N, C], whose largest entry in each row
/// is the prediction, or predicted class indices of shape [N]. `labels` holds N class indices:
/// int64, as `crossEntropy` takes them, or floating-point tensors of whole numbers.
///
/// ```swift
/// let logits = model(x)  // [100, 10]
/// print(accuracy(logits, labels: y))  // 0.93
/// ```
///
/// - Parameters:
///   - output: Logits of shape [N, C], or class indices of shape [N].
///   - labels: The N true classes.
/// - Returns: The fraction of correct predictions (NaN when N is 0).
public func accuracy(_ output: Tensor, labels: Tensor) -> Double {
  let (predicted, truth) = (
    classIndices(predictedBy: output, op: "accuracy"), classIndices(of: labels, op: "accuracy")
  )
  requireSameCount(predicted, truth, output, labels, op: "accuracy")
  return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
}

/// The fraction of samples whose label is among the `k` classes with the largest logits, as
/// ImageNet's top-5 accuracy.
///
/// Ties at the k-th place count in favour of the label (a label whose logit equals the k-th
/// largest is counted as a hit).
///
/// ```swift
/// topKAccuracy(logits, labels: y, k: 5)
/// ```
///
/// - Parameters:
///   - logits: Scores of shape [N, C].
///   - labels: The N true classes.
///   - k: How many of the best classes count, from 1 to C.
/// - Returns: The fraction of samples whose label is in their top k (NaN when N is 0).
public func topKAccuracy(_ logits: Tensor, labels: Tensor, k: Int) -> Double {
  require(
    logits.rank == 2 && logits.dtype.supportsArithmetic,
    "topKAccuracy: logits must be a float32 or float64 [N, C] tensor, got \(logits.dtype) of shape "
      + describe(logits.shape))
  let (rows, classes) = (logits.shape[0], logits.shape[1])
  require(
    (1...max(classes, 1)).contains(k),
    "topKAccuracy: k must be between 1 and the \(classes) classes, got \(k)")
  let truth = classIndices(of: labels, op: "topKAccuracy")
  require(
    truth.count == rows,
    "topKAccuracy: \(rows) rows of logits (shape \(describe(logits.shape))) but \(truth.count) "
      + "labels (shape \(describe(labels.shape)))")
  let scores = [Double](logits.converted(to: .float64))
  var hits = 0
  for row in 0..<rows {
    let label = truth[row]
    require(
      (0..<classes).contains(label),
      "topKAccuracy: label \(label) at row \(row) is outside the \(classes) classes")
    let labelScore = scores[row * classes + label]
    // The label is in the top k when fewer than k classes score strictly higher.
    let higher = (0..<classes).filter { scores[row * classes + $0] > labelScore }.count
    if higher < k { hits += 1 }
  }
  return Double(hits) / Double(rows)
}

/// The mean of the squared differences between `prediction` and `target`, as a number.
///
/// ```swift
/// meanSquaredError(model(x), y)  // 0.042
/// ```
///
/// - Parameters:
///   - prediction: Any floating-point tensor.
///   - target: A tensor of the same shape.
/// - Returns: The mean of (prediction − target)², computed without recording gradients.
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Double {
  require(
    prediction.shape == target.shape,
    "meanSquaredError: prediction of shape \(describe(prediction.shape)) and target of shape "
      + "\(describe(target.shape)) differ")
  return withoutGradients {
    let difference =
      prediction.converted(to: .float64) - target.converted(to: .float64)
    return (difference * difference).mean().item
  }
}

/// The class each row of `output` predicts: the largest entry's position for [N, C] scores, or
/// the values themselves for [N] class indices.
func classIndices(predictedBy output: Tensor, op: String) -> [Int] {
  if output.rank == 2 {
    require(
      output.dtype.supportsArithmetic,
      "\(op): [N, C] outputs must be float32 or float64 scores, got \(output.dtype)")
    return withoutGradients { output.argmax(alongAxis: 1) }.scalars.map { Int($0) }
  }
  return classIndices(of: output, op: op)
}

/// The class indices a [N] tensor holds: int64 values, or whole floating-point numbers.
func classIndices(of labels: Tensor, op: String) -> [Int] {
  require(
    labels.rank == 1,
    "\(op): class indices must have shape [N], got \(describe(labels.shape)) (\(labels.dtype))")
  let values = labels.scalars
  for (index, value) in values.enumerated() {
    require(
      value.rounded() == value && Swift.abs(value) < 1e15,
      "\(op): element \(index) of the class indices is \(value), not a whole number")
  }
  return values.map { Int($0) }
}

/// Stops unless the predictions and the labels number the same samples.
func requireSameCount(
  _ predicted: [Int], _ truth: [Int], _ output: Tensor, _ labels: Tensor, op: String
) {
  require(
    predicted.count == truth.count,
    "\(op): \(predicted.count) predictions (output of shape \(describe(output.shape))) but "
      + "\(truth.count) labels (shape \(describe(labels.shape)))")
}
