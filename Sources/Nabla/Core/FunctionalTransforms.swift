// Gradients of functions rather than of tensors, in the spirit of JAX, torch.func and MLX: the
// inputs become fresh leaves, the function runs on them, and the gradients come back as values;
// nothing outside is touched (no `grad` is accumulated, the caller's tensors need not require
// gradients).

/// The value of `function` at `inputs` and its gradient with respect to each input, as JAX's
/// `value_and_grad`: the function must return one element.
///
/// ```swift
/// let (value, gradients) = valueWithGradient(at: [x, w]) { ($0[0].matmul($0[1])).sum() }
/// ```
///
/// An input the function does not use gets a gradient of zeros. The gradients are constants
/// (they cannot be differentiated again yet).
///
/// - Parameters:
///   - inputs: The points at which to differentiate; float32 or float64.
///   - function: The function, of as many tensors as `inputs`, returning one element.
/// - Returns: The value and one gradient per input, of its shape.
public func valueWithGradient(at inputs: [Tensor], of function: ([Tensor]) -> Tensor)
  -> (value: Tensor, gradients: [Tensor])
{
  let (value, gradients) = valueWithPullback(at: inputs, of: function) { value in
    require(
      value.scalarCount == 1,
      "valueWithGradient: the function returned shape \(describe(value.shape)); a gradient needs "
        + "one element (use vectorJacobianProduct for others)")
    return Tensor.ones(value.shape, dtype: value.dtype)
  }
  return (value, gradients)
}

/// The gradient of `function` at `inputs` with respect to each input, as JAX's `grad`; see
/// ``valueWithGradient(at:of:)``.
///
/// ```swift
/// gradient(at: [Tensor([1, 2, 3], dtype: .float64)]) { ($0[0] * $0[0]).sum() }  // [[2, 4, 6]]
/// ```
public func gradient(at inputs: [Tensor], of function: ([Tensor]) -> Tensor) -> [Tensor] {
  valueWithGradient(at: inputs, of: function).gradients
}

/// The value of `function` at `inputs` and the vector-Jacobian product vᵀ·J with `upstream`
/// (v, of the value's shape), as JAX's `vjp` applied to v: one reverse pass.
///
/// - Parameters:
///   - inputs: The points at which to differentiate.
///   - upstream: The vector v, of the shape and dtype of the function's value.
///   - function: The function.
/// - Returns: The value and vᵀ·∂value/∂input for each input.
public func vectorJacobianProduct(
  at inputs: [Tensor], upstream: Tensor, of function: ([Tensor]) -> Tensor
) -> (value: Tensor, products: [Tensor]) {
  let (value, products) = valueWithPullback(at: inputs, of: function) { value in
    require(
      upstream.shape == value.shape && upstream.dtype == value.dtype,
      "vectorJacobianProduct: upstream has shape \(describe(upstream.shape)) "
        + "(\(upstream.dtype)) but the value has shape \(describe(value.shape)) (\(value.dtype))")
    return upstream
  }
  return (value, products)
}

/// The Jacobian of `function` at `input`: ∂value[i]/∂input[j], of shape value.shape +
/// input.shape, as `torch.func.jacrev`: one reverse pass per element of the value, so for
/// functions with small outputs.
///
/// ```swift
/// jacobian(at: Tensor([1, 2], dtype: .float64)) { $0 * $0 }  // [[2, 0], [0, 4]]
/// ```
public func jacobian(at input: Tensor, of function: (Tensor) -> Tensor) -> Tensor {
  input.requireFloatingPoint("jacobian")
  let leaf = input.detached().requiringGrad()
  let value = function(leaf)
  guard value.node != nil else {
    return Tensor.zeros(value.shape + input.shape, dtype: input.dtype)
  }
  let count = value.scalarCount
  let rows = (0..<count).map { index -> Tensor in
    var basis = [Double](repeating: 0, count: count)
    basis[index] = 1
    let upstream = Tensor(basis, shape: value.shape, dtype: value.dtype)
    let row = Tensor.gradients(
      of: value, withRespectTo: [leaf], upstream: upstream, retainingGraph: index + 1 < count,
      allowUnused: true)[0]
    return row ?? Tensor.zeros(input.shape, dtype: input.dtype)
  }
  return Tensor(stacking: rows).reshaped(value.shape + input.shape)
}

/// Runs `function` on fresh leaves copied from `inputs` and back-propagates the gradient
/// `upstream` makes from its value; unused inputs get zeros.
private func valueWithPullback(
  at inputs: [Tensor], of function: ([Tensor]) -> Tensor, upstream: (Tensor) -> Tensor
) -> (Tensor, [Tensor]) {
  for input in inputs { input.requireFloatingPoint("gradient") }
  let leaves = inputs.map { $0.detached().requiringGrad() }
  let value = function(leaves)
  let gradient = upstream(value)
  guard value.node != nil else {
    return (value, inputs.map { Tensor.zeros($0.shape, dtype: $0.dtype) })
  }
  let found = Tensor.gradients(
    of: value, withRespectTo: leaves, upstream: gradient, allowUnused: true)
  let gradients = zip(found, inputs).map { $0 ?? Tensor.zeros($1.shape, dtype: $1.dtype) }
  return (value.detached(), gradients)
}
