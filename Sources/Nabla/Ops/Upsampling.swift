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

/// The factor by which a resize grows the spatial axes, as PyTorch's `scale_factor`: one number
/// for every axis, or one per axis.
///
/// ```swift
/// x.upsampled(scaleFactor: 2)           // every spatial axis twice as long
/// x.upsampled(scaleFactor: [2, 1.5])    // height doubled, width one and a half times
/// ```
public struct ScaleFactor: Sendable, Hashable, CustomStringConvertible,
  ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral
{
  /// The factors: one for all spatial axes, or one per axis.
  public var values: [Double]

  /// Creates factors from one number for all spatial axes or one per axis.
  ///
  /// - Parameter values: The factors, at least one.
  public init(_ values: [Double]) {
    require(!values.isEmpty, "ScaleFactor: expected at least one factor")
    self.values = values
  }

  /// Creates the same factor for every spatial axis.
  ///
  /// - Parameter factor: The factor.
  public init(_ factor: Double) { self.init([factor]) }

  /// Creates the same factor for every spatial axis, from a literal.
  ///
  /// - Parameter value: The factor.
  public init(floatLiteral value: Double) { self.init(value) }

  /// Creates the same whole-number factor for every spatial axis, from a literal.
  ///
  /// - Parameter value: The factor.
  public init(integerLiteral value: Int) { self.init(Double(value)) }

  /// Creates one factor per spatial axis, from a literal.
  ///
  /// - Parameter elements: The factors, in axis order.
  public init(arrayLiteral elements: Double...) { self.init(elements) }

  /// The factor, or the factors written as `[2.0, 1.5]`.
  public var description: String {
    values.count == 1
      ? "\(values[0])" : "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
  }
}

/// Where the output positions of a resize fall on the input's axis.
struct ResizeAxis {
  var inputSize: Int
  var outputSize: Int
  /// The scale factor given for this axis, or nil when the output size was given.
  var factor: Double?

  /// The input step per output step, as PyTorch without `recompute_scale_factor`: 1/factor
  /// when a factor was given, in/out otherwise.
  var scale: Double { factor.map { 1 / $0 } ?? Double(inputSize) / Double(outputSize) }

  /// The input position nearest mode copies for each output position: ⌊o·scale⌋, at most the
  /// last position. As PyTorch's CPU kernel, the product is rounded to single precision before
  /// the floor (and computed in single precision for float32), which decides the cases where
  /// o·scale falls within rounding of a whole number.
  func nearestSources(dtype: DType) -> [Int] {
    let last = inputSize - 1
    if dtype == .float32 {
      let scale = factor.map { Float(1 / $0) } ?? Float(inputSize) / Float(outputSize)
      return (0..<outputSize).map { Swift.min(Int((Float($0) * scale).rounded(.down)), last) }
    }
    let scale = self.scale
    return (0..<outputSize).map {
      Swift.min(Int(Float(Double($0) * scale).rounded(.down)), last)
    }
  }

