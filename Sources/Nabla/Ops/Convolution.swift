import CNablaKernels

// Convolutions and transposed convolutions in PyTorch's layouts: inputs [N, C, L] or
// [N, C, H, W] (or without N), weights [out, in/groups, k...] for a convolution and
// [in, out/groups, k...] for a transposed one.
//
// The forward pass unfolds each image's group of channels with im2col into a matrix whose columns
// are the receptive fields and multiplies it by the group's weight matrix (one GEMM per group);
// the matrix form gives the backward pass: dW = dY · colsᵀ and dX = col2im(Wᵀ · dY). A transposed
// convolution runs the same two kernels in the other order. The im2col buffer holds the columns of
// a chunk of images side by side (at most `imagesPerChunk`'s budget, at least one image) and is
// reused from chunk to chunk.

extension Tensor {
  /// The 1-D cross-correlation of PyTorch's `conv1d`: input [N, C, L] (or [C, L]), weight
  /// [outChannels, C/groups, k], optional bias [outChannels].
  ///
  /// ```swift
  /// let x = Tensor.randomNormal([8, 3, 40])
  /// let w = Tensor.randomNormal([16, 3, 5])
  /// x.conv1d(weight: w, padding: 2).shape  // [8, 16, 40]
  /// ```
  ///
  /// - Parameters:
  ///   - weight: The kernels, [outChannels, C/groups, k].
  ///   - bias: The bias added to each output channel, [outChannels], or nil for none.
  ///   - stride: The step between kernel positions.
  ///   - padding: Zeros added at both ends (a number, `.valid` or `.same`).
  ///   - dilation: The spacing between kernel taps.
  ///   - groups: The number of channel groups; `groups == C` is a depthwise convolution.
  public func conv1d(
    weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: ConvolutionPadding = 0,
    dilation: Int = 1, groups: Int = 1
  ) -> Tensor {
    convolution(
      weight: weight, bias: bias, stride: [stride], padding: padding, dilation: [dilation],
      groups: groups, context: nil)
  }

  /// The 2-D cross-correlation of PyTorch's `conv2d`: input [N, C, H, W] (or [C, H, W]),
  /// weight [outChannels, C/groups, kh, kw], optional bias [outChannels].
  ///
  /// ```swift
  /// let x = Tensor.randomNormal([64, 1, 28, 28])
  /// let w = Tensor.randomNormal([16, 1, 3, 3])
  /// x.conv2d(weight: w, padding: 1).shape  // [64, 16, 28, 28]
  /// ```
  ///
  /// - Parameters:
  ///   - weight: The kernels, [outChannels, C/groups, kh, kw].
  ///   - bias: The bias added to each output channel, [outChannels], or nil for none.
  ///   - stride: The step between kernel positions, per axis or for both.
  ///   - padding: Zeros added on each side (numbers, `.valid` or `.same`).
  ///   - dilation: The spacing between kernel taps.
  ///   - groups: The number of channel groups; `groups == C` is a depthwise convolution.
  public func conv2d(
    weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: ConvolutionPadding = 0,
    dilation: Size2D = 1, groups: Int = 1
  ) -> Tensor {
    convolution(
      weight: weight, bias: bias, stride: stride.values, padding: padding,
      dilation: dilation.values, groups: groups, context: nil)
  }

  /// The transposed 1-D convolution of PyTorch's `conv_transpose1d` (the gradient of `conv1d`
  /// with respect to its input): input [N, C, L], weight [C, outChannels/groups, k].
  ///
  /// The output length is (L − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
  public func convTranspose1d(
    weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
    outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1
  ) -> Tensor {
    transposedConvolution(
      weight: weight, bias: bias, stride: [stride], padding: [padding],
      outputPadding: [outputPadding], dilation: [dilation], groups: groups, context: nil)
  }

  /// The transposed 2-D convolution of PyTorch's `conv_transpose2d`: input [N, C, H, W],
  /// weight [C, outChannels/groups, kh, kw].
  ///
  /// ```swift
  /// let x = Tensor.randomNormal([1, 8, 7, 7])
  /// x.convTranspose2d(weight: Tensor.randomNormal([8, 4, 3, 3]), stride: 2, padding: 1,
  ///                   outputPadding: 1).shape  // [1, 4, 14, 14]
  /// ```
  public func convTranspose2d(
    weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
    outputPadding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1
  ) -> Tensor {
    transposedConvolution(
      weight: weight, bias: bias, stride: stride.values, padding: padding.values,
      outputPadding: outputPadding.values, dilation: dilation.values, groups: groups,
      context: nil)
  }

