// Normalization over the trailing feature axes of each example: `LayerNorm`, one fused op
// (`layerNorm`) with a kernel for its backward, and `RMSNorm`, a composite of tensor ops.

/// Normalizes each example over its last `normalizedShape.count` axes to mean 0 and variance 1,
/// then scales and shifts elementwise, as `torch.nn.LayerNorm`:
/// y = (x − E[x]) / √(Var[x] + ε) · weight + bias, with the biased variance (divided by N).
///
/// ```swift
/// let norm = LayerNorm([64])
/// let y = norm(Tensor.randomNormal([8, 10, 64]))  // each of the 80 rows normalized
/// ```
public final class LayerNorm: Module, @unchecked Sendable {
  /// The scale, of shape `normalizedShape`, initialized to ones; nil without affine parameters.
  public let weight: Parameter?
  /// The shift, of shape `normalizedShape`, initialized to zeros; nil when absent.
  public let bias: Parameter?
  /// The trailing shape normalized over.
  public let normalizedShape: [Int]
  /// The number added to the variance, for numerical stability.
  public let epsilon: Double

  /// Creates a layer normalizing over trailing axes of shape `normalizedShape`.
  ///
  /// - Parameters:
  ///   - normalizedShape: The sizes of the last axes of the input, such as `[dModel]`.
  ///   - epsilon: Added to the variance (PyTorch's `eps`, 1e-5).
  ///   - elementwiseAffine: Whether to learn `weight` (and `bias`).
  ///   - bias: Whether to learn `bias` when affine.
  ///   - dtype: The parameters' element type.
  public init(
    _ normalizedShape: [Int], epsilon: Double = 1e-5, elementwiseAffine: Bool = true,
    bias: Bool = true, dtype: DType = .float32
  ) {
    require(
      !normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
      "LayerNorm: normalizedShape \(describe(normalizedShape)) must be non-empty and positive")
    self.normalizedShape = normalizedShape
    self.epsilon = epsilon
    weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape, dtype: dtype)) : nil
    self.bias =
      elementwiseAffine && bias ? Parameter(Tensor.zeros(normalizedShape, dtype: dtype)) : nil
  }

  /// Creates a layer normalizing over the last axis, of size `size`.
  public convenience init(_ size: Int, epsilon: Double = 1e-5, elementwiseAffine: Bool = true) {
    self.init([size], epsilon: epsilon, elementwiseAffine: elementwiseAffine)
  }

  /// PyTorch's text for the layer, as in `(64,), eps=1e-05, elementwise_affine=True, bias=True`.
  public override var extraDescription: String {
    "\(pythonTuple(normalizedShape)), eps=\(pythonRepr(epsilon)), "
      + "elementwise_affine=\(pythonRepr(weight != nil))"
      + ", bias=\(pythonRepr(bias != nil))"
  }

  /// `input` normalized over its trailing `normalizedShape` axes, then scaled and shifted.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      _ = trailingAxes(input, normalizedShape, "LayerNorm")
      return input.layerNorm(
        normalizedShape: normalizedShape, weight: weight?.value, bias: bias?.value,
        epsilon: epsilon)
    }
  }
}

/// Root-mean-square normalization, as `torch.nn.RMSNorm`: y = x / √(mean(x²) + ε) · weight over
/// the last `normalizedShape.count` axes, without centering or bias.
///
/// ```swift
/// let norm = RMSNorm([64])
/// let y = norm(x)  // x [..., 64]
/// ```
public final class RMSNorm: Module, @unchecked Sendable {
  /// The scale, of shape `normalizedShape`, initialized to ones; nil without affine parameters.
  public let weight: Parameter?
  /// The trailing shape normalized over.
  public let normalizedShape: [Int]
  /// The number added to the mean square; nil means the machine epsilon of the input's dtype
  /// (`torch.finfo(x.dtype).eps`), as PyTorch.
  public let epsilon: Double?

  /// Creates a layer normalizing over trailing axes of shape `normalizedShape`.
  ///
  /// - Parameters:
  ///   - normalizedShape: The trailing dimensions to normalize over.
  ///   - epsilon: Added to the mean square; nil (the default) uses the dtype's machine epsilon.
  ///   - elementwiseAffine: Whether to learn `weight`.
  ///   - dtype: The parameters' element type.
  public init(
    _ normalizedShape: [Int], epsilon: Double? = nil, elementwiseAffine: Bool = true,
    dtype: DType = .float32
  ) {
    require(
      !normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 },
      "RMSNorm: normalizedShape \(describe(normalizedShape)) must be non-empty and positive")
    self.normalizedShape = normalizedShape
    self.epsilon = epsilon
    weight = elementwiseAffine ? Parameter(Tensor.ones(normalizedShape, dtype: dtype)) : nil
  }

  /// PyTorch's text for the layer, as in `(64,), eps=None, elementwise_affine=True`.
  public override var extraDescription: String {
    "\(pythonTuple(normalizedShape)), eps=\(epsilon.map { pythonRepr($0) } ?? "None"), "
      + "elementwise_affine=\(pythonRepr(weight != nil))"
  }

  /// `input` divided by its root mean square over the trailing axes, then scaled.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      let axes = trailingAxes(input, normalizedShape, "RMSNorm")
      let eps =
        epsilon ?? (input.dtype == .float64 ? Double.ulpOfOne : Double(Float.ulpOfOne))
      let meanSquare = input.squared().mean(alongAxes: axes, keepingDims: true)
      let output = input * (meanSquare + eps).rsqrt()
      return weight.map { output * $0.value } ?? output
    }
  }
}

/// The axes of `input` that `normalizedShape` covers, or a stop naming both shapes.
private func trailingAxes(_ input: Tensor, _ normalizedShape: [Int], _ name: String) -> [Int] {
  let count = normalizedShape.count
  require(
    input.rank >= count && Array(input.shape.suffix(count)) == normalizedShape,
    "\(name)(\(describe(normalizedShape))): input of shape \(describe(input.shape)) does not end "
      + "in \(describe(normalizedShape))")
  return Array((input.rank - count)..<input.rank)
}
