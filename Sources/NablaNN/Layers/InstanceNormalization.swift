// Instance normalization, as PyTorch's InstanceNorm2d (see ChannelNormalization.swift).

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
    (weight, bias) = ChannelNormalization.affineParameters(
      featureCount, affine: affine, dtype: dtype)
    (runningMean, runningVar) = ChannelNormalization.runningStatistics(
      featureCount, track: trackRunningStats, dtype: dtype)
  }

  /// PyTorch's names of the running statistics.
  public override var stateKeys: [String: String] { ChannelNormalization.runningStatisticsKeys }

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
    forwarding(input) { input in
      require(
        (input.rank == 4 || input.rank == 3) && input.shape[input.rank - 3] == featureCount,
        "\(configuration): expected an input [N, \(featureCount), H, W] or [\(featureCount), H, W], "
          + "got shape \(describe(input.shape))")
      if input.rank == 3 { return callAsFunction(input.unsqueezed(at: 0)).squeezed(axes: [0]) }
      if !isTraining, let runningMean, let runningVar {
        return ChannelNormalization.normalize(
          input, runningMean: runningMean, runningVar: runningVar, epsilon: epsilon, weight: weight,
          bias: bias)
      }
      require(
        input.shape[2] * input.shape[3] > 1,
        "\(configuration): expected more than 1 spatial element per channel, got input shape "
          + "\(describe(input.shape))")
      let output = ChannelNormalization.normalize(
        input, overAxes: [2, 3], epsilon: epsilon, weight: weight, bias: bias)
      if isTraining, let runningMean, let runningVar {
        withoutGradients {
          ChannelNormalization.update(
            runningMean, towards: input.mean(alongAxes: [2, 3]).mean(alongAxes: [0]),
            factor: momentum
          )
          ChannelNormalization.update(
            runningVar,
            towards: input.variance(alongAxes: [2, 3], unbiased: true).mean(alongAxes: [0]),
            factor: momentum)
        }
      }
      return output
    }
  }
}
