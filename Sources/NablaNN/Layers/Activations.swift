// Activation layers: each wraps the Tensor op of the same name, so that an activation can sit in
// a `Sequential` like any other layer. They hold no parameters.

/// max(0, x), elementwise, as `torch.nn.ReLU`.
///
/// ```swift
/// ReLU()(Tensor([-1, 0, 2]))  // [0, 0, 2]
/// ```
public final class ReLU: Module, @unchecked Sendable {
  /// Creates the layer.
  public override init() {}

  /// max(0, x) for each element of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in input.relu() }
  }
}

/// x for positive x and `negativeSlope`·x otherwise, as `torch.nn.LeakyReLU`.
///
/// ```swift
/// LeakyReLU(negativeSlope: 0.1)(Tensor([-2, 3]))  // [-0.2, 3]
/// ```
public final class LeakyReLU: Module, @unchecked Sendable {
  /// The slope applied to negative inputs.
  public let negativeSlope: Double

  /// Creates the layer with the given slope for negative inputs.
  public init(negativeSlope: Double = 0.01) { self.negativeSlope = negativeSlope }

  /// PyTorch's text for the layer, as in `negative_slope=0.01`.
  public override var extraDescription: String { "negative_slope=\(pythonRepr(negativeSlope))" }

  /// The leaky rectifier of each element of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.leakyRelu(negativeSlope: negativeSlope)
    }
  }
}

/// The exponential linear unit: x for positive x and `alpha`·(eˣ − 1) otherwise, as
/// `torch.nn.ELU`.
public final class ELU: Module, @unchecked Sendable {
  /// The scale of the negative branch; negative inputs saturate at −`alpha`.
  public let alpha: Double

  /// Creates the layer with the given scale for the negative branch.
  public init(alpha: Double = 1) { self.alpha = alpha }

  /// PyTorch's text for the layer, as in `alpha=1.0`.
  public override var extraDescription: String { "alpha=\(pythonRepr(alpha))" }

  /// The ELU of each element of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in input.elu(alpha: alpha) }
  }
}

/// The Gaussian error linear unit x·Φ(x), exact or with the tanh approximation, as
/// `torch.nn.GELU`.
///
/// ```swift
/// let activation = GELU(approximation: .tanh)
/// ```
public final class GELU: Module, @unchecked Sendable {
  /// How the Gaussian CDF Φ is evaluated.
  public let approximation: GELUApproximation

  /// Creates the layer; `.none` (the default) uses the exact error function.
  public init(approximation: GELUApproximation = .none) { self.approximation = approximation }

  /// PyTorch's text for the layer: `approximate='none'` or `approximate='tanh'`.
  public override var extraDescription: String {
    "approximate='\(approximation == .none ? "none" : "tanh")'"
  }

  /// The GELU of each element of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.gelu(approximation: approximation)
    }
  }
}

/// The logistic function 1 / (1 + e⁻ˣ), elementwise, as `torch.nn.Sigmoid`.
public final class Sigmoid: Module, @unchecked Sendable {
  /// Creates the layer.
  public override init() {}

  /// The sigmoid of each element of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in input.sigmoid() }
  }
}

/// The hyperbolic tangent, elementwise, as `torch.nn.Tanh`.
public final class Tanh: Module, @unchecked Sendable {
  /// Creates the layer.
  public override init() {}

  /// The tanh of each element of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in input.tanh() }
  }
}

/// log(1 + e^(βx)) / β, a smooth ReLU, as `torch.nn.Softplus`; linear where βx exceeds
/// `threshold`, for numerical stability.
public final class Softplus: Module, @unchecked Sendable {
  /// The sharpness β: larger values bring the curve closer to ReLU.
  public let beta: Double
  /// The value of βx above which the layer returns x itself.
  public let threshold: Double

  /// Creates the layer with PyTorch's defaults, β = 1 and threshold 20.
  public init(beta: Double = 1, threshold: Double = 20) {
    self.beta = beta
    self.threshold = threshold
  }

  /// PyTorch's text for the layer, as in `beta=1.0, threshold=20.0`.
  public override var extraDescription: String {
    "beta=\(pythonRepr(beta)), threshold=\(pythonRepr(threshold))"
  }

  /// The softplus of each element of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.softplus(beta: beta, threshold: threshold)
    }
  }
}

/// Normalizes exponentials to sum to 1 along `axis`, as `torch.nn.Softmax(dim=axis)`.
///
/// ```swift
/// Softmax()(Tensor([1, 2, 3]))  // [0.0900, 0.2447, 0.6652]
/// ```
public final class Softmax: Module, @unchecked Sendable {
  /// The axis along which the outputs sum to 1; negative counts from the end.
  public let axis: Int

  /// Creates the layer normalizing along `axis` (the last by default).
  public init(axis: Int = -1) { self.axis = axis }

  /// PyTorch's text for the layer, as in `dim=-1`.
  public override var extraDescription: String { "dim=\(axis)" }

  /// The softmax of `input` along `axis`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.softmax(alongAxis: axis)
    }
  }
}

/// The logarithm of softmax along `axis`, computed stably, as `torch.nn.LogSoftmax(dim=axis)`.
/// Pair it with `nllLoss`, or use `crossEntropy` on the logits directly.
public final class LogSoftmax: Module, @unchecked Sendable {
  /// The axis along which the probabilities are normalized; negative counts from the end.
  public let axis: Int

  /// Creates the layer normalizing along `axis` (the last by default).
  public init(axis: Int = -1) { self.axis = axis }

  /// PyTorch's text for the layer, as in `dim=-1`.
  public override var extraDescription: String { "dim=\(axis)" }

  /// The log-softmax of `input` along `axis`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.logSoftmax(alongAxis: axis)
    }
  }
}