  /// The [outputSize, inputSize] matrix of linear interpolation, with PyTorch's source
  /// positions: o·(in − 1)/(out − 1) with `alignCorners`, max((o + ½)·scale − ½, 0) without.
  func linearWeights(alignCorners: Bool) -> [Double] {
    var matrix = [Double](repeating: 0, count: outputSize * inputSize)
    for position in 0..<outputSize {
      let source: Double
      if alignCorners {
        let step = outputSize > 1 ? Double(inputSize - 1) / Double(outputSize - 1) : 0
        source = step * Double(position)
      } else {
        source = Swift.max(scale * (Double(position) + 0.5) - 0.5, 0)
      }
      // PyTorch takes the floor in single precision and clamps the fraction to [0, 1].
      let low = Swift.min(Int(Float(source).rounded(.down)), inputSize - 1)
      let high = low < inputSize - 1 ? low + 1 : low
      let fraction = Swift.min(Swift.max(source - Double(low), 0), 1)
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
  /// x.upsampled(scaleFactor: [2, 1.5]).shape              // [1, 3, 8, 6]
  /// x.upsampled(size: [6, 5], mode: .bilinear).shape      // [1, 3, 6, 5]
  /// ```
  ///
  /// As PyTorch does when `recompute_scale_factor` is not set, a given scale factor both sets
  /// the output size (⌊input · factor⌋) and places the output positions (1/factor apart on the
  /// input), so a factor that does not divide the sizes evenly places them as asked, not as the
  /// rounded sizes would.
  ///
  /// - Parameters:
  ///   - size: The output's spatial size, one number per spatial axis.
  ///   - scaleFactor: The factor by which every spatial axis grows, or one factor per axis (the
  ///     output size is rounded down).
  ///   - mode: Nearest, linear (for [N, C, L]) or bilinear (for [N, C, H, W]).
  ///   - alignCorners: For linear modes: whether the corner pixels' centres of input and output
  ///     coincide (false by default, as PyTorch); nearest mode refuses true.
  public func upsampled(
    size: [Int]? = nil, scaleFactor: ScaleFactor? = nil, mode: UpsamplingMode = .nearest,
    alignCorners: Bool = false
  ) -> Tensor {
    upsampled(
      size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners,
      context:
        "upsampled(size \(size.map(describe) ?? "nil"), scaleFactor "
        + "\(scaleFactor.map(\.description) ?? "nil"), mode \(mode.rawValue), alignCorners "
        + "\(alignCorners))")
  }

  /// The resize axes for an input of this shape; stops with `context` on bad options.
  func resizeAxes(
    size: [Int]?, scaleFactor: ScaleFactor?, mode: UpsamplingMode, alignCorners: Bool,
    context: String
  ) -> [ResizeAxis] {
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
      !(alignCorners && mode == .nearest),
      "\(context): alignCorners can only be set with the linear and bilinear modes")
    require(
      (size == nil) != (scaleFactor == nil),
      "\(context): give exactly one of size and scaleFactor")
    require(
      spatial.allSatisfy { $0 > 0 }, "\(context): input of shape \(describe(shape)) is empty")
    if let size {
      require(
        size.count == spatial.count && size.allSatisfy { $0 > 0 },
        "\(context): size \(describe(size)) must be \(spatial.count) positive numbers for input "
          + "of shape \(describe(shape))")
      return zip(spatial, size).map { ResizeAxis(inputSize: $0, outputSize: $1, factor: nil) }
    }
    let factors = scaleFactor!.values
    require(
      factors.count == 1 || factors.count == spatial.count,
      "\(context): scaleFactor \(scaleFactor!) must be one factor or \(spatial.count) (one per "
        + "spatial axis) for input of shape \(describe(shape))")
    require(
      factors.allSatisfy { $0 > 0 && $0.isFinite },
      "\(context): scaleFactor \(scaleFactor!) must be positive")
    return spatial.enumerated().map { axis, input in
      let factor = factors.count == 1 ? factors[0] : factors[axis]
      let output = Int((Double(input) * factor).rounded(.down))
      require(
        output > 0,
        "\(context): input of shape \(describe(shape)) scaled by \(scaleFactor!) is empty")
      return ResizeAxis(inputSize: input, outputSize: output, factor: factor)
    }
  }

  /// `upsampled` with `context` naming the caller in messages.
  package func upsampled(
    size: [Int]?, scaleFactor: ScaleFactor?, mode: UpsamplingMode, alignCorners: Bool,
    context: String
  ) -> Tensor {
    let axes = resizeAxes(
      size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners,
      context: context)
    var result = self
    for (offset, axis) in axes.enumerated() {
      let dimension = 2 + offset
      if mode == .nearest {
        result = result.indexSelect(
          alongAxis: dimension, indices: Tensor(indices: axis.nearestSources(dtype: dtype)))
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
