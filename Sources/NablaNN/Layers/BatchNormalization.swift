// Normalization layers over the channel axis of [N, C, ...] inputs, composed from tensor ops (so
// their gradients need no rules of their own), with PyTorch's formulas: the normalization uses the
// biased variance; running statistics move by `momentum` towards the batch mean and the unbiased
// batch variance. The learned scale starts at ones and the shift at zeros.

/// The statistics shape [1, C, 1, ...] that broadcasts against an input of `rank`.
private func channelShape(_ channels: Int, rank: Int) -> [Int] {
  [1, channels] + [Int](repeating: 1, count: Swift.max(rank - 2, 0))
}

/// A learned per-channel scale starting at ones and shift starting at zeros, or nils when the
/// layer is not affine.
private func affineParameters(_ channels: Int, affine: Bool, dtype: DType) -> (
  weight: Parameter?, bias: Parameter?
) {
  guard affine else { return (nil, nil) }
  return (
    Parameter(Tensor.ones([channels], dtype: dtype)),
    Parameter(Tensor.zeros([channels], dtype: dtype))
  )
}

/// A running mean starting at zeros and a running variance starting at ones, or nils when
/// running statistics are not tracked.
private func runningStatistics(_ channels: Int, track: Bool, dtype: DType) -> (
  mean: Buffer?, variance: Buffer?
) {
  guard track else { return (nil, nil) }
  return (
    Buffer(Tensor.zeros([channels], dtype: dtype)), Buffer(Tensor.ones([channels], dtype: dtype))
  )
}

/// `normalized` ([N, C, ...]) scaled and shifted per channel when the layer is affine.
private func affine(_ normalized: Tensor, weight: Parameter?, bias: Parameter?) -> Tensor {
  var output = normalized
  let shape = channelShape(normalized.shape[1], rank: normalized.rank)
  if let weight { output = output * weight.value.reshaped(shape) }
  if let bias { output = output + bias.value.reshaped(shape) }
  return output
}

/// (x − mean) / √(variance + ε), then scaled and shifted per channel when the layer is affine.
private func normalize(
  _ input: Tensor, mean: Tensor, variance: Tensor, epsilon: Double, weight: Parameter?,
  bias: Parameter?
) -> Tensor {
  affine((input - mean) * (variance + epsilon).rsqrt(), weight: weight, bias: bias)
}

/// The input normalized with its own mean and biased variance over `axes`.
private func normalize(
  _ input: Tensor, overAxes axes: [Int], epsilon: Double, weight: Parameter?, bias: Parameter?
) -> Tensor {
  normalize(
    input, mean: input.mean(alongAxes: axes, keepingDims: true),
    variance: input.variance(alongAxes: axes, unbiased: false, keepingDims: true),
    epsilon: epsilon, weight: weight, bias: bias)
}

/// The input normalized with the running statistics of a layer in evaluation mode.
private func normalize(
  _ input: Tensor, runningMean: Buffer, runningVar: Buffer, epsilon: Double, weight: Parameter?,
  bias: Parameter?
) -> Tensor {
  let shape = channelShape(input.shape[1], rank: input.rank)
  return normalize(
    input, mean: runningMean.value.reshaped(shape), variance: runningVar.value.reshaped(shape),
    epsilon: epsilon, weight: weight, bias: bias)
}

/// The state-dict keys of the running statistics, PyTorch's.
private let runningStatisticsKeys = [
  "runningMean": "running_mean", "runningVar": "running_var",
  "numBatchesTracked": "num_batches_tracked",
]

/// Moves `buffer` by `factor` towards `statistic` (both detached): (1 − f)·running + f·stat.
private func update(_ buffer: Buffer, towards statistic: Tensor, factor: Double) {
  withoutGradients {
    buffer.value =
      buffer.value * (1 - factor) + statistic.detached().converted(to: buffer.value.dtype) * factor
  }
}

