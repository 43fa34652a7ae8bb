import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

/// Norms against PyTorch (Fixtures/make_norm_fixtures.py: values and the gradients of a
/// weighted sum, in float64, with a zero row and a tie for the largest magnitude), and float64
/// numerical gradient checks.
@Suite struct NormTests {
  static let fixtures: [String: Tensor] = {
    guard let resources = Bundle.module.resourceURL,
      let file = try? SafeTensors.read(
        from: resources.appendingPathComponent("Fixtures/norms.safetensors"))
    else { return [:] }
    return file.tensors
  }()

  static func fixture(_ name: String) throws -> Tensor { try #require(fixtures[name]) }

  /// Runs `function` on copies of `inputs` that require gradients and compares its result and
  /// the gradients of its weighted sum with PyTorch's.
  static func expectPyTorchs(
    _ name: String, _ inputs: [Tensor], sourceLocation: SourceLocation = #_sourceLocation,
    _ function: ([Tensor]) -> Tensor
  ) throws {
    let leaves = inputs.map { $0.requiringGrad() }
    let result = function(leaves)
    let expected = try fixture(name)
    #expect(result.shape == expected.shape, "\(name)", sourceLocation: sourceLocation)
    expectClose(result.scalars, expected.scalars, sourceLocation: sourceLocation)
    (result * (try fixture(name + ".weights"))).sum().backward()
    for (index, leaf) in leaves.enumerated() {
      let gradient = try #require(leaf.grad, sourceLocation: sourceLocation)
      expectClose(
        gradient.scalars, try fixture("\(name).grad\(index)").scalars,
        sourceLocation: sourceLocation)
    }
  }

  @Test func normsMatchPyTorch() throws {
    let x = try Self.fixture("x")
    for (name, p) in [("1", 1.0), ("2", 2), ("3", 3), ("0.5", 0.5), ("inf", .infinity)] {
      try Self.expectPyTorchs("norm\(name)", [x]) { $0[0].norm(p: p, alongAxis: 1) }
    }
    try Self.expectPyTorchs("norm2.all", [x]) { $0[0].norm() }
    try Self.expectPyTorchs("norm3.keep", [x]) {
      $0[0].norm(p: 3, alongAxes: [0], keepingDims: true)
    }
    #expect(Tensor([3, -4]).norm().item == 5 && Tensor([3, -4]).norm(p: 1).item == 7)
  }

  @Test func normalizedCosineAndDistanceMatchPyTorch() throws {
    let (x, y) = (try Self.fixture("x"), try Self.fixture("y"))
    try Self.expectPyTorchs("normalize", [x]) { $0[0].normalized() }
    try Self.expectPyTorchs("normalize1", [x]) { $0[0].normalized(p: 1, alongAxis: 0) }
    let rows = Tensor(indices: [0, 1, 3])
    let (a, b) = (
      x.indexSelect(alongAxis: 0, indices: rows), y.indexSelect(alongAxis: 0, indices: rows)
    )
    try Self.expectPyTorchs("cosine", [a, b]) { Tensor.cosineSimilarity($0[0], $0[1]) }
    try Self.expectPyTorchs("cosine.broadcast", [a, y.narrowed(alongAxis: 0, start: 0, length: 1)])
    {
      Tensor.cosineSimilarity($0[0], $0[1])
    }
    try Self.expectPyTorchs("pairwise", [x, y]) { Tensor.pairwiseDistance($0[0], $0[1]) }
    try Self.expectPyTorchs("pairwise3", [x, y]) {
      Tensor.pairwiseDistance($0[0], $0[1], p: 3, keepingDims: true)
    }
  }

  @Test func gradientsMatchCentralDifferences() throws {
    let y = try Self.fixture("y")
    for p in [1, 2, 3, 0.5, .infinity] {
      expectGradients([y]) { $0[0].norm(p: p, alongAxis: 1) }
    }
    expectGradients([y]) { $0[0].norm(p: 3) }
    expectGradients([y]) { $0[0].normalized(p: 2, alongAxis: 1) }
    let x = try Self.fixture("x").narrowed(alongAxis: 0, start: 0, length: 2)
    expectGradients([x, y.narrowed(alongAxis: 0, start: 0, length: 2)]) {
      Tensor.cosineSimilarity($0[0], $0[1]) + Tensor.pairwiseDistance($0[0], $0[1], p: 3)
    }
  }
}
