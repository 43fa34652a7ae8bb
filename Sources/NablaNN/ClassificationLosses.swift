// Classification losses with PyTorch's semantics. Inputs hold the classes on axis 1: [N, C] or
// [N, C, d1, d2, ...] (one class vector per position, as for segmentation), or a single
// unbatched [C]. Class indices are int64 of the input's shape without the class axis.

/// The negative log-likelihood −w[yₙ]·x[n, yₙ] of log-probabilities x, as
/// `torch.nn.functional.nll_loss`.
///
/// With `.mean`, the sum is divided by the total weight of the targets that are not ignored
/// (their count when `weight` is nil), so a weighted mean, as PyTorch.
///
/// ```swift
/// let logProbabilities = model(x).logSoftmax(alongAxis: 1)  // [N, C]
/// let loss = nllLoss(logProbabilities, classIndices: labels)  // labels: int64 [N]
/// ```
///
/// - Parameters:
///   - logProbabilities: [N, C], [N, C, d1, ...] or [C].
///   - classIndices: int64 targets in 0..<C (or `ignoreIndex`), of shape [N], [N, d1, ...] or [].
///   - weight: A weight per class, [C]; all ones when nil.
///   - ignoreIndex: A target value that contributes neither loss nor weight.
///   - reduction: How the per-sample losses are combined.
public func nllLoss(
  _ logProbabilities: Tensor, classIndices: Tensor, weight: Tensor? = nil,
  ignoreIndex: Int = -100, reduction: Reduction = .mean
) -> Tensor {
  let problem = ClassificationProblem(
    "nllLoss", logProbabilities, "logProbabilities", classIndices, weight, ignoreIndex)
  return problem.reduce(problem.negativeLogLikelihood(problem.input), reduction)
}

/// The cross-entropy between softmax(logits) and class indices, as
/// `torch.nn.functional.cross_entropy`: `nllLoss` of the log-softmax over axis 1.
///
/// With label smoothing ε, each target is a mix of 1 − ε on its class and ε/C spread over all
/// classes: the loss is (1 − ε)·nll + (ε/C)·Σ_c −w[c]·log p[n, c], where the ignored targets
/// contribute nothing and `.mean` divides both parts by the total weight of the targets kept,
/// exactly as PyTorch.
///
/// ```swift
/// let logits = Tensor([2, 1, 0.1, 0.5, 2.5, 0.3], shape: [2, 3])
/// let loss = crossEntropy(logits, classIndices: Tensor(indices: [0, 1]))
/// ```
///
/// - Parameters:
///   - logits: Unnormalized scores, [N, C], [N, C, d1, ...] or [C].
///   - classIndices: int64 targets in 0..<C (or `ignoreIndex`), of shape [N], [N, d1, ...] or [].
///   - weight: A weight per class, [C]; all ones when nil.
///   - ignoreIndex: A target value that contributes neither loss nor weight.
///   - labelSmoothing: The probability mass ε in [0, 1] spread uniformly over the classes.
///   - reduction: How the per-sample losses are combined.
public func crossEntropy(
  _ logits: Tensor, classIndices: Tensor, weight: Tensor? = nil, ignoreIndex: Int = -100,
  labelSmoothing: Double = 0, reduction: Reduction = .mean
) -> Tensor {
  let name = "crossEntropy"
  requireLabelSmoothing(name, labelSmoothing)
  if weight == nil && labelSmoothing == 0 && logits.rank == 2 && reduction != .none {
    // The common case as one op: log-softmax, the pick and the reduction in two kernels.
    _ = checkedTargets(name, logits, "logits", classIndices, ignoreIndex)
    return logits.classIndexCrossEntropy(
      classIndices, ignoreIndex: ignoreIndex, mean: reduction == .mean)
  }
  let problem = ClassificationProblem(name, logits, "logits", classIndices, weight, ignoreIndex)
  let logProbabilities = problem.input.logSoftmax(alongAxis: 1)
  var losses = problem.negativeLogLikelihood(logProbabilities)
  if labelSmoothing > 0 {
    let weighted = problem.classWeight.map { logProbabilities * $0 } ?? logProbabilities
    let zero = Tensor(scalar: 0, dtype: logits.dtype)
    let smooth = Tensor.where(problem.kept, -weighted.sum(alongAxis: 1), zero)
    losses = (1 - labelSmoothing) * losses + (labelSmoothing / Double(problem.classCount)) * smooth
  }
  return problem.reduce(losses, reduction)
}

