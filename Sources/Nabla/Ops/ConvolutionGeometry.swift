import CNablaKernels

// The options of convolutions and poolings (`Size2D`, `ConvolutionPadding`) and the shape checks
// they share. A 1-D operation runs as a 2-D one of height 1, so the kernels and the geometry are
// written once.

/// A pair of sizes for the height and width axes of a 2-D window (kernel size, stride,
/// padding, dilation); an integer literal gives both.
///
/// ```swift
/// let a: Size2D = 3       // 3 x 3
/// let b: Size2D = [3, 5]  // height 3, width 5
/// let c = Size2D(k)       // from a variable
/// ```
public struct Size2D: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral,
  ExpressibleByArrayLiteral
{
  /// The size along the height axis.
  public var height: Int
  /// The size along the width axis.
  public var width: Int

  /// Creates a pair with different sizes along the two axes.
  public init(_ height: Int, _ width: Int) {
    self.height = height
    self.width = width
  }

  /// Creates a pair with the same size along both axes.
  public init(_ both: Int) { self.init(both, both) }

  /// Creates a pair with the same size along both axes, from a literal.
  public init(integerLiteral value: Int) { self.init(value) }

  /// Creates a pair from a literal of one or two sizes.
  public init(arrayLiteral elements: Int...) {
    require(
      elements.count == 1 || elements.count == 2,
      "Size2D: expected 1 or 2 sizes (height, width), got \(elements)")
    self.init(elements[0], elements[elements.count - 1])
  }

  /// The sizes as `[height, width]`.
  public var values: [Int] { [height, width] }

  /// The pair written as `[height, width]`.
  public var description: String { describe(values) }
}

/// The implicit zero padding of a convolution, as PyTorch's `padding` argument: a number per
/// spatial axis (the same before and after), or `valid` (none) or `same` (the output keeps the
/// input's size; needs stride 1; an odd total puts the extra zero after, as PyTorch does).
///
/// ```swift
/// input.conv2d(weight: w, padding: 1)        // one zero on every side
/// input.conv2d(weight: w, padding: [1, 2])   // 1 above and below, 2 left and right
/// input.conv2d(weight: w, padding: .same)
/// ```
public enum ConvolutionPadding: Sendable, Hashable, CustomStringConvertible,
  ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral
{
  /// No padding.
  case valid
  /// Enough padding that a stride-1 convolution keeps the input's spatial size.
  case same
  /// The zeros added on each side of each spatial axis: one number for all axes, or one per axis.
  case explicit([Int])

  /// The same padding on every side, from a literal.
  public init(integerLiteral value: Int) { self = .explicit([value]) }

  /// One padding per spatial axis, from a literal.
  public init(arrayLiteral elements: Int...) { self = .explicit(elements) }

  /// `valid`, `same` or the numbers, as in `[1, 1]`.
  public var description: String {
    switch self {
    case .valid: "valid"
    case .same: "same"
    case .explicit(let sizes): describe(sizes)
    }
  }
}

/// Where a convolution's kernel lands, along the two spatial axes of the kernels (a 1-D
/// convolution has height 1, kernel height 1, stride 1 and no padding along height).
struct ConvolutionGeometry {
  var kernel: [Int]
  var stride: [Int]
  var dilation: [Int]
  var padBefore: [Int]
  var padAfter: [Int]

  /// The extent of the dilated kernel along `axis`.
  func span(_ axis: Int) -> Int { dilation[axis] * (kernel[axis] - 1) + 1 }

  /// The size of a convolution's output along `axis` for an input of `size`, or nil when the
  /// dilated kernel does not fit in the padded input.
  func outputSize(_ axis: Int, input size: Int) -> Int? {
    let padded = size + padBefore[axis] + padAfter[axis]
    return padded >= span(axis) ? (padded - span(axis)) / stride[axis] + 1 : nil
  }

