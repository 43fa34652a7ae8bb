// Resizing the spatial axes, as PyTorch's `interpolate`. Nearest upsampling selects input
// positions (`indexSelect`, whose gradient adds back into them); linear, bilinear and bicubic
// upsampling multiply each axis by a fixed interpolation matrix, so none needs a backward rule
// of its own.

/// How `upsampled` computes the new positions.
public enum UpsamplingMode: String, Sendable, CaseIterable {
  /// Each output position copies the input position ⌊o·scale⌋ (PyTorch's `nearest`).
  case nearest
  /// Each output position copies the input position ⌊(o + ½)·scale⌋, the one whose centre is
  /// nearest (PyTorch's `nearest-exact`, which matches image libraries' nearest resizing).
  case nearestExact = "nearest-exact"
  /// Linear interpolation along the length of [N, C, L] inputs.
  case linear
  /// Bilinear interpolation over the height and width of [N, C, H, W] inputs.
  case bilinear
  /// Bicubic interpolation over the height and width of [N, C, H, W] inputs: Keys' cubic
  /// convolution with a = −0.75 on the four nearest inputs along each axis, as PyTorch.
  case bicubic

  /// The number of spatial axes the mode takes, or nil for any (the nearest modes).
  var spatialRank: Int? {
    switch self {
    case .nearest, .nearestExact: nil
    case .linear: 1
    case .bilinear, .bicubic: 2
    }
  }
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

  /// The input position a nearest mode copies for each output position: ⌊o·scale⌋ (or
  /// ⌊(o + ½)·scale⌋ when `exact`), at most the last position.
  ///
  /// As PyTorch's CPU kernels: the product is rounded to single precision before the floor
  /// (and computed in single precision for float32), which decides the cases where it falls
  /// within rounding of a whole number. With `keepsOrDoubles` (PyTorch's 2-D nearest kernel
  /// for outputs whose height plus width is at most 128) an axis whose size is kept is copied,
  /// and one whose size is doubled takes ⌊o/2⌋, whatever the factor.
  func nearestSources(dtype: DType, exact: Bool = false, keepsOrDoubles: Bool = false) -> [Int] {
    if keepsOrDoubles {
      if outputSize == inputSize { return Array(0..<outputSize) }
      if outputSize == 2 * inputSize { return (0..<outputSize).map { $0 / 2 } }
    }
    let last = inputSize - 1
    let shift = exact ? 0.5 : 0
    if dtype == .float32 {
      let scale = factor.map { Float(1 / $0) } ?? Float(inputSize) / Float(outputSize)
      return (0..<outputSize).map {
        Swift.min(Int(((Float($0) + Float(shift)) * scale).rounded(.down)), last)
      }
    }
    let scale = self.scale
    return (0..<outputSize).map {
      Swift.min(Int(Float((Double($0) + shift) * scale).rounded(.down)), last)
    }
  }

  /// Where output `position` falls on the input for the interpolating modes: o·(in − 1)/(out − 1)
  /// with `alignCorners`, (o + ½)·scale − ½ without (at least 0 when `clampedAtZero`).
  private func sourcePosition(_ position: Int, alignCorners: Bool, clampedAtZero: Bool) -> Double {
    if alignCorners {
      let step = outputSize > 1 ? Double(inputSize - 1) / Double(outputSize - 1) : 0
      return step * Double(position)
    }
    let source = scale * (Double(position) + 0.5) - 0.5
    return clampedAtZero ? Swift.max(source, 0) : source
  }

