/// A learnable tensor owned by a module: its `value` is a leaf that requires gradients, and
/// optimizers update it in place. Shared by reference, so an optimizer and the module see the
/// same parameter.
///
/// ```swift
/// let layer = Linear(3, 2)
/// layer.weight.value.shape  // [2, 3]
/// layer.weight.isFrozen = true  // no gradient, skipped by optimizers
/// ```
///
/// Parameters are `Sendable` so that models can be shared; changing one (training, loading) must
/// happen on one thread at a time (see the Concurrency article of the Nabla module).
public final class Parameter: @unchecked Sendable {
  /// The current value; `backward()` fills its `grad`.
  public package(set) var value: Tensor

  /// Creates a parameter holding `value` as a leaf that requires gradients.
  public init(_ value: Tensor) {
    require(
      value.dtype.supportsArithmetic,
      "Parameter: a parameter must be float32 or float64, got \(value.dtype)")
    self.value = value.requiringGrad()
  }

  /// The gradient accumulated by `backward()`, or nil.
  public var grad: Tensor? {
    get { value.grad }
    set { value.grad = newValue }
  }

  /// Whether the parameter is excluded from training: it gets no gradient and optimizers skip it.
  public var isFrozen: Bool {
    get { !value.requiresGrad }
    set {
      if newValue { value.requiresGrad = false } else { value.requiresGrad = true }
    }
  }

  /// Replaces the values, keeping the parameter's identity, gradient and frozen state.
  ///
  /// - Parameter newValue: A tensor of the parameter's shape; converted to its dtype.
  public func assign(_ newValue: Tensor) {
    require(
      newValue.shape == value.shape,
      "Parameter.assign: a tensor of shape \(describe(newValue.shape)) cannot replace a parameter "
        + "of shape \(describe(value.shape))")
    value.assign(newValue.detached().converted(to: value.dtype))
  }

  /// Converts the parameter to another floating-point dtype (a new leaf; the gradient is reset).
  package func convert(to dtype: DType) {
    let frozen = isFrozen
    value = value.detached().converted(to: dtype)
    if !frozen { value.requiresGrad = true }
  }
}

/// A tensor a module keeps as state but does not learn, such as batch normalization's running
/// mean. Buffers are saved and loaded with the parameters.
public final class Buffer: @unchecked Sendable {
  /// The current value.
  public var value: Tensor

  /// Creates a buffer holding `value` (detached from any graph).
  public init(_ value: Tensor) { self.value = value.detached() }
}
