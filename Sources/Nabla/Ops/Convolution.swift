import CNablaKernels

// Convolutions and transposed convolutions in PyTorch's layouts: inputs [N, C, L] or
// [N, C, H, W] (or without N), weights [out, in/groups, k...] for a convolution and
// [in, out/groups, k...] for a transposed one.
//
// The forward pass unfolds each image's group of channels with im2col into a matrix whose columns
// are the receptive fields and multiplies it by the group's weight matrix (one GEMM per image and
// group, with the image's columns in a per-thread buffer that stays in cache); the matrix form
// gives the backward pass: dW = Σ dY · colsᵀ and dX = col2im(Wᵀ · dY). A transposed convolution
// runs the same kernels in the other order.

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
    groups: Int, paddingMode: PaddingMode = .zeros, context caller: @autoclosure () -> String?
  ) -> Tensor {
    let spatialRank = stride.count
    // Built only for a message: a string per call would cost more than a small convolution.
    func context() -> String {
      let name = spatialRank == 1 ? "conv1d" : "conv2d"
      return caller()
        ?? "\(name)(weight \(describe(weight.shape)), stride \(describe(stride)), padding "
        + "\(padding), dilation \(describe(dilation)), groups \(groups))"
    }
    let kernel = Tensor.checkedKernel(
      weight, layout: "[out, in/groups, kernel...]", stride: stride, dilation: dilation,
      context: context())
    let sizes = planeSizes(spatialRank: spatialRank, context: context())
    Tensor.requireMatching(self, weight, context())
    let (outChannels, groupChannels) = (weight.shape[0], weight.shape[1])
    let channels = sizes[1]
    require(
      groups > 0 && outChannels % groups == 0 && outChannels > 0,
      "\(context()): \(outChannels) output channels cannot be split into \(groups) groups")
    require(
      channels == groupChannels * groups,
      "\(context()): input of shape \(describe(shape)) has \(channels) channels, but the weight "
        + "\(describe(weight.shape)) with \(groups) group(s) expects \(groupChannels * groups)")
    let (before, after) = padding.resolve(
      kernel: kernel, dilation: dilation, stride: stride, context: context())
    if paddingMode != .zeros && (before + after).contains(where: { $0 != 0 }) {
      // Filled from the input itself: pad first, then convolve without padding.
      for (axis, size) in sizes.suffix(spatialRank).enumerated() {
        if let problem = paddingMode.problem(before: before[axis], after: after[axis], size: size) {
          stop("\(context()): input of shape \(describe(shape)): \(problem)")
        }
      }
      let amounts = zip(before, after).map { (before: $0, after: $1) }
      return padded(amounts, mode: paddingMode).convolution(
        weight: weight, bias: bias, stride: stride, padding: .valid, dilation: dilation,
        groups: groups, context: context())
    }
    let lift = { (values: [Int], fill: Int) in spatialRank == 1 ? [fill] + values : values }
    let geometry = ConvolutionGeometry(
      kernel: lift(kernel, 1), stride: lift(stride, 1), dilation: lift(dilation, 1),
      padBefore: lift(before, 0), padAfter: lift(after, 0))
    let inputSize = Array(sizes[2...])
    let outputSize = (0..<2).map { geometry.outputSize($0, input: inputSize[$0]) }
    guard let outHeight = outputSize[0], let outWidth = outputSize[1] else {
      let axes = (2 - spatialRank)..<2
      let padded = axes.map { inputSize[$0] + geometry.padBefore[$0] + geometry.padAfter[$0] }
      stop(
        "\(context()): input of shape \(describe(shape)) is too small: the padded input "
          + "\(describe(padded)) is smaller than the dilated kernel "
          + "\(describe(axes.map(geometry.span)))")
    }
    if let bias { Tensor.requireBias(bias, outChannels, weight, context()) }
    // The input, the weight and the result keep their own shapes: as planes [N, C, H, W] their
    // data is laid out the same, so no reshaping op is recorded. A kernel one column wide over
    // planes one column wide (a 1-D convolution written as Conv2d (k, 1), as audio models often
    // are) is the 1-D convolution of those columns: planes [C, H, 1] are laid out as [C, 1, H],
    // so it runs as one, on the paths made for rows.
    let isColumn =
      spatialRank == 2 && inputSize[1] == 1 && kernel[1] == 1 && before[1] == 0 && outWidth == 1
    let images = ImageConvolution(
      geometry: isColumn
        ? geometry.transposed.kernelGeometry(
          channels: channels / groups, height: 1, width: inputSize[0], outHeight: 1,
          outWidth: outHeight)
        : geometry.kernelGeometry(
          channels: channels / groups, height: inputSize[0], width: inputSize[1],
          outHeight: outHeight, outWidth: outWidth),
      batch: sizes[0], groups: groups, rows: outChannels / groups)
    let outputShape =
      shape.prefix(rank - spatialRank - 1) + [outChannels]
      + (spatialRank == 1 ? [outWidth] : [outHeight, outWidth])
    return Tensor.convolution2D(self, weight, bias, images, outputShape: Array(outputShape))
  }

  /// Stops with `context` unless `bias` is a vector of `channels` elements of the weight's dtype.
  static func requireBias(
    _ bias: Tensor, _ channels: Int, _ weight: Tensor, _ context: @autoclosure () -> String
  ) {
    require(
      bias.shape == [channels] && bias.dtype == weight.dtype,
      "\(context()): the bias must be a \(weight.dtype) vector of \(channels) elements, got "
        + "\(bias.dtype) of shape \(describe(bias.shape))")
  }

  /// Stops with `context` unless `weight` has rank 2 + `stride.count` (its axes named by
  /// `layout`) and the stride, dilation and kernel size are positive; returns the kernel size.
  private static func checkedKernel(
    _ weight: Tensor, layout: String, stride: [Int], dilation: [Int],
    context: @autoclosure () -> String
  ) -> [Int] {
    let spatialRank = stride.count
    require(
      weight.rank == spatialRank + 2,
      "\(context()): the weight must have rank \(spatialRank + 2) (\(layout)), got shape "
        + "\(describe(weight.shape))")
    let kernel = Array(weight.shape[2...])
    requirePositive(stride, "stride", context())
    requirePositive(dilation, "dilation", context())
    requirePositive(kernel, "kernel size", context())
    return kernel
  }

  /// The convolution of `images` of `input` (planes [N, C, H, W] in memory) with a weight
  /// [O, C/groups, kh(, kw)] and an optional [O] bias, into a result of `outputShape` (planes
  /// [N, O, outHeight, outWidth] in memory); records its backward. Each image's im2col matrix is
  /// multiplied by each group's weight matrix, Y_g = W_g · cols + b_g; the backward is
  /// dW_g = Σ dY_g · colsᵀ, db = Σ dY and dX_g = col2im(W_gᵀ · dY_g).
  private static func convolution2D(
    _ input: Tensor, _ weight: Tensor, _ bias: Tensor?, _ images: ImageConvolution,
    outputShape: [Int]
  ) -> Tensor {
    let (x, w, b) = (input.detached(), weight.detached(), bias?.detached())
    let result = Tensor(empty: outputShape, dtype: input.dtype)
    let needInput = input.requiresGrad
    let needWeight = weight.requiresGrad || (bias?.requiresGrad ?? false)
    // The im2col matrices are kept for the weight gradient when they are small (up to 16 MiB),
    // which saves unfolding the input a second time; larger ones are unfolded again.
    let plane = images.geometry
    let columnCount =
      images.batch * images.groups * plane.channels * plane.kernelHeight * plane.kernelWidth
      * plane.outHeight * plane.outWidth
    let keep =
      needWeight && GradMode.isEnabled && columnCount * input.dtype.byteCount <= 16 << 20
    let columns = keep ? Tensor(empty: [columnCount], dtype: input.dtype) : nil
    images.forward(x, w, b, into: result, keeping: columns)
    return input.record("conv", result, [input, weight] + (bias.map { [$0] } ?? [])) { g in
      var gradients: [Tensor?] = [nil, nil, nil]
      let inputGradient = needInput ? Tensor(empty: x.shape, dtype: x.dtype) : nil
      if needWeight {  // with the fold in the same pass when the input needs it too
        let weightGradient = Tensor(empty: w.shape, dtype: w.dtype)
        let biasGradient = b.map { Tensor(empty: $0.shape, dtype: $0.dtype) }
        images.weightGradient(
          x, columns: columns, g, into: weightGradient, biasGradient,
          folding: inputGradient.map { (w, $0) })
        gradients[1] = weightGradient
        gradients[2] = biasGradient
      } else if let inputGradient {
        images.fold(w, g, into: inputGradient)
      }
      gradients[0] = inputGradient
      return b == nil ? Array(gradients.prefix(2)) : gradients
    }
  }

  /// A transposed convolution over `stride.count` (1 or 2) spatial axes; `context` names the
  /// caller in messages, or nil for the function's own description.
  package func transposedConvolution(
    weight: Tensor, bias: Tensor?, stride: [Int], padding: [Int], outputPadding: [Int],
    dilation: [Int], groups: Int, context caller: @autoclosure () -> String?
  ) -> Tensor {
    let spatialRank = stride.count
    func context() -> String {  // built only for a message, as in convolution
      let name = spatialRank == 1 ? "convTranspose1d" : "convTranspose2d"
      return caller()
        ?? "\(name)(weight \(describe(weight.shape)), stride \(describe(stride)), padding "
        + "\(describe(padding)), outputPadding \(describe(outputPadding)), dilation "
        + "\(describe(dilation)), groups \(groups))"
    }
    let kernel = Tensor.checkedKernel(
      weight, layout: "[in, out/groups, kernel...]", stride: stride, dilation: dilation,
      context: context())
    require(
      padding.allSatisfy { $0 >= 0 },
      "\(context()): padding \(describe(padding)) must not be negative")
    for axis in 0..<spatialRank {
      require(
        outputPadding[axis] >= 0
          && (outputPadding[axis] < stride[axis] || outputPadding[axis] < dilation[axis]),
        "\(context()): output padding \(describe(outputPadding)) must be smaller than the stride "
          + "or the dilation")
    }
    let (view, restore) = planes(spatialRank: spatialRank, context: context())
    Tensor.requireMatching(view, weight, context())
    let channels = view.shape[1]
    require(
      groups > 0 && weight.shape[0] % groups == 0,
      "\(context()): \(weight.shape[0]) input channels cannot be split into \(groups) groups")
    require(
      channels == weight.shape[0],
      "\(context()): input of shape \(describe(shape)) has \(channels) channels, but the weight "
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
      "\(context()): input of shape \(describe(shape)) gives an empty output "
        + "\(describe(Array(outputSize.suffix(spatialRank))))")
    let biasView = bias.map {
      Tensor.requireBias($0, outChannels, weight, context())
      return $0.reshaped([1, outChannels, 1, 1])
    }
    let weight4D = spatialRank == 1 ? weight.unsqueezed(at: 2) : weight
    var output = Tensor.transposedConvolution2D(
      view, weight4D, geometry, groups: groups, outHeight: outputSize[0],
      outWidth: outputSize[1])
    if let biasView { output = output + biasView }
    return restore(output)
  }

  /// conv_transpose2d on [N, C, H, W] with a [C, O/groups, kh, kw] weight, checked; records its
  /// backward. The kernels of `convolution2D` in the other order: the forward is the fold
  /// Y_g = col2im(W_gᵀ · X_g), the input gradient the convolution W_g · im2col(dY_g).
  private static func transposedConvolution2D(
    _ input: Tensor, _ weight: Tensor, _ geometry: ConvolutionGeometry, groups: Int,
    outHeight: Int, outWidth: Int
  ) -> Tensor {
    let (batch, channels, height, width) = (
      input.shape[0], input.shape[1], input.shape[2], input.shape[3]
    )
    let groupOut = weight.shape[1]
    // The convolution this one transposes runs from this output to this input.
    let images = ImageConvolution(
      geometry: geometry.kernelGeometry(
        channels: groupOut, height: outHeight, width: outWidth, outHeight: height,
        outWidth: width),
      batch: batch, groups: groups, rows: channels / groups)
    let (x, w) = (input.detached(), weight.detached())
    let result = Tensor(
      empty: [batch, groupOut * groups, outHeight, outWidth], dtype: input.dtype)
    images.fold(w, x, into: result)
    let (needInput, needWeight) = (input.requiresGrad, weight.requiresGrad)
    return input.record("convTranspose", result, [input, weight]) { g in
      var inputGradient: Tensor?
      var weightGradient: Tensor?
      if needInput {
        inputGradient = Tensor(empty: x.shape, dtype: x.dtype)
        images.forward(g, w, nil, into: inputGradient!, keeping: nil)
      }
      if needWeight {
        weightGradient = Tensor(empty: w.shape, dtype: w.dtype)
        images.weightGradient(g, columns: nil, x, into: weightGradient!, nil)
      }
      return [inputGradient, weightGradient]
    }
  }
}