  /// The [outputSize, inputSize] matrix of bicubic interpolation along this axis, as PyTorch:
  /// source o·(in − 1)/(out − 1) with `alignCorners`, (o + ½)·scale − ½ without (not clamped,
  /// unlike the linear modes), whose fraction weights the four inputs around it by Keys'
  /// kernel with a = −0.75; taps past an edge fall on the edge.
  func cubicWeights(alignCorners: Bool) -> [Double] {
    let a = -0.75
    // |x| ≤ 1 and 1 < |x| < 2.
    func near(_ x: Double) -> Double { ((a + 2) * x - (a + 3)) * x * x + 1 }
    func far(_ x: Double) -> Double { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
    var matrix = [Double](repeating: 0, count: outputSize * inputSize)
    for position in 0..<outputSize {
      let source = sourcePosition(position, alignCorners: alignCorners, clampedAtZero: false)
      let low = Int(source.rounded(.down))
      let t = source - Double(low)
      let weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
      for (tap, weight) in weights.enumerated() {
        let input = Swift.min(Swift.max(low - 1 + tap, 0), inputSize - 1)
        matrix[position * inputSize + input] += weight
      }
    }
    return matrix
  }

  /// The [outputSize, inputSize] matrix of linear interpolation, with PyTorch's source
  /// positions: o·(in − 1)/(out − 1) with `alignCorners`, max((o + ½)·scale − ½, 0) without.
  func linearWeights(alignCorners: Bool) -> [Double] {
    var matrix = [Double](repeating: 0, count: outputSize * inputSize)
    for position in 0..<outputSize {
      let source = sourcePosition(position, alignCorners: alignCorners, clampedAtZero: true)
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
  /// rounded sizes would. Two exceptions follow PyTorch's CPU kernels: the linear and bilinear
  /// modes copy an axis whose size the factor keeps (2 · 1.3 → 2), and 2-D nearest does too,
  /// and takes ⌊o/2⌋ on an axis whose size it doubles (3 · 2.1 → 6), when the output's height
  /// plus width is at most 128.
  ///
  /// The gradient is that of the values returned. PyTorch's nearest backward always copies
  /// kept axes and halves on doubled ones, so for a factor that keeps or doubles a size without
  /// being 1 or 2, in 1-D or past that 2-D size, its gradient is not that of its own values;
  /// Nabla's is.
  ///
  /// - Parameters:
  ///   - size: The output's spatial size, one number per spatial axis.
  ///   - scaleFactor: The factor by which every spatial axis grows, or one factor per axis (the
  ///     output size is rounded down).
  ///   - mode: Nearest or nearest-exact, linear (for [N, C, L]), or bilinear or bicubic (for
  ///     [N, C, H, W]).
  ///   - alignCorners: For linear, bilinear and bicubic: whether the corner pixels' centres of
  ///     input and output coincide (false by default, as PyTorch); the nearest modes refuse
  ///     true.
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
      mode.spatialRank.map { $0 + 2 == rank } ?? true,
      "\(context): mode \(mode.rawValue) needs an input of rank \((mode.spatialRank ?? 0) + 2), "
        + "got shape \(describe(shape))")
    require(
      !(alignCorners && mode.spatialRank == nil),
      "\(context): alignCorners can only be set with the linear, bilinear and bicubic modes")
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

  /// Whether PyTorch's nearest kernel copies kept axes and halves on doubled ones for these
  /// axes: in 2-D, when the output's height plus width is at most 128 (its small-output path,
  /// found by comparing outputs over random shapes with PyTorch 2.15); never in 1-D.
  static func nearestKeepsOrDoubles(_ axes: [ResizeAxis]) -> Bool {
    axes.count == 2 && axes[0].outputSize + axes[1].outputSize <= 128
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
      let matrix: [Double]
      switch mode {
      case .nearest, .nearestExact:
        let sources = axis.nearestSources(
          dtype: dtype, exact: mode == .nearestExact,
          keepsOrDoubles: mode == .nearest && Tensor.nearestKeepsOrDoubles(axes))
        if sources == Array(0..<axis.inputSize) { continue }
        result = result.indexSelect(alongAxis: dimension, indices: Tensor(indices: sources))
        continue
      case .linear, .bilinear:
        // PyTorch's linear kernels copy an axis whose size is kept, whatever the factor.
        if axis.outputSize == axis.inputSize { continue }
        matrix = axis.linearWeights(alignCorners: alignCorners)
      case .bicubic:
        matrix = axis.cubicWeights(alignCorners: alignCorners)
      }
      let weights = Tensor(matrix, shape: [axis.outputSize, axis.inputSize], dtype: dtype)
      result =
        dimension == rank - 1
        ? result.matmul(weights.transposed()) : weights.matmul(result)
    }
    return result
  }
}