  /// A convolution over `stride.count` (1 or 2) spatial axes; `context` names the caller (a
  /// layer and its configuration) in messages, or nil for the function's own description.
  package func convolution(
    weight: Tensor, bias: Tensor?, stride: [Int], padding: ConvolutionPadding, dilation: [Int],
    groups: Int, context: String?
  ) -> Tensor {
    let spatialRank = stride.count
    let name = spatialRank == 1 ? "conv1d" : "conv2d"
    let context =
      context
      ?? "\(name)(weight \(describe(weight.shape)), stride \(describe(stride)), padding "
      + "\(padding), dilation \(describe(dilation)), groups \(groups))"
    let kernel = Tensor.checkedKernel(
      weight, layout: "[out, in/groups, kernel...]", stride: stride, dilation: dilation,
      context: context)
    let (view, restore) = planes(spatialRank: spatialRank, context: context)
    Tensor.requireMatching(view, weight, context)
    let (outChannels, groupChannels) = (weight.shape[0], weight.shape[1])
    let channels = view.shape[1]
    require(
      groups > 0 && outChannels % groups == 0 && outChannels > 0,
      "\(context): \(outChannels) output channels cannot be split into \(groups) groups")
    require(
      channels == groupChannels * groups,
      "\(context): input of shape \(describe(shape)) has \(channels) channels, but the weight "
        + "\(describe(weight.shape)) with \(groups) group(s) expects \(groupChannels * groups)")
    let (before, after) = padding.resolve(
      kernel: kernel, dilation: dilation, stride: stride, context: context)
    let lift = { (values: [Int], fill: Int) in spatialRank == 1 ? [fill] + values : values }
    let geometry = ConvolutionGeometry(
      kernel: lift(kernel, 1), stride: lift(stride, 1), dilation: lift(dilation, 1),
      padBefore: lift(before, 0), padAfter: lift(after, 0))
    let inputSize = Array(view.shape[2...])
    let outputSize = (0..<2).map { geometry.outputSize($0, input: inputSize[$0]) }
    guard let outHeight = outputSize[0], let outWidth = outputSize[1] else {
      let axes = (2 - spatialRank)..<2
      let padded = axes.map { inputSize[$0] + geometry.padBefore[$0] + geometry.padAfter[$0] }
      fatalError(
        "\(context): input of shape \(describe(shape)) is too small: the padded input "
          + "\(describe(padded)) is smaller than the dilated kernel "
          + "\(describe(axes.map(geometry.span)))")
    }
    let biasView = bias.map { Tensor.checkedBias($0, outChannels, weight, context) }
    let weight4D = spatialRank == 1 ? weight.unsqueezed(at: 2) : weight
    var output = Tensor.convolution2D(
      view, weight4D, geometry, groups: groups, outHeight: outHeight, outWidth: outWidth)
    if let biasView { output = output + biasView }
    return restore(output)
  }

  /// A bias of `channels` elements as [1, channels, 1, 1], checked against the weight.
  static func checkedBias(_ bias: Tensor, _ channels: Int, _ weight: Tensor, _ context: String)
    -> Tensor
  {
    require(
      bias.shape == [channels] && bias.dtype == weight.dtype,
      "\(context): the bias must be a \(weight.dtype) vector of \(channels) elements, got "
        + "\(bias.dtype) of shape \(describe(bias.shape))")
    return bias.reshaped([1, channels, 1, 1])
  }

  /// Stops with `context` unless `weight` has rank 2 + `stride.count` (its axes named by
  /// `layout`) and the stride, dilation and kernel size are positive; returns the kernel size.
  private static func checkedKernel(
    _ weight: Tensor, layout: String, stride: [Int], dilation: [Int], context: String
  ) -> [Int] {
    let spatialRank = stride.count
    require(
      weight.rank == spatialRank + 2,
      "\(context): the weight must have rank \(spatialRank + 2) (\(layout)), got shape "
        + "\(describe(weight.shape))")
    let kernel = Array(weight.shape[2...])
    requirePositive(stride, "stride", context)
    requirePositive(dilation, "dilation", context)
    requirePositive(kernel, "kernel size", context)
    return kernel
  }

