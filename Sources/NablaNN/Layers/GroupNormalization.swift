// Group normalization, as PyTorch's GroupNorm (see ChannelNormalization.swift).

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
    (weight, bias) = ChannelNormalization.affineParameters(
      channelCount, affine: affine, dtype: dtype)
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
    forwarding(input) { input in
      require(
        input.rank >= 2 && input.shape[1] == channelCount,
        "\(configuration): expected an input [N, \(channelCount), ...], got shape "
          + "\(describe(input.shape))")
      let grouped = input.reshaped([input.shape[0], groupCount, -1])
      let mean = grouped.mean(alongAxes: [2], keepingDims: true)
      let variance = grouped.variance(alongAxes: [2], unbiased: false, keepingDims: true)
      let normalized = ((grouped - mean) * (variance + epsilon).rsqrt()).reshaped(input.shape)
      return ChannelNormalization.affine(normalized, weight: weight, bias: bias)
    }
  }
}
