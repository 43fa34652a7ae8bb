// The upsampling layer: the options of `Tensor.upsampled`, applied to every input.

/// Resizes the spatial axes of [N, C, L] or [N, C, H, W] inputs, as `torch.nn.Upsample`:
/// nearest (the default), nearest-exact, linear, bilinear or bicubic, to a size or by a factor.
///
/// ```swift
/// Upsample(scaleFactor: 2)(Tensor.randomNormal([1, 3, 4, 4])).shape  // [1, 3, 8, 8]
/// Upsample(scaleFactor: [2, 3])(Tensor.randomNormal([1, 3, 4, 4])).shape  // [1, 3, 8, 12]
/// Upsample(size: [6, 6], mode: .bilinear, alignCorners: true)
/// ```
public final class Upsample: Module, @unchecked Sendable {
  /// The output's spatial size, or nil when a scale factor is given.
  public let size: [Int]?
  /// The growth of every spatial axis (or of each), or nil when a size is given.
  public let scaleFactor: ScaleFactor?
  /// How new positions are computed.
  public let mode: UpsamplingMode
  /// For linear modes: whether the corner pixels' centres of input and output line up.
  public let alignCorners: Bool

  /// Creates the layer; give exactly one of `size` and `scaleFactor`.
  ///
  /// - Parameters:
  ///   - size: The output's spatial size, one number per spatial axis.
  ///   - scaleFactor: The growth of every spatial axis, or one factor per axis; the output
  ///     size is rounded down and, as in PyTorch, the factor itself places the new positions.
  ///   - mode: Nearest or nearest-exact, linear (for [N, C, L]), or bilinear or bicubic (for
  ///     [N, C, H, W]).
  ///   - alignCorners: For linear, bilinear and bicubic: whether the corner pixels' centres of
  ///     input and output line up (false by default, as PyTorch); the nearest modes refuse
  ///     true.
  public init(
    size: [Int]? = nil, scaleFactor: ScaleFactor? = nil, mode: UpsamplingMode = .nearest,
    alignCorners: Bool = false
  ) {
    require(
      (size == nil) != (scaleFactor == nil), "Upsample: give exactly one of size and scaleFactor")
    self.size = size
    self.scaleFactor = scaleFactor
    self.mode = mode
    self.alignCorners = alignCorners
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    let target = size.map { "size: \(describe($0))" } ?? "scaleFactor: \(scaleFactor!)"
    return "Upsample(\(target), mode: \(mode.rawValue), alignCorners: \(alignCorners))"
  }

  /// PyTorch's text for the layer, as in `scale_factor=2.0, mode='nearest'` or
  /// `size=(8, 8), mode='bilinear'`.
  public override var extraDescription: String {
    let target: String
    if let scaleFactor {
      let factors = scaleFactor.values.map { pythonRepr($0) }
      target =
        "scale_factor=" + (factors.count == 1 ? factors[0] : "(\(factors.joined(separator: ", ")))")
    } else {
      let size = size ?? []
      target = "size=" + (size.count == 1 ? "\(size[0])" : pythonTuple(size))
    }
    return target + ", mode='\(mode.rawValue)'"
  }

  /// The resized input.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.upsampled(
        size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners,
        context: configuration)
    }
  }
}