/// Batch normalization over the channel axis, as PyTorch's `_BatchNorm`; the 1-D and 2-D layers
/// differ only in the input ranks they accept.
public class BatchNormalization: Module, @unchecked Sendable {
  /// The per-channel scale γ, [C], or nil when the layer is not affine.
  public let weight: Parameter?
  /// The per-channel shift β, [C], or nil when the layer is not affine.
  public let bias: Parameter?
  /// The running mean, [C] (nil without running statistics); saved and loaded with the state,
  /// as `running_mean`.
  public let runningMean: Buffer?
  /// The running unbiased variance, [C] (nil without running statistics); `running_var`.
  public let runningVar: Buffer?
  /// The number of training batches seen, an int64 scalar (nil without running statistics);
  /// `num_batches_tracked`.
  public let numBatchesTracked: Buffer?
  /// The number of channels C.
  public let featureCount: Int
  /// Added to the variance before the square root.
  public let epsilon: Double
  /// The weight of each new batch in the running statistics; nil for a cumulative average.
  public let momentum: Double?
  private let name: String
  private let ranks: [Int]

  init(
    name: String, ranks: [Int], featureCount: Int, epsilon: Double, momentum: Double?,
    affine: Bool, trackRunningStats: Bool, dtype: DType
  ) {
    require(
      featureCount > 0, "\(name): the number of features must be positive, got \(featureCount)")
    self.name = name
    self.ranks = ranks
    self.featureCount = featureCount
    self.epsilon = epsilon
    self.momentum = momentum
    (weight, bias) = affineParameters(featureCount, affine: affine, dtype: dtype)
    (runningMean, runningVar) = runningStatistics(
      featureCount, track: trackRunningStats, dtype: dtype)
    numBatchesTracked = trackRunningStats ? Buffer(Tensor.zeros([], dtype: .int64)) : nil
  }

  /// PyTorch's names of the running statistics.
  public override var stateKeys: [String: String] { runningStatisticsKeys }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "\(name)(\(featureCount), epsilon: \(epsilon), momentum: \(momentum.map { "\($0)" } ?? "nil"), "
      + "affine: \(weight != nil), trackRunningStats: \(runningMean != nil))"
  }

  /// PyTorch's text for the layer, as in
  /// `25, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True`.
  public override var extraDescription: String {
    "\(featureCount), eps=\(pythonRepr(epsilon)), "
      + "momentum=\(momentum.map { pythonRepr($0) } ?? "None"), "
      + "affine=\(pythonRepr(weight != nil)), bias=\(pythonRepr(bias != nil)), "
      + "track_running_stats=\(pythonRepr(runningMean != nil))"
  }

  /// The input normalized with the batch's statistics (training, or no running statistics) or
  /// with the running ones (evaluation).
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    reportingOutput {
      require(
        ranks.contains(input.rank) && input.shape[1] == featureCount,
        "\(configuration): expected an input of rank \(ranks.map(String.init).joined(separator: " or ")) "
          + "with \(featureCount) channels on axis 1, got shape \(describe(input.shape))")
      let axes = [0] + Array(2..<input.rank)
      if !isTraining, let runningMean, let runningVar {
        return normalize(
          input, runningMean: runningMean, runningVar: runningVar, epsilon: epsilon, weight: weight,
          bias: bias)
      }
      require(
        !isTraining || input.scalarCount / featureCount > 1,
        "\(configuration): expected more than 1 value per channel when training, got input shape "
          + "\(describe(input.shape))")
      let output = normalize(input, overAxes: axes, epsilon: epsilon, weight: weight, bias: bias)
      if isTraining, let runningMean, let runningVar, let numBatchesTracked {
        withoutGradients {
          let tracked = numBatchesTracked.value.item + 1
          numBatchesTracked.value = Tensor(scalar: tracked, dtype: .int64)
          let factor = momentum ?? 1 / tracked
          update(runningMean, towards: input.mean(alongAxes: axes), factor: factor)
          update(
            runningVar, towards: input.variance(alongAxes: axes, unbiased: true), factor: factor)
        }
      }
      return output
    }
  }
}