/// A convolution's three kernels over a batch of images (see convolutionForward in CNablaKernels.h):
/// the convolution itself, its adjoint in the input (the fold) and its adjoint in the weight.
/// A transposed convolution uses the same three with input and output swapped.
private struct ImageConvolution {
  /// One group of one image; `channels` counts one group's input channels.
  let geometry: NablaConvGeometry
  let batch: Int
  let groups: Int
  /// The output channels of one group.
  let rows: Int

  /// output = conv(input) + bias; `columns`, unless nil, keeps the im2col matrices.
  func forward(
    _ input: Tensor, _ weight: Tensor, _ bias: Tensor?, into output: Tensor,
    keeping columns: Tensor?
  ) {
    func run<Scalar: KernelScalar>(_: Scalar.Type) {
      withUnsafePointer(to: geometry) { g in
        Scalar.kernels.convolutionForward(
          g, batch, groups, rows, input.data(Scalar.self), weight.data(Scalar.self),
          bias?.data(Scalar.self), output.data(Scalar.self), columns?.data(Scalar.self))
      }
    }
    output.dtype.isSingle ? run(Float.self) : run(Double.self)
  }

  /// input = the adjoint of the convolution applied to `output` (overwrites `input`).
  func fold(_ weight: Tensor, _ output: Tensor, into input: Tensor) {
    func run<Scalar: KernelScalar>(_: Scalar.Type) {
      withUnsafePointer(to: geometry) { g in
        Scalar.kernels.convolutionFold(
          g, batch, groups, rows, weight.data(Scalar.self), output.data(Scalar.self),
          input.data(Scalar.self))
      }
    }
    input.dtype.isSingle ? run(Float.self) : run(Double.self)
  }

  /// The weight's (and the bias's) gradient for an output gradient `output`, overwritten;
  /// `columns` are the forward's kept im2col matrices of `input`, or nil. `folding` (a weight
  /// and an input-side tensor) also gets the fold of `output`, in the same pass.
  func weightGradient(
    _ input: Tensor, columns: Tensor?, _ output: Tensor, into weightGradient: Tensor,
    _ biasGradient: Tensor?, folding: (weight: Tensor, into: Tensor)? = nil
  ) {
    func run<Scalar: KernelScalar>(_: Scalar.Type) {
      withUnsafePointer(to: geometry) { g in
        Scalar.kernels.convolutionWeightGradient(
          g, batch, groups, rows, input.data(Scalar.self), columns?.data(Scalar.self),
          output.data(Scalar.self), weightGradient.data(Scalar.self),
          biasGradient?.data(Scalar.self), folding?.weight.data(Scalar.self),
          folding?.into.data(Scalar.self))
      }
    }
    input.dtype.isSingle ? run(Float.self) : run(Double.self)
  }
}