/// The cross-entropy between softmax(logits) and target probabilities of the same shape, as
/// `torch.nn.functional.cross_entropy` with probability targets: −Σ_c w[c]·y[n, c]·log p[n, c]
/// per sample.
///
/// Unlike the class-index form, `.mean` divides by the number of samples (N·d1·…), whatever the
/// weights.
///
/// - Parameters:
///   - logits: Unnormalized scores, [N, C], [N, C, d1, ...] or [C].
///   - probabilities: The target distribution over axis 1, of the logits' shape and dtype.
///   - weight: A weight per class, [C]; all ones when nil.
///   - labelSmoothing: Replaces the targets by (1 − ε)·y + ε/C.
///   - reduction: How the per-sample losses are combined.
public func crossEntropy(
  _ logits: Tensor, probabilities: Tensor, weight: Tensor? = nil, labelSmoothing: Double = 0,
  reduction: Reduction = .mean
) -> Tensor {
  let name = "crossEntropy"
  requireSameShape(name, logits, "logits", probabilities, "probabilities")
  requireLabelSmoothing(name, labelSmoothing)
  require(logits.rank >= 1, "\(name): logits must have a class axis, got a scalar")
  let classAxis = logits.rank == 1 ? 0 : 1
  let classCount = logits.shape[classAxis]
  var target = probabilities
  if labelSmoothing > 0 {
    target = target * (1 - labelSmoothing) + labelSmoothing / Double(classCount)
  }
  var product = logits.logSoftmax(alongAxis: classAxis) * target
  if let weight {
    requireClassWeight(name, weight, classCount: classCount, input: logits)
    product =
      product
      * weight.reshaped([classCount] + Array(repeating: 1, count: logits.rank - classAxis - 1))
  }
  let losses = -product.sum(alongAxis: classAxis)
  switch reduction {
  case .none: return losses
  case .sum: return losses.sum()
  case .mean: return losses.sum() / Double(losses.scalarCount)
  }
}

/// Validated inputs of a class-index loss, with the class axis at 1.
private struct ClassificationProblem {
  /// The input with a batch axis: [N, C, d1, ...].
  let input: Tensor
  /// The shape of the targets the caller gave, which `.none` returns.
  let targetShape: [Int]
  /// The number of classes, C.
  let classCount: Int
  /// The targets with ignored ones replaced by 0, shaped [N, 1, d1, ...] for `gather`.
  let safeIndices: Tensor
  /// 1 where the target is kept, 0 where it is ignored; the targets' shape, [N, d1, ...].
  let kept: Tensor
  /// The class weights shaped [1, C, 1, ...] to broadcast against `input`, if any.
  let classWeight: Tensor?
  /// The weight of each target (0 where ignored): the denominator of the weighted mean.
  let targetWeight: Tensor

