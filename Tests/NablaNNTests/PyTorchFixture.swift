import Foundation
import Testing

@testable import NablaNN

/// A safetensors file written by one of the PyTorch scripts in Fixtures (make_rnn_fixtures.py,
/// make_attention_fixtures.py).
///
/// Each case of such a file keeps the `state_dict()` of a PyTorch module under `<case>.<name>`
/// and its inputs and outputs under `<case>:<item>`.
struct PyTorchFixture {
  /// Every tensor of the file by its full name.
  let tensors: [String: Tensor]

  /// Reads `Fixtures/<name>.safetensors` from the test bundle.
  init(_ name: String) throws {
    let resources = try #require(Bundle.module.resourceURL)
    let url = resources.appendingPathComponent("Fixtures/\(name).safetensors")
    tensors = try SafeTensors.read(from: url).tensors
  }

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