  /// conv2d on [N, C, H, W] with a [O, C/groups, kh, kw] weight, checked; records its backward.
  ///
  /// Images are taken in chunks whose im2col matrices sit side by side in one buffer, so each
  /// group of each chunk is one GEMM: Y_g = W_g · cols.
  private static func convolution2D(
    _ input: Tensor, _ weight: Tensor, _ geometry: ConvolutionGeometry, groups: Int,
    outHeight: Int, outWidth: Int
  ) -> Tensor {
    let (batch, channels, height, width) = (
      input.shape[0], input.shape[1], input.shape[2], input.shape[3]
    )
    let outChannels = weight.shape[0]
    let (groupIn, groupOut) = (channels / groups, outChannels / groups)
    let fields = groupIn * geometry.kernel[0] * geometry.kernel[1]
    let (plane, positions) = (height * width, outHeight * outWidth)
    let chunk = imagesPerChunk(batch: batch, rows: fields, positions: positions)
    func kernelGeometry(_ images: Int) -> NablaConvGeometry {
      geometry.kernelGeometry(
        channels: groupIn, height: height, width: width, outHeight: outHeight,
        outWidth: outWidth, colStride: images * positions)
    }
    let (x, w) = (input.detached(), weight.detached())
    let groupWeights = GroupWeights(weight: w, rows: groupOut, fields: fields)
    let inputPlanes = ImagePlanes(channelCount: channels, plane: plane, positions: positions)
    let result = Tensor(empty: [batch, outChannels, outHeight, outWidth], dtype: input.dtype)
    let col = Tensor(empty: [fields, chunk * positions], dtype: input.dtype)
    let block = Tensor(empty: [groupOut, chunk * positions], dtype: input.dtype)
    for images in imageChunks(batch: batch, chunk: chunk) {
      let columns = images.count * positions
      let unfold = kernelGeometry(images.count)
      for group in 0..<groups {
        inputPlanes.unfold(
          x, images: images, firstChannel: group * groupIn, with: unfold, into: col)
        groupWeights.multiply(group: group, col, columns: columns, into: block)
        scatterChannels(
          block, into: result, images: images,
          channels: group * groupOut..<(group + 1) * groupOut, channelCount: outChannels,
          plane: positions)
      }
    }
    let (needInput, needWeight) = (input.requiresGrad, weight.requiresGrad)
    return input.record("conv", result, [input, weight]) { g in
      let inputGradient = needInput ? Tensor.zeros(x.shape, dtype: x.dtype) : nil
      let weightGradient = needWeight ? Tensor.zeros(w.shape, dtype: w.dtype) : nil
      let col = Tensor(empty: [fields, chunk * positions], dtype: x.dtype)
      let block = Tensor(empty: [groupOut, chunk * positions], dtype: x.dtype)
      for images in imageChunks(batch: batch, chunk: chunk) {
        let columns = images.count * positions
        let unfold = kernelGeometry(images.count)
        for group in 0..<groups {
          gatherChannels(
            g, images: images, channels: group * groupOut..<(group + 1) * groupOut,
            channelCount: outChannels, plane: positions, into: block)
          if let weightGradient {
            // dW_g += dY_g · colsᵀ
            inputPlanes.unfold(
              x, images: images, firstChannel: group * groupIn, with: unfold, into: col)
            groupWeights.accumulateGradient(
              weightGradient, group: group, block, col, columns: columns)
          }
          if let inputGradient {
            // dX_g += col2im(W_gᵀ · dY_g)
            groupWeights.multiplyTransposed(group: group, block, columns: columns, into: col)
            inputPlanes.fold(
              col, with: unfold, into: inputGradient, images: images,
              firstChannel: group * groupIn)
          }
        }
      }
      return [inputGradient, weightGradient]
    }
  }