/// Batch normalization of [N, C] or [N, C, L] inputs, as `torch.nn.BatchNorm1d`.
///
/// ```swift
/// let norm = BatchNorm1D(25)
/// norm(x)        // training: batch statistics, running statistics updated
/// norm.eval()
/// norm(x)        // evaluation: running statistics
/// ```
public final class BatchNorm1D: BatchNormalization, @unchecked Sendable {
  /// Creates the layer for `featureCount` channels.
  ///
  /// - Parameters:
  ///   - featureCount: The number of features or channels, C.
  ///   - epsilon: Added to the variance for stability.
  ///   - momentum: The weight of each batch in the running statistics (nil: cumulative average).
  ///   - affine: Whether to learn a per-channel scale and shift.
  ///   - trackRunningStats: Whether to keep running statistics for evaluation.
  ///   - dtype: The parameters' element type.
  public init(
    _ featureCount: Int, epsilon: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
    trackRunningStats: Bool = true, dtype: DType = .float32
  ) {
    super.init(
      name: "BatchNorm1D", ranks: [2, 3], featureCount: featureCount, epsilon: epsilon,
      momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, dtype: dtype)
  }
}

/// Batch normalization of [N, C, H, W] inputs, as `torch.nn.BatchNorm2d`.
public final class BatchNorm2D: BatchNormalization, @unchecked Sendable {
  /// Creates the layer for `featureCount` channels.
  ///
  /// - Parameters:
  ///   - featureCount: The number of features or channels, C.
  ///   - epsilon: Added to the variance for stability.
  ///   - momentum: The weight of each batch in the running statistics (nil: cumulative average).
  ///   - affine: Whether to learn a per-channel scale and shift.
  ///   - trackRunningStats: Whether to keep running statistics for evaluation.
  ///   - dtype: The parameters' element type.
  public init(
    _ featureCount: Int, epsilon: Double = 1e-5, momentum: Double? = 0.1, affine: Bool = true,
    trackRunningStats: Bool = true, dtype: DType = .float32
  ) {
    super.init(
      name: "BatchNorm2D", ranks: [4], featureCount: featureCount, epsilon: epsilon,
      momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, dtype: dtype)
  }
}

/// Group normalization, as `torch.nn.GroupNorm`: the channels of each sample are split into
/// groups, each normalized by its own mean and variance (the same in training and evaluation).
///
/// ```swift
/// GroupNorm(groupCount: 4, channelCount: 16)(Tensor.randomNormal([2, 16, 8, 8]))
/// ```
public final class GroupNorm: Module, @unchecked Sendable {
  /// The per-channel scale, [C], or nil when not affine.
  public let weight: Parameter?
  /// The per-channel shift, [C], or nil when not affine.
  public let bias: Parameter?
  /// The number of groups, which must divide the channels.
  public let groupCount: Int
  /// The number of channels C.
  public let channelCount: Int
  /// Added to the variance before the square root.
  public let epsilon: Double

  /// Creates the layer.
  ///
  /// - Parameters:
  ///   - groupCount: The number of groups the channels are split into.
  ///   - channelCount: The number of channels, divisible by `groupCount`.
  ///   - epsilon: The value added to the variance for numerical stability.
  ///   - affine: Whether to learn a per-channel scale and shift.
  ///   - dtype: The parameters' element type.
  public init(
    groupCount: Int, channelCount: Int, epsilon: Double = 1e-5, affine: Bool = true,
    dtype: DType = .float32
  ) {
    require(
      groupCount > 0 && channelCount > 0 && channelCount % groupCount == 0,
      "GroupNorm: \(channelCount) channels cannot be split into \(groupCount) groups")
    self.groupCount = groupCount
    self.channelCount = channelCount
    self.epsilon = epsilon
    (weight, bias) = affineParameters(channelCount, affine: affine, dtype: dtype)
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "GroupNorm(groupCount: \(groupCount), channelCount: \(channelCount), epsilon: \(epsilon), "
      + "affine: \(weight != nil))"
  }

  /// PyTorch's text for the layer, as in `2, 8, eps=1e-05, affine=True, bias=True`.
  public override var extraDescription: String {
    "\(groupCount), \(channelCount), eps=\(pythonRepr(epsilon)), affine=\(pythonRepr(weight != nil)), "
      + "bias=\(pythonRepr(bias != nil))"
  }

  /// The input normalized per sample and group.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    reportingOutput {
      require(
        input.rank >= 2 && input.shape[1] == channelCount,
        "\(configuration): expected an input [N, \(channelCount), ...], got shape "
          + "\(describe(input.shape))")
      let grouped = input.reshaped([input.shape[0], groupCount, -1])
      let mean = grouped.mean(alongAxes: [2], keepingDims: true)
      let variance = grouped.variance(alongAxes: [2], unbiased: false, keepingDims: true)
      let normalized = ((grouped - mean) * (variance + epsilon).rsqrt()).reshaped(input.shape)
      return affine(normalized, weight: weight, bias: bias)
    }
  }
}

