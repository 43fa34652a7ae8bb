// Loss functions with PyTorch's semantics (torch.nn.functional), built from Tensor ops so that
// autograd differentiates them without rules of their own. Classification losses over class
// indices (`crossEntropy`, `nllLoss`) are in ClassificationLosses.swift.

/// How a loss combines its per-element values, as PyTorch's `reduction` argument.
public enum Reduction: Sendable {
  /// Keep one loss per element (or per sample, for classification losses).
  case none
  /// The mean of the losses (a weighted mean for weighted classification losses).
  case mean
  /// The sum of the losses.
  case sum

  /// Applies the reduction to per-element losses.
  func apply(_ losses: Tensor) -> Tensor {
    switch self {
    case .none: losses
    case .mean: losses.mean()
    case .sum: losses.sum()
    }
  }
}

/// How `klDivergence` combines its pointwise values, as PyTorch's `reduction` argument of
/// `kl_div`.
public enum KLDivergenceReduction: Sendable {
  /// Keep the pointwise values.
  case none
  /// The mean over every element, PyTorch's default (not the mathematical KL divergence).
  case mean
  /// The sum divided by the batch size (the first dimension): the KL divergence per sample.
  case batchMean
  /// The sum of the pointwise values.
  case sum
}

/// The mean squared error (xᵢ − yᵢ)², as `torch.nn.functional.mse_loss`.
///
/// ```swift
/// mseLoss(Tensor([1, 2]), target: Tensor([0, 4]))  // (1 + 4) / 2 = 2.5
/// ```
///
/// - Parameters:
///   - prediction: The predicted values.
///   - target: The expected values, of the same shape and dtype.
///   - reduction: How the elementwise losses are combined; the mean by default.
public func mseLoss(_ prediction: Tensor, target: Tensor, reduction: Reduction = .mean)
  -> Tensor
{
  requireSameShape("mseLoss", prediction, "prediction", target, "target")
  return reduction.apply((prediction - target).squared())
}

/// The mean absolute error |xᵢ − yᵢ|, as `torch.nn.functional.l1_loss`.
public func l1Loss(_ prediction: Tensor, target: Tensor, reduction: Reduction = .mean)
  -> Tensor
{
  requireSameShape("l1Loss", prediction, "prediction", target, "target")
  return reduction.apply((prediction - target).abs())
}

/// The smooth L1 loss, as `torch.nn.functional.smooth_l1_loss`: 0.5·d²/β where |d| < β and
/// |d| − 0.5·β elsewhere, for d = xᵢ − yᵢ; β = 0 gives the L1 loss.
///
/// - Parameters:
///   - prediction: The model's output.
///   - target: The values to predict, of the prediction's shape.
///   - beta: Where the loss changes from quadratic to linear; not negative.
///   - reduction: How the losses are combined: `.mean` (the default), `.sum` or `.none`.
public func smoothL1Loss(
  _ prediction: Tensor, target: Tensor, beta: Double = 1, reduction: Reduction = .mean
) -> Tensor {
  requireSameShape("smoothL1Loss", prediction, "prediction", target, "target")
  require(beta >= 0, "smoothL1Loss: beta \(beta) must not be negative")
  let distance = (prediction - target).abs()
  guard beta > 0 else { return reduction.apply(distance) }
  let losses = Tensor.where(
    distance .< beta, 0.5 * distance.squared() / beta, distance - 0.5 * beta)
  return reduction.apply(losses)
}

/// The Huber loss, as `torch.nn.functional.huber_loss`: 0.5·d² where |d| < δ and
/// δ·(|d| − 0.5·δ) elsewhere, for d = xᵢ − yᵢ. It equals δ times `smoothL1Loss` with β = δ.
///
/// - Parameters:
///   - prediction: The model's output.
///   - target: The values to predict, of the prediction's shape.
///   - delta: Where the loss changes from quadratic to linear; positive.
///   - reduction: How the losses are combined: `.mean` (the default), `.sum` or `.none`.
public func huberLoss(
  _ prediction: Tensor, target: Tensor, delta: Double = 1, reduction: Reduction = .mean
) -> Tensor {
  requireSameShape("huberLoss", prediction, "prediction", target, "target")
  require(delta > 0, "huberLoss: delta \(delta) must be positive")
  let distance = (prediction - target).abs()
  let losses = Tensor.where(
    distance .< delta, 0.5 * distance.squared(), delta * (distance - 0.5 * delta))
  return reduction.apply(losses)
}