  /// The geometry with its two axes swapped.
  var transposed: ConvolutionGeometry {
    ConvolutionGeometry(
      kernel: kernel.reversed(), stride: stride.reversed(), dilation: dilation.reversed(),
      padBefore: padBefore.reversed(), padAfter: padAfter.reversed())
  }

  /// The kernel-layer description of a convolution over `channels` planes of `height` x `width`
  /// giving `outHeight` x `outWidth` positions (one image's col rows, positions apart).
  func kernelGeometry(
    channels: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
  ) -> NablaConvGeometry {
    NablaConvGeometry(
      channels: channels, height: height, width: width, kernelHeight: kernel[0],
      kernelWidth: kernel[1], strideHeight: stride[0], strideWidth: stride[1],
      dilationHeight: dilation[0], dilationWidth: dilation[1], padTop: padBefore[0],
      padLeft: padBefore[1], outHeight: outHeight, outWidth: outWidth,
      colStride: outHeight * outWidth)
  }
}

extension ConvolutionPadding {
  /// The padding before and after each of `spatialRank` axes for a kernel of `kernel` sizes
  /// with `dilation`; stops with `context` when the padding cannot apply.
  func resolve(kernel: [Int], dilation: [Int], stride: [Int], context: @autoclosure () -> String)
    -> (
      before: [Int], after: [Int]
    )
  {
    let rank = kernel.count
    switch self {
    case .valid:
      return ([Int](repeating: 0, count: rank), [Int](repeating: 0, count: rank))
    case .same:
      require(
        stride.allSatisfy { $0 == 1 },
        "\(context()): padding 'same' needs stride 1, got stride \(describe(stride))")
      let totals = (0..<rank).map { dilation[$0] * (kernel[$0] - 1) }
      return (totals.map { $0 / 2 }, totals.map { $0 - $0 / 2 })
    case .explicit(let sizes):
      require(
        (sizes.count == 1 || sizes.count == rank) && sizes.allSatisfy { $0 >= 0 },
        "\(context()): padding \(describe(sizes)) must be one or \(rank) non-negative numbers")
      let padding = sizes.count == 1 ? [Int](repeating: sizes[0], count: rank) : sizes
      return (padding, padding)
    }
  }
}

/// Stops with `context` unless every entry of `values` (named `name`) is positive.
func requirePositive(_ values: [Int], _ name: String, _ context: @autoclosure () -> String) {
  require(
    values.allSatisfy { $0 > 0 }, "\(context()): \(name) \(describe(values)) must be positive")
}

extension Tensor {
  /// The tensor's sizes as [N, C, H, W] for an op over `spatialRank` (1 or 2) axes: a 1-D input
  /// [N, C, L] has height 1, and an input without batch axis a batch of one. The data is laid
  /// out the same either way. Stops with `context` for another rank or a non-float dtype.
  func planeSizes(spatialRank: Int, context: @autoclosure () -> String) -> [Int] {
    require(
      rank == spatialRank + 2 || rank == spatialRank + 1,
      "\(context()): expected an input of rank \(spatialRank + 2) ([batch, channels, "
        + (spatialRank == 1 ? "length" : "height, width")
        + "]) or \(spatialRank + 1) without the batch, got shape \(describe(shape))")
    requireFloatingPoint(context())
    var sizes = rank == spatialRank + 2 ? shape : [1] + shape
    if spatialRank == 1 { sizes.insert(1, at: 2) }
    return sizes
  }

  /// The tensor as [N, C, H, W] (see `planeSizes`), and a function that undoes the reshaping on a
  /// result of the same kind.
  func planes(spatialRank: Int, context: @autoclosure () -> String) -> (Tensor, (Tensor) -> Tensor)
  {
    let sizes = planeSizes(spatialRank: spatialRank, context: context())
    let batched = rank == spatialRank + 2
    return (
      reshaped(sizes),
      { result in
        var output = result
        if spatialRank == 1 { output = output.squeezed(axes: [2]) }
        return batched ? output : output.squeezed(axes: [0])
      }
    )
  }
}
