/// Zeroes each element with probability `probability` during training and scales the kept ones
/// by 1 / (1 − `probability`), so that the expected output equals the input (inverted dropout,
/// as `torch.nn.Dropout`). In evaluation mode it passes the input through unchanged.
///
/// The masks come from `generator`, so one seed fixes them.
///
/// ```swift
/// let dropout = Dropout(probability: 0.2, generator: RandomGenerator(seed: 1))
/// let y = dropout(x)   // training: about 20% zeros, the rest x / 0.8
/// dropout.eval()
/// dropout(x)           // x
/// ```
public final class Dropout: Module, @unchecked Sendable {
  /// The probability of zeroing an element, in [0, 1].
  public let probability: Double
  /// The source of the masks.
  public let generator: RandomGenerator

  /// Creates a dropout layer.
  ///
  /// - Parameters:
  ///   - probability: The chance that an element is zeroed, from 0 (identity) to 1 (all zeros).
  ///   - generator: The source of the masks; the global one by default.
  public init(probability: Double = 0.5, generator: RandomGenerator = .global) {
    require(
      probability >= 0 && probability <= 1,
      "Dropout: probability \(probability) is outside [0, 1]")
    self.probability = probability
    self.generator = generator
  }

  /// PyTorch's text for the layer, as in `p=0.5, inplace=False`.
  public override var extraDescription: String { "p=\(pythonRepr(probability)), inplace=False" }

  /// The input with a fresh random mask applied in training mode; the input itself in
  /// evaluation mode.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      require(
        input.dtype.supportsArithmetic,
        "Dropout: expected a float32 or float64 tensor, got \(input.dtype) of shape "
          + "\(describe(input.shape))")
      guard isTraining && probability > 0 else { return input }
      // As PyTorch: p = 1 gives zeros (and zero gradients) rather than dividing by 0.
      guard probability < 1 else { return input * Tensor.zeros(like: input) }
      let keep = 1 - probability
      let mask = Tensor.randomBernoulli(
        input.shape, probability: keep, dtype: input.dtype, generator: generator)
      return input * (mask * (1 / keep))
    }
  }
}