/// The binary cross-entropy −w·(y·log x + (1 − y)·log(1 − x)) of probabilities x, as
/// `torch.nn.functional.binary_cross_entropy`. Each logarithm is clamped to at least −100, so
/// the loss stays finite where x is exactly 0 or 1.
///
/// Prefer `binaryCrossEntropyWithLogits` on the logits: it is stable where sigmoid saturates.
///
/// - Parameters:
///   - probabilities: Values in [0, 1].
///   - target: The targets, of the same shape, usually 0 or 1.
///   - weight: A rescaling of each element's loss, broadcast to the input's shape.
///   - reduction: How the losses are combined: `.mean` (the default), `.sum` or `.none`.
public func binaryCrossEntropy(
  _ probabilities: Tensor, target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean
) -> Tensor {
  let name = "binaryCrossEntropy"
  requireSameShape(name, probabilities, "probabilities", target, "target")
  if let outside = [Double](probabilities).first(where: { !($0 >= 0 && $0 <= 1) }) {
    stop(
      "\(name): probabilities must lie in [0, 1], found \(outside) in shape "
        + "\(describe(probabilities.shape)); use binaryCrossEntropyWithLogits for logits")
  }
  var losses = -(target * clampedLog(probabilities) + (1 - target) * clampedLog(1 - probabilities))
  if let weight {
    requireBroadcastable(name, weight, "weight", to: probabilities)
    losses = losses * weight
  }
  return reduction.apply(losses)
}

/// log x, but −100 where x is 0 (or log x is below −100), with no gradient there; as PyTorch's
/// `binary_cross_entropy`. The zeros are kept away from `log` so that no NaN reaches the gradient.
private func clampedLog(_ x: Tensor) -> Tensor {
  let positive = x .> 0
  let safe = Tensor.where(positive, x, Tensor(scalar: 1, dtype: x.dtype))
  let floor = Tensor(scalar: -100, dtype: x.dtype)
  return Tensor.where(positive, safe.log(), floor).clamped(min: -100)
}

/// The binary cross-entropy of sigmoid(x) computed from the logits x, stable for any x, as
/// `torch.nn.functional.binary_cross_entropy_with_logits`:
/// w·((1 − y)·x + (1 + (p − 1)·y)·log(1 + e⁻ˣ)).
///
/// log(1 + e⁻ˣ) is evaluated as m + log(e⁻ᵐ + e⁻ˣ⁻ᵐ) with m = max(−x, 0), PyTorch's form, so no
/// exponential overflows (logits of ±10⁴ are fine) and the gradient is exact at x = 0.
///
/// ```swift
/// binaryCrossEntropyWithLogits(Tensor([0]), target: Tensor([1]))  // log 2
/// ```
///
/// - Parameters:
///   - logits: The scores before the sigmoid.
///   - target: The targets, of the same shape, usually 0 or 1.
///   - weight: A rescaling of each element's loss, broadcast to the logits' shape.
///   - positiveWeight: The weight p of positive examples, broadcast to the logits' shape: a [C]
///     tensor gives one per class of [N, C] multi-label logits.
///   - reduction: How the losses are combined: `.mean` (the default), `.sum` or `.none`.
public func binaryCrossEntropyWithLogits(
  _ logits: Tensor, target: Tensor, weight: Tensor? = nil, positiveWeight: Tensor? = nil,
  reduction: Reduction = .mean
) -> Tensor {
  let name = "binaryCrossEntropyWithLogits"
  requireSameShape(name, logits, "logits", target, "target")
  let shift = (-logits).clamped(min: 0)
  let softplusOfNegative = shift + ((-shift).exp() + (-logits - shift).exp()).log()
  var logWeight = Tensor.ones([], dtype: logits.dtype)
  if let positiveWeight {
    requireBroadcastable(name, positiveWeight, "positiveWeight", to: logits)
    logWeight = 1 + (positiveWeight - 1) * target
  }
  var losses = (1 - target) * logits + logWeight * softplusOfNegative
  if let weight {
    requireBroadcastable(name, weight, "weight", to: logits)
    losses = losses * weight
  }
  return reduction.apply(losses)
}