  /// A transposed convolution over `stride.count` (1 or 2) spatial axes; `context` names the
  /// caller in messages, or nil for the function's own description.
  package func transposedConvolution(
    weight: Tensor, bias: Tensor?, stride: [Int], padding: [Int], outputPadding: [Int],
    dilation: [Int], groups: Int, context: String?
  ) -> Tensor {
    let spatialRank = stride.count
    let name = spatialRank == 1 ? "convTranspose1d" : "convTranspose2d"
    let context =
      context
      ?? "\(name)(weight \(describe(weight.shape)), stride \(describe(stride)), padding "
      + "\(describe(padding)), outputPadding \(describe(outputPadding)), dilation "
      + "\(describe(dilation)), groups \(groups))"
    let kernel = Tensor.checkedKernel(
      weight, layout: "[in, out/groups, kernel...]", stride: stride, dilation: dilation,
      context: context)
    require(
      padding.allSatisfy { $0 >= 0 },
      "\(context): padding \(describe(padding)) must not be negative")
    for axis in 0..<spatialRank {
      require(
        outputPadding[axis] >= 0
          && (outputPadding[axis] < stride[axis] || outputPadding[axis] < dilation[axis]),
        "\(context): output padding \(describe(outputPadding)) must be smaller than the stride "
          + "or the dilation")
    }
    let (view, restore) = planes(spatialRank: spatialRank, context: context)
    Tensor.requireMatching(view, weight, context)
    let channels = view.shape[1]
    require(
      groups > 0 && weight.shape[0] % groups == 0,
      "\(context): \(weight.shape[0]) input channels cannot be split into \(groups) groups")
    require(
      channels == weight.shape[0],
      "\(context): input of shape \(describe(shape)) has \(channels) channels, but the weight "
        + "\(describe(weight.shape)) expects \(weight.shape[0])")
    let outChannels = weight.shape[1] * groups
    let lift = { (values: [Int], fill: Int) in spatialRank == 1 ? [fill] + values : values }
    let geometry = ConvolutionGeometry(
      kernel: lift(kernel, 1), stride: lift(stride, 1), dilation: lift(dilation, 1),
      padBefore: lift(padding, 0), padAfter: lift(padding, 0))
    let inputSize = Array(view.shape[2...])
    let extra = lift(outputPadding, 0)
    let outputSize = (0..<2).map { axis in
      (inputSize[axis] - 1) * geometry.stride[axis] - 2 * geometry.padBefore[axis]
        + geometry.span(axis) + extra[axis]
    }
    require(
      outputSize.allSatisfy { $0 > 0 },
      "\(context): input of shape \(describe(shape)) gives an empty output "
        + "\(describe(Array(outputSize.suffix(spatialRank))))")
    let biasView = bias.map { Tensor.checkedBias($0, outChannels, weight, context) }
    let weight4D = spatialRank == 1 ? weight.unsqueezed(at: 2) : weight
    var output = Tensor.transposedConvolution2D(
      view, weight4D, geometry, groups: groups, outHeight: outputSize[0],
      outWidth: outputSize[1])
    if let biasView { output = output + biasView }
    return restore(output)
  }

  /// conv_transpose2d on [N, C, H, W] with a [C, O/groups, kh, kw] weight, checked; records its
  /// backward. The two kernels of `convolution2D` in the other order: cols = W_gᵀ · X_g, then
  /// col2im into the output.
  private static func transposedConvolution2D(
    _ input: Tensor, _ weight: Tensor, _ geometry: ConvolutionGeometry, groups: Int,
    outHeight: Int, outWidth: Int
  ) -> Tensor {
    let (batch, channels, height, width) = (
      input.shape[0], input.shape[1], input.shape[2], input.shape[3]
    )
    let (groupIn, groupOut) = (channels / groups, weight.shape[1])
    let outChannels = groupOut * groups
    let fields = groupOut * geometry.kernel[0] * geometry.kernel[1]
    let (positions, outPlane) = (height * width, outHeight * outWidth)
    let chunk = imagesPerChunk(batch: batch, rows: fields, positions: positions)
    // The geometry of the convolution this one transposes: from the output to the input.
    func kernelGeometry(_ images: Int) -> NablaConvGeometry {
      geometry.kernelGeometry(
        channels: groupOut, height: outHeight, width: outWidth, outHeight: height,
        outWidth: width, colStride: images * positions)
    }
    let (x, w) = (input.detached(), weight.detached())
    let groupWeights = GroupWeights(weight: w, rows: groupIn, fields: fields)
    let outputPlanes = ImagePlanes(
      channelCount: outChannels, plane: outPlane, positions: positions)
    let result = Tensor.zeros([batch, outChannels, outHeight, outWidth], dtype: input.dtype)
    let col = Tensor(empty: [fields, chunk * positions], dtype: input.dtype)
    let block = Tensor(empty: [groupIn, chunk * positions], dtype: input.dtype)
    for images in imageChunks(batch: batch, chunk: chunk) {
      let columns = images.count * positions
      let fold = kernelGeometry(images.count)
      for group in 0..<groups {
        gatherChannels(
          x, images: images, channels: group * groupIn..<(group + 1) * groupIn,
          channelCount: channels, plane: positions, into: block)
        groupWeights.multiplyTransposed(group: group, block, columns: columns, into: col)
        outputPlanes.fold(
          col, with: fold, into: result, images: images, firstChannel: group * groupOut)
      }
    }
    let (needInput, needWeight) = (input.requiresGrad, weight.requiresGrad)
    return input.record("convTranspose", result, [input, weight]) { g in
      let inputGradient = needInput ? Tensor(empty: x.shape, dtype: x.dtype) : nil
      let weightGradient = needWeight ? Tensor.zeros(w.shape, dtype: w.dtype) : nil
      let col = Tensor(empty: [fields, chunk * positions], dtype: x.dtype)
      let block = Tensor(empty: [groupIn, chunk * positions], dtype: x.dtype)
      for images in imageChunks(batch: batch, chunk: chunk) {
        let columns = images.count * positions
        let unfold = kernelGeometry(images.count)
        for group in 0..<groups {
          let groupChannels = group * groupIn..<(group + 1) * groupIn
          outputPlanes.unfold(
            g, images: images, firstChannel: group * groupOut, with: unfold, into: col)
          if let weightGradient {
            // dW_g += X_g · im2col(dY_g)ᵀ
            gatherChannels(
              x, images: images, channels: groupChannels, channelCount: channels,
              plane: positions, into: block)
            groupWeights.accumulateGradient(
              weightGradient, group: group, block, col, columns: columns)
          }
          if let inputGradient {
            // dX_g = W_g · im2col(dY_g)
            groupWeights.multiply(group: group, col, columns: columns, into: block)
            scatterChannels(
              block, into: inputGradient, images: images, channels: groupChannels,
              channelCount: channels, plane: positions)
          }
        }
      }
      return [inputGradient, weightGradient]
    }
  }
}

