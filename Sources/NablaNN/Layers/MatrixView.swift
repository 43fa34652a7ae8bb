// The matrix view of convolution, average pooling and nearest upsampling layers: for a given
// input size each is a dense matrix M, and the layer computes M · x on the flattened input x (plus
// the bias, repeated over the positions, for a convolution). A convolution is a fully connected
// layer whose matrix has zeros in fixed places and the same few weights repeated.

extension Conv1D {
  /// The dense [outChannels·outLength, inChannels·inputLength] matrix of the convolution (its
  /// bias aside) for inputs of length `inputLength`.
  ///
  /// ```swift
  /// let conv = Conv1D(1, 2, kernelSize: 3, bias: false)
  /// let m = conv.denseMatrix(inputLength: 8)  // [12, 8]
  /// // conv(x).flattened() == m.matmul(x.flattened()) for x of shape [1, 8]
  /// ```
  public func denseMatrix(inputLength: Int) -> Tensor {
    Tensor.convolutionMatrix(
      weight: weight.value, inputSize: [inputLength], stride: [stride], padding: padding,
      dilation: [dilation], groups: groups, paddingMode: paddingMode, context: configuration)
  }
}

extension Conv2D {
  /// The dense [outChannels·outH·outW, inChannels·H·W] matrix of the convolution (its bias
  /// aside) for inputs of spatial size `inputSize`.
  public func denseMatrix(inputSize: Size2D) -> Tensor {
    Tensor.convolutionMatrix(
      weight: weight.value, inputSize: inputSize.values, stride: stride.values,
      padding: padding, dilation: dilation.values, groups: groups, paddingMode: paddingMode,
      context: configuration)
  }
}

extension AvgPool1D {
  /// The dense [channels·outLength, channels·inputLength] matrix of the pooling.
  public func denseMatrix(channels: Int, inputLength: Int, dtype: DType = .float32) -> Tensor {
    Tensor.averagePoolingMatrix(
      channels: channels, inputSize: [inputLength], options: options, dtype: dtype,
      context: configuration)
  }
}

extension AvgPool2D {
  /// The dense [channels·outH·outW, channels·H·W] matrix of the pooling.
  public func denseMatrix(channels: Int, inputSize: Size2D, dtype: DType = .float32) -> Tensor {
    Tensor.averagePoolingMatrix(
      channels: channels, inputSize: inputSize.values, options: options, dtype: dtype,
      context: configuration)
  }
}

extension Upsample {
  /// The dense matrix of nearest upsampling of `channels` channels of spatial size `inputSize`
  /// (one number for [N, C, L] inputs, two for [N, C, H, W]): one 1 per row.
  public func denseMatrix(channels: Int, inputSize: [Int], dtype: DType = .float32) -> Tensor {
    require(
      mode == .nearest,
      "\(configuration): the matrix view is written for nearest upsampling, not \(mode.rawValue)")
    return Tensor.nearestUpsamplingMatrix(
      channels: channels, inputSize: inputSize, size: size, scaleFactor: scaleFactor,
      dtype: dtype, context: configuration)
  }
}
