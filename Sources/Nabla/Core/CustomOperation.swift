extension Tensor {
  /// Makes a differentiable operation of your own from its forward computation and its backward
  /// rule, the way Nabla's ops are built, so that it takes part in `backward()` like any other.
  ///
  /// `forward` runs without recording, on the inputs cut off from the graph. `backward` receives
  /// the gradient of the result, the inputs and the result, and returns one gradient per input
  /// (nil for an input that needs none), each of its input's shape. Check the rule with
  /// `gradientCheck(at:_:)`.
  ///
  /// ```swift
  /// func cube(_ x: Tensor) -> Tensor {
  ///   Tensor.customOperation(
  ///     "cube", inputs: [x], forward: { $0[0] * $0[0] * $0[0] },
  ///     backward: { gradient, inputs, _ in [gradient * 3 * inputs[0] * inputs[0]] })
  /// }
  /// ```
  ///
  /// - Parameters:
  ///   - name: The name errors and the graph use for the operation.
  ///   - inputs: The tensors the operation reads.
  ///   - forward: Computes the result from the inputs.
  ///   - backward: Maps the result's gradient to the inputs' gradients.
  public static func customOperation(
    _ name: String, inputs: [Tensor], forward: ([Tensor]) -> Tensor,
    backward: @escaping (_ gradient: Tensor, _ inputs: [Tensor], _ result: Tensor) -> [Tensor?]
  ) -> Tensor {
    let detachedInputs = inputs.map { $0.detached() }
    let result = withoutGradients { forward(detachedInputs) }.detached()
    guard let first = inputs.first else { return result }
    return first.record(name, result, inputs) { gradient in
      let gradients = backward(gradient, detachedInputs, result)
      require(
        gradients.count == detachedInputs.count,
        "\(name): the backward rule returned \(gradients.count) gradients for "
          + "\(detachedInputs.count) inputs")
      return gradients
    }
  }
}