/// The chunks of at most `chunk` consecutive images that cover a batch of `batch`.
private func imageChunks(batch: Int, chunk: Int) -> [Range<Int>] {
  stride(from: 0, to: batch, by: chunk).map { $0..<Swift.min($0 + chunk, batch) }
}

/// The per-group weight matrices of a grouped convolution or transposed convolution: group g's
/// matrix is the `rows` × `fields` block at rows g·rows of the weight, and the three products
/// both ops (and their backward passes) are made of.
private struct GroupWeights {
  /// The detached weight, [groups · rows, fields] in memory.
  let weight: Tensor
  /// The rows of one group's matrix: output channels of a convolution, input channels of a
  /// transposed one.
  let rows: Int
  /// The columns of one group's matrix: the rows of an im2col matrix.
  let fields: Int

  /// block = W_g · col, for `columns` columns of `col`.
  func multiply(group: Int, _ col: Tensor, columns: Int, into block: Tensor) {
    gemm(
      transposeA: false, transposeB: false, m: rows, n: columns, k: fields, weight,
      group * rows * fields, lda: fields, col, 0, ldb: columns, beta: 0, block, 0, ldc: columns)
  }

  /// col = W_gᵀ · block, for `columns` columns of `block`.
  func multiplyTransposed(group: Int, _ block: Tensor, columns: Int, into col: Tensor) {
    gemm(
      transposeA: true, transposeB: false, m: fields, n: columns, k: rows, weight,
      group * rows * fields, lda: fields, block, 0, ldb: columns, beta: 0, col, 0, ldc: columns)
  }

  /// dW_g += block · colᵀ, over `columns` columns of both.
  func accumulateGradient(
    _ gradient: Tensor, group: Int, _ block: Tensor, _ col: Tensor, columns: Int
  ) {
    gemm(
      transposeA: false, transposeB: true, m: rows, n: fields, k: columns, block, 0,
      lda: columns, col, 0, ldb: columns, beta: 1, gradient, group * rows * fields, ldc: fields)
  }
}

/// The images of an [N, channelCount, plane] tensor seen through im2col matrices of `positions`
/// columns per image, laid side by side.
private struct ImagePlanes {
  let channelCount: Int
  let plane: Int
  let positions: Int

  /// Unfolds the group of channels from `firstChannel` of each of `images` of `x` into `col`.
  func unfold(
    _ x: Tensor, images: Range<Int>, firstChannel: Int, with geometry: NablaConvGeometry,
    into col: Tensor
  ) {
    let offset = (images.lowerBound * channelCount + firstChannel) * plane
    withUnsafePointer(to: geometry) { g in
      if x.dtype == .float32 {
        nabla_im2col_images_f32(
          g, images.count, x.f32 + offset, channelCount * plane, col.f32, positions)
      } else {
        nabla_im2col_images_f64(
          g, images.count, x.f64 + offset, channelCount * plane, col.f64, positions)
      }
    }
  }

  /// Adds the columns of `col` back into the group of channels from `firstChannel` of each of
  /// `images` of `x`.
  func fold(
    _ col: Tensor, with geometry: NablaConvGeometry, into x: Tensor, images: Range<Int>,
    firstChannel: Int
  ) {
    let offset = (images.lowerBound * channelCount + firstChannel) * plane
    withUnsafePointer(to: geometry) { g in
      if x.dtype == .float32 {
        nabla_col2im_images_f32(
          g, images.count, col.f32, positions, x.f32 + offset, channelCount * plane)
      } else {
        nabla_col2im_images_f64(
          g, images.count, col.f64, positions, x.f64 + offset, channelCount * plane)
      }
    }
  }
}
