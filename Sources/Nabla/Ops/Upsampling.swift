// Resizing the spatial axes, as PyTorch's `interpolate`. Nearest upsampling selects input
// positions (`indexSelect`, whose gradient adds back into them); linear and bilinear upsampling
// multiply each axis by a fixed interpolation matrix, so neither needs a backward rule of its own.

/// How `upsampled` computes the new positions.
public enum UpsamplingMode: String, Sendable, CaseIterable {
  /// Each output position copies the input position ⌊o·scale⌋ (PyTorch's `nearest`).
  case nearest
  /// Linear interpolation along the length of [N, C, L] inputs.
  case linear
  /// Bilinear interpolation over the height and width of [N, C, H, W] inputs.
  case bilinear
}

/// Where the output positions of a resize fall on the input's axis.
struct ResizeAxis {
  var inputSize: Int
  var outputSize: Int
  /// The input step per output step: 1/scaleFactor when one was given, in/out otherwise.
  var scale: Double

  /// The input position nearest mode copies for each output position.
  var nearestSources: [Int] {
    (0..<outputSize).map { Swift.min(Int((Double($0) * scale).rounded(.down)), inputSize - 1) }
  }

  /// The [outputSize, inputSize] matrix of linear interpolation (PyTorch's source positions for
  /// `alignCorners` true and false).
  func linearWeights(alignCorners: Bool) -> [Double] {
    var matrix = [Double](repeating: 0, count: outputSize * inputSize)
    for position in 0..<outputSize {
      let source: Double
      if alignCorners {
        source =
          outputSize > 1
          ? Double(position) * Double(inputSize - 1) / Double(outputSize - 1) : 0
      } else {
        source = Swift.max(scale * (Double(position) + 0.5) - 0.5, 0)
      }
      let low = Swift.min(Int(source.rounded(.down)), inputSize - 1)
      let high = low < inputSize - 1 ? low + 1 : low
      let fraction = source - Double(low)
      matrix[position * inputSize + low] += 1 - fraction
      matrix[position * inputSize + high] += fraction
    }
    return matrix
  }
}

extension Tensor {
  /// Resizes the spatial axes of [N, C, L] or [N, C, H, W] to `size`, or by `scaleFactor`, as
  /// PyTorch's `interpolate` (give exactly one of the two).
  ///
  /// ```swift
  /// let x = Tensor.randomNormal([1, 3, 4, 4])
  /// x.upsampled(scaleFactor: 2).shape                     // [1, 3, 8, 8], nearest
  /// x.upsampled(size: [6, 5], mode: .bilinear).shape      // [1, 3, 6, 5]
  /// ```
  ///
  /// - Parameters:
  ///   - size: The output's spatial size, one number per spatial axis.
  ///   - scaleFactor: The factor by which every spatial axis grows (the output size is rounded
  ///     down).
  ///   - mode: Nearest, linear (for [N, C, L]) or bilinear (for [N, C, H, W]).
  ///   - alignCorners: For linear modes: whether the corner pixels' centres of input and output
  ///     coincide (false by default, as PyTorch).
  public func upsampled(
    size: [Int]? = nil, scaleFactor: Double? = nil, mode: UpsamplingMode = .nearest,
    alignCorners: Bool = false
  ) -> Tensor {
    upsampled(
      size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners,
      context:
        "upsampled(size \(size.map(describe) ?? "nil"), scaleFactor "
        + "\(scaleFactor.map { "\($0)" } ?? "nil"), mode \(mode.rawValue))")
  }

  /// The resize axes for an input of this shape; stops with `context` on bad options.
  func resizeAxes(size: [Int]?, scaleFactor: Double?, mode: UpsamplingMode, context: String)
    -> [ResizeAxis]
  {
    requireFloatingPoint(context)
    require(
      rank == 3 || rank == 4,
      "\(context): expected an input [N, C, L] or [N, C, H, W], got shape \(describe(shape))")
    let spatial = Array(shape[2...])
    require(
      mode == .nearest || (mode == .linear) == (rank == 3),
      "\(context): mode \(mode.rawValue) needs an input of rank \(mode == .linear ? 3 : 4), got "
        + "shape \(describe(shape))")
    require(
      (size == nil) != (scaleFactor == nil),
      "\(context): give exactly one of size and scaleFactor")
    if let size {
      require(
        size.count == spatial.count && size.allSatisfy { $0 > 0 },
        "\(context): size \(describe(size)) must be \(spatial.count) positive numbers for input "
          + "of shape \(describe(shape))")
      require(
        spatial.allSatisfy { $0 > 0 }, "\(context): input of shape \(describe(shape)) is empty")
      return zip(spatial, size).map {
        ResizeAxis(inputSize: $0, outputSize: $1, scale: Double($0) / Double($1))
      }
    }
    let factor = scaleFactor!
    require(factor > 0, "\(context): scaleFactor \(factor) must be positive")
    return spatial.map { input in
      let output = Int((Double(input) * factor).rounded(.down))
      require(
        output > 0 && input > 0,
        "\(context): input of shape \(describe(shape)) scaled by \(factor) is empty")
      return ResizeAxis(inputSize: input, outputSize: output, scale: 1 / factor)
    }
  }

  /// `upsampled` with `context` naming the caller in messages.
  package func upsampled(
    size: [Int]?, scaleFactor: Double?, mode: UpsamplingMode, alignCorners: Bool,
    context: String
  ) -> Tensor {
    let axes = resizeAxes(size: size, scaleFactor: scaleFactor, mode: mode, context: context)
    var result = self
    for (offset, axis) in axes.enumerated() {
      let dimension = 2 + offset
      if mode == .nearest {
        result = result.indexSelect(
          alongAxis: dimension, indices: Tensor(indices: axis.nearestSources))
        continue
      }
      let weights = Tensor(
        axis.linearWeights(alignCorners: alignCorners), shape: [axis.outputSize, axis.inputSize],
        dtype: dtype)
      result =
        dimension == rank - 1
        ? result.matmul(weights.transposed()) : weights.matmul(result)
    }
    return result
  }
}
