/// Checks a module's gradients with respect to its input and every parameter, in float64, by
/// central differences (see `gradientCheck(at:_:)`).
///
/// The module is converted to float64 for the check and stays so. Put modules with randomness
/// (dropout) in evaluation mode, or seed them, so that every evaluation is the same function.
///
/// ```swift
/// let result = gradientCheck(Linear(3, 2), input: Tensor.randomNormal([4, 3]))
/// #expect(result.passed, "\(result)")
/// ```
public func gradientCheck(
  _ module: Module, input: Tensor, absoluteTolerance: Double = 1e-5,
  relativeTolerance: Double = 1e-3
) -> GradientCheckResult {
  gradientCheck(
    module, inputs: [input], absoluteTolerance: absoluteTolerance,
    relativeTolerance: relativeTolerance
  ) { module, inputs in module(inputs[0]) }
}

/// Checks a module's gradients with respect to several inputs and every parameter, for modules
/// called with more than one tensor.
///
/// - Parameters:
///   - module: The module to check; it is converted to float64.
///   - inputs: The inputs to call the module with.
///   - absoluteTolerance: The error allowed regardless of size.
///   - relativeTolerance: The error allowed per unit of the numeric gradient.
///   - apply: Calls the module on the inputs.
public func gradientCheck(
  _ module: Module, inputs: [Tensor], absoluteTolerance: Double = 1e-5,
  relativeTolerance: Double = 1e-3, _ apply: (Module, [Tensor]) -> Tensor
) -> GradientCheckResult {
  module.convert(to: .float64)
  let parameters = module.parameters().filter { !$0.isFrozen }
  let originals = parameters.map(\.value)
  defer { for (parameter, value) in zip(parameters, originals) { parameter.value = value } }
  return gradientCheck(
    at: inputs + originals, absoluteTolerance: absoluteTolerance,
    relativeTolerance: relativeTolerance
  ) { values in
    for (parameter, value) in zip(parameters, values.dropFirst(inputs.count)) {
      parameter.value = value
    }
    return apply(module, Array(values.prefix(inputs.count)))
  }
}
