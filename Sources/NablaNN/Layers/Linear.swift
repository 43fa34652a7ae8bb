/// A fully connected layer: y = x·Wᵀ + b, one learned matrix (and an optional bias vector).
///
/// The weight has PyTorch's layout [outputSize, inputSize] and PyTorch's default initialization:
/// weight and bias uniform in ±1/√inputSize. The input's last axis is the feature axis; leading
/// axes are batch axes.
///
/// ```swift
/// let layer = Linear(784, 10)
/// let logits = layer(Tensor.randomNormal([32, 784]))  // [32, 10]
/// ```
public final class Linear: Module, @unchecked Sendable {
  /// The weight matrix, [outputSize, inputSize].
  public let weight: Parameter
  /// The bias, [outputSize], or nil for a layer without one.
  public let bias: Parameter?

  /// Creates a layer mapping `inputSize` features to `outputSize`.
  ///
  /// - Parameters:
  ///   - inputSize: The number of input features.
  ///   - outputSize: The number of output features.
  ///   - bias: Whether to add a learned bias.
  ///   - dtype: The parameters' element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    _ inputSize: Int, _ outputSize: Int, bias: Bool = true, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) {
    require(
      inputSize > 0 && outputSize > 0,
      "Linear: sizes must be positive, got \(inputSize) -> \(outputSize)")
    // PyTorch's reset_parameters: kaiming_uniform_ with a = √5 (a bound of 1/√inputSize, computed
    // the same way, so that the same seed gives the same weights), then the bias in ±1/√inputSize.
    weight = Parameter(
      Initializer.kaimingUniform(
        [outputSize, inputSize], a: 5.0.squareRoot(), dtype: dtype, generator: generator))
    let bound = 1 / Double(inputSize).squareRoot()
    self.bias =
      bias
      ? Parameter(
        Tensor.randomUniform(
          [outputSize], low: -bound, high: bound, dtype: dtype, generator: generator))
      : nil
  }

  /// PyTorch's text for the layer, as in `in_features=784, out_features=10, bias=True`.
  public override var extraDescription: String {
    "in_features=\(weight.value.shape[1]), out_features=\(weight.value.shape[0]), "
      + "bias=\(pythonRepr(bias != nil))"
  }

  /// x·Wᵀ + b over the last axis of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      let inputSize = weight.value.shape[1]
      require(
        input.rank >= 1 && input.shape[input.rank - 1] == inputSize,
        "Linear(\(inputSize) -> \(weight.value.shape[0])): input of shape "
          + "\(describe(input.shape)) does not end in \(inputSize) features")
      return input.linear(weight: weight.value, bias: bias?.value)
    }
  }
}

/// Passes its input through unchanged; a placeholder where a layer is optional.
public final class Identity: Module, @unchecked Sendable {
  /// Creates the identity layer.
  public override init() {}

  /// Returns `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in input }
  }
}

/// Flattens the axes from `startAxis` through `endAxis` into one, as `torch.nn.Flatten` (which by
/// default keeps the batch axis).
public final class Flatten: Module, @unchecked Sendable {
  /// The first axis merged.
  public let startAxis: Int
  /// The last axis merged.
  public let endAxis: Int

  /// Creates a flattening layer; the defaults keep axis 0 (the batch) and merge the rest.
  public init(startAxis: Int = 1, endAxis: Int = -1) {
    self.startAxis = startAxis
    self.endAxis = endAxis
  }

  /// PyTorch's text for the layer, as in `start_dim=1, end_dim=-1`.
  public override var extraDescription: String { "start_dim=\(startAxis), end_dim=\(endAxis)" }

  /// The input with the axes merged.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.flattened(from: startAxis, to: endAxis)
    }
  }
}