  init(
    _ name: String, _ input: Tensor, _ inputName: String, _ classIndices: Tensor,
    _ weight: Tensor?, _ ignoreIndex: Int
  ) {
    let (batched, targets) = checkedTargets(name, input, inputName, classIndices, ignoreIndex)
    self.input = batched
    self.targetShape = classIndices.shape
    let classCount = batched.shape[1]
    self.classCount = classCount
    let safe = targets.map { $0 == ignoreIndex ? 0 : $0 }
    var gatherShape = batched.shape
    gatherShape[1] = 1
    safeIndices = Tensor(indices: safe, shape: gatherShape)
    let flatShape = gatherShape.enumerated().filter { $0.offset != 1 }.map(\.element)
    kept = Tensor(
      targets.map { $0 == ignoreIndex ? 0.0 : 1.0 }, shape: flatShape, dtype: input.dtype)
    if let weight {
      requireClassWeight(name, weight, classCount: classCount, input: input)
      classWeight = weight.reshaped(
        [1, classCount] + Array(repeating: 1, count: batched.rank - 2))
      let picked = weight.indexSelect(alongAxis: 0, indices: Tensor(indices: safe))
      targetWeight = picked.reshaped(flatShape) * kept
    } else {
      classWeight = nil
      targetWeight = kept
    }
  }

  /// −w[yₙ]·x[n, yₙ] for each target, 0 where ignored; shape [N, d1, ...].
  func negativeLogLikelihood(_ logProbabilities: Tensor) -> Tensor {
    let picked = logProbabilities.gather(alongAxis: 1, indices: safeIndices).squeezed(axes: [1])
    let zero = Tensor(scalar: 0, dtype: picked.dtype)
    return -(Tensor.where(kept, picked, zero) * targetWeight)
  }

  /// Combines per-target losses; the mean is weighted by the kept targets' weights.
  func reduce(_ losses: Tensor, _ reduction: Reduction) -> Tensor {
    switch reduction {
    case .none: losses.reshaped(targetShape)
    case .sum: losses.sum()
    case .mean: losses.sum() / targetWeight.sum()
    }
  }
}

/// The input with a batch axis ([N, C, d1, ...]) and the targets as integers, once the input is
/// checked to be floating-point with a class axis, the class indices to be int64 of the input's
/// shape without that axis, and every target to be a class or `ignoreIndex`.
private func checkedTargets(
  _ name: String, _ input: Tensor, _ inputName: String, _ classIndices: Tensor, _ ignoreIndex: Int
) -> (batched: Tensor, targets: [Int]) {
  require(
    input.dtype.supportsArithmetic && input.rank >= 1,
    "\(name): \(inputName) must be a float32 or float64 tensor with a class axis, got "
      + "\(input.dtype) of shape \(describe(input.shape))")
  require(
    classIndices.dtype == .int64,
    "\(name): class indices must be int64, got \(classIndices.dtype) of shape "
      + "\(describe(classIndices.shape)) (make them with Tensor(indices:))")
  let batched = input.rank == 1 ? input.unsqueezed(at: 0) : input
  var expected = batched.shape
  expected.remove(at: 1)
  if input.rank == 1 { expected = [] }
  require(
    classIndices.shape == expected,
    "\(name): \(inputName) of shape \(describe(input.shape)) needs class indices of shape "
      + "\(describe(expected)), got \(describe(classIndices.shape))")
  let classCount = batched.shape[1]
  let targets = [Int](classIndices)
  for target in targets where target != ignoreIndex && !(0..<classCount).contains(target) {
    stop(
      "\(name): class index \(target) is out of range for \(classCount) classes "
        + "(\(inputName) of shape \(describe(input.shape)))")
  }
  return (batched, targets)
}

private func requireLabelSmoothing(_ name: String, _ labelSmoothing: Double) {
  require(
    labelSmoothing >= 0 && labelSmoothing <= 1,
    "\(name): labelSmoothing \(labelSmoothing) is outside [0, 1]")
}

private func requireClassWeight(_ name: String, _ weight: Tensor, classCount: Int, input: Tensor) {
  require(
    weight.shape == [classCount] && weight.dtype == input.dtype,
    "\(name): weight must be \(input.dtype) of shape [\(classCount)], one per class of input "
      + "shape \(describe(input.shape)); got \(weight.dtype) of shape \(describe(weight.shape))")
}
