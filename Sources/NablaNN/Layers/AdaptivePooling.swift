// Adaptive pooling layers: each gives a fixed output size whatever the input's size, holding the
// options of the Tensor function of the same name. None has parameters.

/// Average pooling of [N, C, L] inputs to a fixed length, as `torch.nn.AdaptiveAvgPool1d`.
public final class AdaptiveAvgPool1D: Module, @unchecked Sendable {
  /// The output length.
  public let outputSize: Int

  /// Creates the layer; `outputSize` 1 is global average pooling.
  ///
  /// - Parameter outputSize: The output length.
  public init(outputSize: Int) { self.outputSize = outputSize }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String { "AdaptiveAvgPool1D(outputSize: \(outputSize))" }

  /// PyTorch's text for the layer, as in `output_size=1`.
  public override var extraDescription: String { "output_size=\(outputSize)" }

  /// The input averaged down to `outputSize` positions.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.adaptivePool(outputSize: [outputSize], isMax: false, context: configuration)
    }
  }
}

/// Average pooling of [N, C, H, W] inputs to a fixed size, as `torch.nn.AdaptiveAvgPool2d`.
///
/// ```swift
/// AdaptiveAvgPool2D(outputSize: 1)  // global average pooling
/// ```
public final class AdaptiveAvgPool2D: Module, @unchecked Sendable {
  /// The output's height and width.
  public let outputSize: Size2D

  /// Creates the layer.
  ///
  /// - Parameter outputSize: The output's height and width.
  public init(outputSize: Size2D) { self.outputSize = outputSize }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String { "AdaptiveAvgPool2D(outputSize: \(outputSize))" }

  /// PyTorch's text for the layer, as in `output_size=1`.
  public override var extraDescription: String { "output_size=\(pythonValue(outputSize))" }

  /// The input averaged down to `outputSize`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.adaptivePool(outputSize: outputSize.values, isMax: false, context: configuration)
    }
  }
}

/// Max pooling of [N, C, L] inputs to a fixed length, as `torch.nn.AdaptiveMaxPool1d`.
public final class AdaptiveMaxPool1D: Module, @unchecked Sendable {
  /// The output length.
  public let outputSize: Int

  /// Creates the layer; `outputSize` 1 is global max pooling.
  ///
  /// - Parameter outputSize: The output length.
  public init(outputSize: Int) { self.outputSize = outputSize }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String { "AdaptiveMaxPool1D(outputSize: \(outputSize))" }

  /// PyTorch's text for the layer, as in `output_size=1`.
  public override var extraDescription: String { "output_size=\(outputSize)" }

  /// The maximum of each adaptive window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.adaptivePool(outputSize: [outputSize], isMax: true, context: configuration)
    }
  }

  /// The maximum of each adaptive window of `input` and its position along the length, as
  /// PyTorch's layer with `return_indices=True`.
  ///
  /// - Parameter input: [N, C, L] or [C, L].
  /// - Returns: The pooled output and int64 indices of its shape.
  public func withIndices(_ input: Tensor) -> (output: Tensor, indices: Tensor) {
    input.adaptiveMaxPoolWithIndices(outputSize: [outputSize], context: configuration)
  }
}

/// Max pooling of [N, C, H, W] inputs to a fixed size, as `torch.nn.AdaptiveMaxPool2d`.
public final class AdaptiveMaxPool2D: Module, @unchecked Sendable {
  /// The output's height and width.
  public let outputSize: Size2D

  /// Creates the layer.
  ///
  /// - Parameter outputSize: The output's height and width.
  public init(outputSize: Size2D) { self.outputSize = outputSize }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String { "AdaptiveMaxPool2D(outputSize: \(outputSize))" }

  /// PyTorch's text for the layer, as in `output_size=1`.
  public override var extraDescription: String { "output_size=\(pythonValue(outputSize))" }

  /// The maximum of each adaptive window of `input`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input.adaptivePool(outputSize: outputSize.values, isMax: true, context: configuration)
    }
  }

  /// The maximum of each adaptive window of `input` and its position h·W + w in the flattened
  /// plane of its channel, as PyTorch's layer with `return_indices=True`.
  ///
  /// - Parameter input: [N, C, H, W] or [C, H, W].
  /// - Returns: The pooled output and int64 indices of its shape.
  public func withIndices(_ input: Tensor) -> (output: Tensor, indices: Tensor) {
    input.adaptiveMaxPoolWithIndices(outputSize: outputSize.values, context: configuration)
  }
}
