import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// The tensors of `Fixtures/<name>.safetensors` in the test bundle.
private func fixtureTensors(_ name: String) throws -> [String: Tensor] {
  let resources = try #require(Bundle.module.resourceURL)
  return try SafeTensors.read(
    from: resources.appendingPathComponent("Fixtures/\(name).safetensors")
  )
  .tensors
}

/// A safetensors file written by one of the PyTorch scripts in Fixtures (make_rnn_fixtures.py,
/// make_attention_fixtures.py).
///
/// Each case of such a file keeps the `state_dict()` of a PyTorch module under `<case>.<name>`
/// and its inputs and outputs under `<case>:<item>`.
struct PyTorchFixture {
  /// Every tensor of the file by its full name.
  let tensors: [String: Tensor]

  /// Reads `Fixtures/<name>.safetensors` from the test bundle.
  init(_ name: String) throws { tensors = try fixtureTensors(name) }

  /// The PyTorch state dict of `case`: the tensors named `<case>.<name>`, without the prefix.
  func state(_ case: String) -> [String: Tensor] {
    var state: [String: Tensor] = [:]
    for (key, value) in tensors where key.hasPrefix(`case` + ".") {
      state[String(key.dropFirst(`case`.count + 1))] = value
    }
    return state
  }

  /// The input or output `item` of `case`, if the file has it.
  func optional(_ case: String, _ item: String) -> Tensor? {
    tensors["\(`case`):\(item)"]
  }

  /// The input or output `item` of `case`; a missing one fails the test.
  func callAsFunction(
    _ case: String, _ item: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> Tensor {
    try #require(optional(`case`, item), "no \(`case`):\(item)", sourceLocation: sourceLocation)
  }
}

/// Expects `actual` to have the shape of `expected` and to differ from it by at most `tolerance`
/// in every element.
func expectMatch(
  _ actual: Tensor, _ expected: Tensor, tolerance: Double,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
  guard actual.shape == expected.shape else { return }
  let differences = zip([Double](actual), [Double](expected)).map { abs($0 - $1) }
  // Written so that a NaN counts as a mismatch.
  let outside = differences.filter { !($0 <= tolerance) }.count
  let worst = differences.max() ?? 0
  #expect(
    outside == 0,
    "\(outside) of \(differences.count) elements differ by more than \(tolerance); max difference \(worst)",
    sourceLocation: sourceLocation)
}

/// A safetensors file of PyTorch function results, written by one of the scripts in Fixtures
/// (make_norm_fixtures.py, make_padding_fixtures.py, ...).
///
/// Each case `<name>` keeps its result under `<name>`, the weights of the weighted sum whose
/// gradient was taken under `<name>.weights`, and the gradient of input i under
/// `<name>.grad<i>`. It may keep input i under `<name>.input<i>`, and a module's parameter
/// `<key>` and its gradient under `<name>.<key>` and `<name>.<key>.grad`.
struct FunctionFixture {
  /// Every tensor of the file by its full name.
  let tensors: [String: Tensor]

  /// Reads `Fixtures/<file>.safetensors` from the test bundle.
  init(_ file: String) throws { tensors = try fixtureTensors(file) }

  /// The tensor `name`; a missing one fails the test.
  func callAsFunction(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> Tensor
  {
    try #require(tensors[name], "no \(name)", sourceLocation: sourceLocation)
  }

  /// The inputs the case `name` keeps: `<name>.input0`, `<name>.input1`, ...
  func inputs(_ name: String) -> [Tensor] {
    (0...).lazy.map { tensors["\(name).input\($0)"] }.prefix { $0 != nil }.compactMap { $0 }
  }

  /// Loads the case's parameters into `module`, runs `function` on copies of `inputs` (the
  /// case's own by default) that require gradients, and compares its result and the gradients
  /// of its weighted sum (with respect to the inputs and the module's parameters) with
  /// PyTorch's.
  func expectPyTorchs(
    _ name: String, _ inputs: [Tensor]? = nil, module: Module? = nil,
    tolerance: Double = 1e-12, sourceLocation: SourceLocation = #_sourceLocation,
    _ function: ([Tensor]) -> Tensor
  ) throws {
    if let module {
      let keys = module.namedParameters().map(\.name)
      try module.loadStateDict(
        Dictionary(uniqueKeysWithValues: try keys.map { ($0, try self("\(name).\($0)")) }))
    }
    let leaves = (inputs ?? self.inputs(name)).map { $0.requiringGrad() }
    #expect(!leaves.isEmpty, "\(name) has no inputs", sourceLocation: sourceLocation)
    let result = function(leaves)
    let expected = try self(name, sourceLocation: sourceLocation)
    #expect(result.shape == expected.shape, "\(name)", sourceLocation: sourceLocation)
    expectClose(
      result.scalars, expected.scalars, tolerance: tolerance, sourceLocation: sourceLocation)
    (result * (try self(name + ".weights"))).sum().backward()
    var gradients = leaves.enumerated().map { ("grad\($0.offset)", $0.element.grad) }
    for (key, parameter) in module?.namedParameters() ?? [] {
      gradients.append(("\(key).grad", parameter.grad))
    }
    for (key, gradient) in gradients {
      let gradient = try #require(gradient, "\(name): no \(key)", sourceLocation: sourceLocation)
      expectClose(
        gradient.scalars, try self("\(name).\(key)").scalars, tolerance: tolerance,
        sourceLocation: sourceLocation)
    }
  }
}