/// Instance normalization of [N, C, H, W] (or [C, H, W]) inputs, as `torch.nn.InstanceNorm2d`:
/// each channel of each sample is normalized by its own mean and variance over H and W.
public final class InstanceNorm2D: Module, @unchecked Sendable {
  /// The per-channel scale, [C], or nil when not affine (the default, as PyTorch).
  public let weight: Parameter?
  /// The per-channel shift, [C], or nil when not affine.
  public let bias: Parameter?
  /// The running mean of the instance means, [C], when running statistics are tracked;
  /// `running_mean` in state dicts.
  public let runningMean: Buffer?
  /// The running mean of the unbiased instance variances, [C], when tracked; `running_var`.
  public let runningVar: Buffer?
  /// The number of channels C.
  public let featureCount: Int
  /// Added to the variance before the square root.
  public let epsilon: Double
  /// The weight of each new batch in the running statistics.
  public let momentum: Double

  /// Creates the layer.
  ///
  /// - Parameters:
  ///   - featureCount: The number of features or channels, C.
  ///   - epsilon: The value added to the variance for numerical stability.
  ///   - momentum: The weight of each new batch's statistics in the running estimates.
  ///   - affine: Whether to learn a per-channel scale and shift (false by default, as PyTorch).
  ///   - trackRunningStats: Whether to keep running statistics and use them in evaluation
  ///     (false by default, as PyTorch).
  ///   - dtype: The parameters' element type.
  public init(
    _ featureCount: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, affine: Bool = false,
    trackRunningStats: Bool = false, dtype: DType = .float32
  ) {
    require(
      featureCount > 0,
      "InstanceNorm2D: the number of features must be positive, got \(featureCount)")
    self.featureCount = featureCount
    self.epsilon = epsilon
    self.momentum = momentum
    (weight, bias) = affineParameters(featureCount, affine: affine, dtype: dtype)
    (runningMean, runningVar) = runningStatistics(
      featureCount, track: trackRunningStats, dtype: dtype)
  }

  /// PyTorch's names of the running statistics.
  public override var stateKeys: [String: String] { runningStatisticsKeys }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "InstanceNorm2D(\(featureCount), epsilon: \(epsilon), momentum: \(momentum), affine: "
      + "\(weight != nil), trackRunningStats: \(runningMean != nil))"
  }

  /// PyTorch's text for the layer, as in
  /// `3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False`.
  public override var extraDescription: String {
    "\(featureCount), eps=\(pythonRepr(epsilon)), momentum=\(pythonRepr(momentum)), "
      + "affine=\(pythonRepr(weight != nil)), bias=\(pythonRepr(bias != nil)), "
      + "track_running_stats=\(pythonRepr(runningMean != nil))"
  }

  /// The input normalized per sample and channel.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    reportingOutput {
      require(
        (input.rank == 4 || input.rank == 3) && input.shape[input.rank - 3] == featureCount,
        "\(configuration): expected an input [N, \(featureCount), H, W] or [\(featureCount), H, W], "
          + "got shape \(describe(input.shape))")
      if input.rank == 3 { return callAsFunction(input.unsqueezed(at: 0)).squeezed(axes: [0]) }
      if !isTraining, let runningMean, let runningVar {
        return normalize(
          input, runningMean: runningMean, runningVar: runningVar, epsilon: epsilon, weight: weight,
          bias: bias)
      }
      require(
        input.shape[2] * input.shape[3] > 1,
        "\(configuration): expected more than 1 spatial element per channel, got input shape "
          + "\(describe(input.shape))")
      let output = normalize(
        input, overAxes: [2, 3], epsilon: epsilon, weight: weight, bias: bias)
      if isTraining, let runningMean, let runningVar {
        withoutGradients {
          update(
            runningMean, towards: input.mean(alongAxes: [2, 3]).mean(alongAxes: [0]),
            factor: momentum
          )
          update(
            runningVar,
            towards: input.variance(alongAxes: [2, 3], unbiased: true).mean(alongAxes: [0]),
            factor: momentum)
        }
      }
      return output
    }
  }
}
