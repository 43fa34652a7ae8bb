// What the normalization layers over the channel axis of [N, C, ...] inputs share (batch, group
// and instance normalization). They are composed from tensor ops (so their gradients need no
// rules of their own), with PyTorch's formulas: the normalization uses the biased variance;
// running statistics move by `momentum` towards the batch mean and the unbiased batch variance.
// The learned scale starts at ones and the shift at zeros.

/// The helpers of the channel normalization layers: parameters, buffers and formulas.
enum ChannelNormalization {
  /// The statistics shape [1, C, 1, ...] that broadcasts against an input of `rank`.
  static func channelShape(_ channels: Int, rank: Int) -> [Int] {
    [1, channels] + [Int](repeating: 1, count: Swift.max(rank - 2, 0))
  }

  /// A learned per-channel scale starting at ones and shift starting at zeros, or nils when the
  /// layer is not affine.
  static func affineParameters(_ channels: Int, affine: Bool, dtype: DType) -> (
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
  static func runningStatistics(_ channels: Int, track: Bool, dtype: DType) -> (
    mean: Buffer?, variance: Buffer?
  ) {
    guard track else { return (nil, nil) }
    return (
      Buffer(Tensor.zeros([channels], dtype: dtype)), Buffer(Tensor.ones([channels], dtype: dtype))
    )
  }

  /// `normalized` ([N, C, ...]) scaled and shifted per channel when the layer is affine.
  static func affine(_ normalized: Tensor, weight: Parameter?, bias: Parameter?) -> Tensor {
    var output = normalized
    let shape = channelShape(normalized.shape[1], rank: normalized.rank)
    if let weight { output = output * weight.value.reshaped(shape) }
    if let bias { output = output + bias.value.reshaped(shape) }
    return output
  }

  /// (x − mean) / √(variance + ε), then scaled and shifted per channel when the layer is affine.
  static func normalize(
    _ input: Tensor, mean: Tensor, variance: Tensor, epsilon: Double, weight: Parameter?,
    bias: Parameter?
  ) -> Tensor {
    affine((input - mean) * (variance + epsilon).rsqrt(), weight: weight, bias: bias)
  }

  /// The input normalized with its own mean and biased variance over `axes`.
  static func normalize(
    _ input: Tensor, overAxes axes: [Int], epsilon: Double, weight: Parameter?, bias: Parameter?
  ) -> Tensor {
    normalize(
      input, mean: input.mean(alongAxes: axes, keepingDims: true),
      variance: input.variance(alongAxes: axes, unbiased: false, keepingDims: true),
      epsilon: epsilon, weight: weight, bias: bias)
  }

  /// The input normalized with the running statistics of a layer in evaluation mode.
  static func normalize(
    _ input: Tensor, runningMean: Buffer, runningVar: Buffer, epsilon: Double, weight: Parameter?,
    bias: Parameter?
  ) -> Tensor {
    // As PyTorch's kernel: per channel, scale = weight / √(var + ε) and shift = bias −
    // mean · scale, so that the input is read once for a product and a sum.
    let shape = channelShape(input.shape[1], rank: input.rank)
    let inverseDeviation = (runningVar.value + epsilon).rsqrt()
    let scale = weight.map { $0.value * inverseDeviation } ?? inverseDeviation
    let shift = (bias.map { $0.value } ?? Tensor.zeros(like: scale)) - runningMean.value * scale
    return input * scale.reshaped(shape) + shift.reshaped(shape)
  }

  /// The state-dict keys of the running statistics, PyTorch's.
  static let runningStatisticsKeys = [
    "runningMean": "running_mean", "runningVar": "running_var",
    "numBatchesTracked": "num_batches_tracked",
  ]

  /// Moves `buffer` by `factor` towards `statistic` (both detached): (1 − f)·running + f·stat.
  static func update(_ buffer: Buffer, towards statistic: Tensor, factor: Double) {
    withoutGradients {
      buffer.value =
        buffer.value * (1 - factor) + statistic.detached().converted(to: buffer.value.dtype)
        * factor
    }
  }
}