/// The Kullback-Leibler divergence of `target` from the distribution whose log-probabilities
/// are `logProbabilities`, pointwise y·(log y − x), as `torch.nn.functional.kl_div`. Where y is
/// 0 the term is 0.
///
/// ```swift
/// let loss = klDivergence(
///   model(x).logSoftmax(), target: probabilities, reduction: .batchMean)
/// ```
///
/// - Parameters:
///   - logProbabilities: The log-probabilities x of the model.
///   - target: The target probabilities y, or their logarithms when `logTarget` is true; the same
///     shape as `logProbabilities`.
///   - reduction: How the pointwise values combine; `.batchMean` gives the true divergence per
///     sample, `.mean` (PyTorch's default) divides by the number of elements.
///   - logTarget: Whether `target` holds log-probabilities; the pointwise value is then
///     eʸ·(y − x).
public func klDivergence(
  _ logProbabilities: Tensor, target: Tensor, reduction: KLDivergenceReduction = .mean,
  logTarget: Bool = false
) -> Tensor {
  requireSameShape("klDivergence", logProbabilities, "logProbabilities", target, "target")
  let pointwise: Tensor
  if logTarget {
    pointwise = target.exp() * (target - logProbabilities)
  } else {
    // xlogy(y, y) − y·x, with 0·log 0 = 0 (a negative target gives NaN, as in PyTorch).
    let isZero = target .== 0
    let safe = Tensor.where(isZero, Tensor(scalar: 1, dtype: target.dtype), target)
    let entropyTerm = Tensor.where(
      isZero, Tensor(scalar: 0, dtype: target.dtype), target * safe.log())
    pointwise = entropyTerm - target * logProbabilities
  }
  switch reduction {
  case .none: return pointwise
  case .mean: return pointwise.mean()
  case .sum: return pointwise.sum()
  case .batchMean:
    let batch = pointwise.rank == 0 ? 1 : pointwise.shape[0]
    return pointwise.sum() / Double(batch)
  }
}

/// Stops unless `a` and `b` are floating point of one dtype and have the same shape.
func requireSameShape(_ loss: String, _ a: Tensor, _ aName: String, _ b: Tensor, _ bName: String) {
  require(
    a.dtype.supportsArithmetic && a.dtype == b.dtype,
    "\(loss): \(aName) (\(a.dtype), shape \(describe(a.shape))) and \(bName) (\(b.dtype), shape "
      + "\(describe(b.shape))) must be float32 or float64, of one dtype")
  require(
    a.shape == b.shape,
    "\(loss): \(aName) of shape \(describe(a.shape)) and \(bName) of shape \(describe(b.shape)) "
      + "must have the same shape")
}

/// Stops unless `tensor` has `input`'s dtype and broadcasts to its shape.
func requireBroadcastable(_ loss: String, _ tensor: Tensor, _ name: String, to input: Tensor) {
  let offset = input.rank - tensor.rank
  let fits =
    offset >= 0
    && tensor.shape.indices.allSatisfy {
      tensor.shape[$0] == 1 || tensor.shape[$0] == input.shape[$0 + offset]
    }
  require(
    tensor.dtype == input.dtype && fits,
    "\(loss): \(name) (\(tensor.dtype), shape \(describe(tensor.shape))) must be \(input.dtype) "
      + "and broadcast to the input's shape \(describe(input.shape))")
}
