// The matrix view of fixed-geometry linear layers: a convolution, an average pooling or a
// nearest upsampling of an input of a given size is a matrix times the flattened input. The
// matrices are written out entry by entry from the geometry (not by running the layer), so that a
// test comparing them with the layer checks one against the other.

extension Tensor {
  /// The dense [outChannels·outPositions, inChannels·inPositions] matrix of the convolution with
  /// `weight` ([out, in/groups, k...]) for an input of spatial size `inputSize`, without its
  /// bias: zeros wherever a kernel tap misses the input, the kernel's weights repeated elsewhere.
  package static func convolutionMatrix(
    weight: Tensor, inputSize: [Int], stride: [Int], padding: ConvolutionPadding,
    dilation: [Int], groups: Int, paddingMode: PaddingMode = .zeros, context: String
  ) -> Tensor {
    let spatialRank = inputSize.count
    let channels = weight.shape[1] * groups
    let (before, after) = padding.resolve(
      kernel: Array(weight.shape[2...]), dilation: dilation, stride: stride, context: context)
    if paddingMode != .zeros && (before + after).contains(where: { $0 != 0 }) {
      // The valid convolution of the padded input, times the 0/1 matrix that pads: column j of
      // the latter is the j-th unit input, padded.
      let count = channels * inputSize.reduce(1, *)
      let units = Tensor.eye(count, dtype: weight.dtype).reshaped([count, channels] + inputSize)
      let paddedUnits = units.padded(
        zip(before, after).map { (before: $0, after: $1) }, mode: paddingMode)
      let paddedSize = Array(paddedUnits.shape[2...])
      let padding = paddedUnits.reshaped([count, -1]).transposed()
      return convolutionMatrix(
        weight: weight, inputSize: paddedSize, stride: stride, padding: .valid,
        dilation: dilation, groups: groups, context: context
      ).matmul(padding)
    }
    // Reuse the checks of the convolution itself on an empty batch of the input's size.
    let probe = Tensor.zeros([0, channels] + inputSize, dtype: weight.dtype)
    let outputShape = probe.convolution(
      weight: weight.detached(), bias: nil, stride: stride, padding: padding, dilation: dilation,
      groups: groups, context: context
    ).shape
    let lift = { (values: [Int], fill: Int) in spatialRank == 1 ? [fill] + values : values }
    let (kernel, steps, gaps, pads) = (
      lift(Array(weight.shape[2...]), 1), lift(stride, 1), lift(dilation, 1), lift(before, 0)
    )
    let (height, width) = (lift(inputSize, 1)[0], lift(inputSize, 1)[1])
    let outSize = lift(Array(outputShape[2...]), 1)
    let (outChannels, groupIn) = (weight.shape[0], weight.shape[1])
    let groupOut = outChannels / groups
    let values = [Double](weight)
    let columns = channels * height * width
    var matrix = [Double](repeating: 0, count: outChannels * outSize[0] * outSize[1] * columns)
    for o in 0..<outChannels {
      for oy in 0..<outSize[0] {
        for ox in 0..<outSize[1] {
          let row = (o * outSize[0] + oy) * outSize[1] + ox
          for ci in 0..<groupIn {
            let c = (o / groupOut) * groupIn + ci
            for i in 0..<kernel[0] {
              let h = oy * steps[0] - pads[0] + i * gaps[0]
              guard h >= 0 && h < height else { continue }
              for j in 0..<kernel[1] {
                let w = ox * steps[1] - pads[1] + j * gaps[1]
                guard w >= 0 && w < width else { continue }
                matrix[row * columns + (c * height + h) * width + w] +=
                  values[((o * groupIn + ci) * kernel[0] + i) * kernel[1] + j]
              }
            }
          }
        }
      }
    }
    return Tensor(
      matrix, shape: [matrix.count / Swift.max(columns, 1), columns], dtype: weight.dtype)
  }

  /// The dense matrix of average pooling of `channels` planes of spatial size `inputSize`:
  /// 1/divisor at each window position, zeros elsewhere.
  package static func averagePoolingMatrix(
    channels: Int, inputSize: [Int], options: SlidingPoolingOptions, dtype: DType,
    context: String
  ) -> Tensor {
    let probe = Tensor.zeros([1, 1] + inputSize, dtype: dtype)
    let (view, _) = probe.planes(spatialRank: inputSize.count, context: context)
    var options = options
    options.dilation = options.kernel.map { _ in 1 }
    let (rows, columns) = slidingWindows(view, options, context: context, original: probe.shape)
    return windowMatrix(channels: channels, view.shape[2], view.shape[3], rows, columns, dtype)
  }

  /// The dense matrix of nearest upsampling of `channels` planes of spatial size `inputSize`
  /// (to `size` or by `scaleFactor`): a single 1 per row, at the input position copied.
  package static func nearestUpsamplingMatrix(
    channels: Int, inputSize: [Int], size: [Int]?, scaleFactor: ScaleFactor?, dtype: DType,
    context: String
  ) -> Tensor {
    let probe = Tensor.zeros([1, 1] + inputSize, dtype: dtype)
    let axes = probe.resizeAxes(
      size: size, scaleFactor: scaleFactor, mode: .nearest, alignCorners: false,
      context: context)
    let lifted =
      axes.count == 1 ? [ResizeAxis(inputSize: 1, outputSize: 1, factor: nil)] + axes : axes
    let window = lifted.map { axis in
      let sources = axis.nearestSources(
        dtype: dtype, keepsOrDoubles: Tensor.nearestKeepsOrDoubles(axes))
      return PoolingAxis(
        starts: sources.map(Int64.init), counts: sources.map { _ in 1 }, step: 1,
        divisors: sources.map { _ in 1 })
    }
    return windowMatrix(
      channels: channels, lifted[0].inputSize, lifted[1].inputSize, window[0], window[1], dtype)
  }

  /// The matrix that averages each window of `rows` x `columns` per channel.
  private static func windowMatrix(
    channels: Int, _ height: Int, _ width: Int, _ rows: PoolingAxis, _ columns: PoolingAxis,
    _ dtype: DType
  ) -> Tensor {
    let (outHeight, outWidth) = (rows.outputSize, columns.outputSize)
    let inputCount = channels * height * width
    var matrix = [Double](repeating: 0, count: channels * outHeight * outWidth * inputCount)
    for c in 0..<channels {
      for oy in 0..<outHeight {
        for ox in 0..<outWidth {
          let row = (c * outHeight + oy) * outWidth + ox
          let share = 1 / Double(rows.divisors[oy] * columns.divisors[ox])
          for i in 0..<Int(rows.counts[oy]) {
            let h = Int(rows.starts[oy]) + i * rows.step
            for j in 0..<Int(columns.counts[ox]) {
              let w = Int(columns.starts[ox]) + j * columns.step
              matrix[row * inputCount + (c * height + h) * width + w] += share
            }
          }
        }
      }
    }
    return Tensor(matrix, shape: [channels * outHeight * outWidth, inputCount], dtype: dtype)
  }
}
