// Max unpooling layers, the partial inverses of MaxPool1D and MaxPool2D: they take the pooled
// values with the indices the pooling's `withIndices` returned and put each value back in place.

/// Undoes a 1-D max pooling, as `torch.nn.MaxUnpool1d`: each value goes back to the position its
/// index names and every other position is zero.
///
/// ```swift
/// let pool = MaxPool1D(kernelSize: 2)
/// let (pooled, indices) = pool.withIndices(x)            // x: [N, C, 8]
/// MaxUnpool1D(kernelSize: 2)(pooled, indices: indices)   // [N, C, 8]
/// ```
public final class MaxUnpool1D: Module, @unchecked Sendable {
  /// The window length of the pooling being undone.
  public let kernelSize: Int
  /// Its stride.
  public let stride: Int
  /// Its padding.
  public let padding: Int

  /// Creates the layer with the options of the pooling it undoes.
  ///
  /// - Parameters:
  ///   - kernelSize: The pooling's window length.
  ///   - stride: The pooling's stride; the kernel size when nil.
  ///   - padding: The pooling's padding.
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "MaxUnpool1D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding))"
  }

  /// PyTorch's text for the layer, which keeps tuples: `kernel_size=(2,), stride=(2,), padding=(0,)`.
  public override var extraDescription: String {
    "kernel_size=\(pythonTuple([kernelSize])), stride=\(pythonTuple([stride])), "
      + "padding=\(pythonTuple([padding]))"
  }

  /// Stops: unpooling needs the pooling's indices, `callAsFunction(_:indices:outputSize:)`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      stop("\(configuration): needs the indices of the max pooling; call it as (x, indices:)")
    }
  }

  /// Puts each value of `input` at the position along the length that `indices` names.
  ///
  /// - Parameters:
  ///   - input: [N, C, L] or [C, L], the pooled values.
  ///   - indices: The int64 positions, in `input`'s shape, as `MaxPool1D.withIndices` returns.
  ///   - outputSize: The output length (to undo a pooling whose input length the stride did not
  ///     divide); (L − 1)·stride − 2·padding + kernelSize when nil.
  public func callAsFunction(_ input: Tensor, indices: Tensor, outputSize: Int? = nil) -> Tensor {
    reportingOutput {
      input.maxUnpool(
        indices: indices, kernel: [kernelSize], stride: [stride], padding: [padding],
        outputSize: outputSize.map { [$0] }, context: configuration)
    }
  }
}

/// Undoes a 2-D max pooling, as `torch.nn.MaxUnpool2d`: each value goes back to the position
/// its index names and every other position is zero.
///
/// ```swift
/// let (pooled, indices) = MaxPool2D(kernelSize: 2).withIndices(x)  // x: [N, C, 6, 6]
/// MaxUnpool2D(kernelSize: 2)(pooled, indices: indices)            // [N, C, 6, 6]
/// ```
public final class MaxUnpool2D: Module, @unchecked Sendable {
  /// The window's height and width in the pooling being undone.
  public let kernelSize: Size2D
  /// Its stride.
  public let stride: Size2D
  /// Its padding.
  public let padding: Size2D

  /// Creates the layer with the options of the pooling it undoes.
  ///
  /// - Parameters:
  ///   - kernelSize: The pooling's window height and width.
  ///   - stride: The pooling's stride; the kernel size when nil.
  ///   - padding: The pooling's padding.
  public init(kernelSize: Size2D, stride: Size2D? = nil, padding: Size2D = 0) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
  }

  /// The layer's configuration with Swift's argument labels, for error messages.
  var configuration: String {
    "MaxUnpool2D(kernelSize: \(kernelSize), stride: \(stride), padding: \(padding))"
  }

  /// PyTorch's text for the layer, as in `kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)`.
  public override var extraDescription: String {
    "kernel_size=\(pythonTuple(kernelSize.values)), stride=\(pythonTuple(stride.values)), "
      + "padding=\(pythonTuple(padding.values))"
  }

  /// Stops: unpooling needs the pooling's indices, `callAsFunction(_:indices:outputSize:)`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      stop("\(configuration): needs the indices of the max pooling; call it as (x, indices:)")
    }
  }

  /// Puts each value of `input` at the position h·W + w of its channel's plane that `indices`
  /// names.
  ///
  /// - Parameters:
  ///   - input: [N, C, H, W] or [C, H, W], the pooled values.
  ///   - indices: The int64 positions, in `input`'s shape, as `MaxPool2D.withIndices` returns.
  ///   - outputSize: The output's height and width (to undo a pooling whose input size the
  ///     stride did not divide); (in − 1)·stride − 2·padding + kernelSize per axis when nil.
  public func callAsFunction(_ input: Tensor, indices: Tensor, outputSize: Size2D? = nil)
    -> Tensor
  {
    reportingOutput {
      input.maxUnpool(
        indices: indices, kernel: kernelSize.values, stride: stride.values,
        padding: padding.values, outputSize: outputSize?.values, context: configuration)
    }
  }
}
