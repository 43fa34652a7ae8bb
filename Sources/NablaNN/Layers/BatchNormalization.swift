// Batch normalization over the channel axis of [N, C, ...] inputs, as PyTorch's BatchNorm1d and
// BatchNorm2d (see ChannelNormalization.swift for the formulas they share).

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
  /// Sums the batch statistics over the processes that share each batch, when set, so that
  /// training normalizes with the statistics of the whole batch (NablaDistributed's
  /// `convertSyncBatchNorm`, PyTorch's `SyncBatchNorm`); nil normalizes each process's part.
  public var crossProcessSum: (any CrossProcessSum)?
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
    (weight, bias) = ChannelNormalization.affineParameters(
      featureCount, affine: affine, dtype: dtype)
    (runningMean, runningVar) = ChannelNormalization.runningStatistics(
      featureCount, track: trackRunningStats, dtype: dtype)
    numBatchesTracked = trackRunningStats ? Buffer(Tensor.zeros([], dtype: .int64)) : nil
  }

  /// PyTorch's names of the running statistics.
  public override var stateKeys: [String: String] { ChannelNormalization.runningStatisticsKeys }

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
    forwarding(input) { input in
      require(
        ranks.contains(input.rank) && input.shape[1] == featureCount,
        "\(configuration): expected an input of rank \(ranks.map(String.init).joined(separator: " or ")) "
          + "with \(featureCount) channels on axis 1, got shape \(describe(input.shape))")
      let axes = [0] + Array(2..<input.rank)
      if !isTraining, let runningMean, let runningVar {
        return ChannelNormalization.normalize(
          input, runningMean: runningMean, runningVar: runningVar, epsilon: epsilon, weight: weight,
          bias: bias)
      }
      require(
        !isTraining || input.scalarCount / featureCount > 1,
        "\(configuration): expected more than 1 value per channel when training, got input shape "
          + "\(describe(input.shape))")
      if isTraining, let crossProcessSum {
        return normalizeAcrossProcesses(input, axes: axes, crossProcessSum)
      }
      let output = ChannelNormalization.normalize(
        input, overAxes: axes, epsilon: epsilon, weight: weight, bias: bias)
      if isTraining {
        updateRunningStatistics(
          mean: input.mean(alongAxes: axes),
          variance: input.variance(alongAxes: axes, unbiased: true))
      }
      return output
    }
  }
}

extension BatchNormalization {
  /// Moves the running statistics (when tracked) towards a batch's mean and unbiased variance.
  private func updateRunningStatistics(mean: Tensor, variance: Tensor) {
    guard let runningMean, let runningVar, let numBatchesTracked else { return }
    withoutGradients {
      let tracked = numBatchesTracked.value.item + 1
      numBatchesTracked.value = Tensor(scalar: tracked, dtype: .int64)
      let factor = momentum ?? 1 / tracked
      ChannelNormalization.update(runningMean, towards: mean, factor: factor)
      ChannelNormalization.update(runningVar, towards: variance, factor: factor)
    }
  }

  /// Training normalization with the mean and variance of the batch of every process: the
  /// count, the sum and the sum of squared deviations per channel are summed over processes, in
  /// two passes (the mean first), as stable as the one-process formula.
  private func normalizeAcrossProcesses(
    _ input: Tensor, axes: [Int], _ crossProcessSum: any CrossProcessSum
  ) -> Tensor {
    let localCount = Tensor(scalar: Double(input.scalarCount / featureCount), dtype: input.dtype)
    let count = withoutGradients { crossProcessSum.sum(localCount) }.item
    let mean = crossProcessSum.sum(input.sum(alongAxes: axes, keepingDims: true)) / count
    let centered = input - mean
    let variance =
      crossProcessSum.sum((centered * centered).sum(alongAxes: axes, keepingDims: true)) / count
    updateRunningStatistics(
      mean: mean.reshaped([featureCount]),
      variance: variance.reshaped([featureCount]) * (count / Swift.max(count - 1, 1)))
    return ChannelNormalization.affine(
      centered * (variance + epsilon).rsqrt(), weight: weight, bias: bias)
  }
}

/// Sums a tensor over the processes that share a batch, differentiably: the gradient of the sum
/// with respect to each process's tensor is the sum of all processes' upstream gradients.
/// NablaDistributed's process groups provide it for synchronized batch normalization.
public protocol CrossProcessSum: AnyObject, Sendable {
  /// The elementwise sum of `tensor` over every process; every process must call it in turn.
  func sum(_ tensor: Tensor) -> Tensor
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
