import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

/// Norms against PyTorch (Fixtures/make_norm_fixtures.py: values and the gradients of a
/// weighted sum, in float64, with a zero row and a tie for the largest magnitude), and float64
/// numerical gradient checks.
@Suite struct NormTests {
  let fixtures: FunctionFixture

  init() throws { fixtures = try FunctionFixture("norms") }

  @Test func normsMatchPyTorch() throws {
    let x = try fixtures("x")
    for (name, p) in [("1", 1.0), ("2", 2), ("3", 3), ("0.5", 0.5), ("inf", .infinity)] {
      try fixtures.expectPyTorchs("norm\(name)", [x]) { $0[0].norm(p: p, alongAxis: 1) }
    }
    try fixtures.expectPyTorchs("norm2.all", [x]) { $0[0].norm() }
    try fixtures.expectPyTorchs("norm3.keep", [x]) {
      $0[0].norm(p: 3, alongAxes: [0], keepingDims: true)
    }
    #expect(Tensor([3, -4]).norm().item == 5 && Tensor([3, -4]).norm(p: 1).item == 7)
    let z = try fixtures("z")
    for (name, p) in [("0", 0.0), ("-1", -1), ("-2.5", -2.5), ("-inf", -.infinity)] {
      try fixtures.expectPyTorchs("norm\(name)", [z]) { $0[0].norm(p: p, alongAxis: 1) }
    }
    #expect(Tensor([3, 0, -4]).norm(p: 0).item == 2)
  }

  @Test func normalizedCosineAndDistanceMatchPyTorch() throws {
    let (x, y) = (try fixtures("x"), try fixtures("y"))
    try fixtures.expectPyTorchs("normalize", [x]) { $0[0].normalized() }
    try fixtures.expectPyTorchs("normalize1", [x]) { $0[0].normalized(p: 1, alongAxis: 0) }
    let rows = Tensor(indices: [0, 1, 3])
    let (a, b) = (
      x.indexSelect(alongAxis: 0, indices: rows), y.indexSelect(alongAxis: 0, indices: rows)
    )
    try fixtures.expectPyTorchs("cosine", [a, b]) { Tensor.cosineSimilarity($0[0], $0[1]) }
    try fixtures.expectPyTorchs(
      "cosine.broadcast", [a, y.narrowed(alongAxis: 0, start: 0, length: 1)]
    ) {
      Tensor.cosineSimilarity($0[0], $0[1])
    }
    try fixtures.expectPyTorchs("pairwise", [x, y]) { Tensor.pairwiseDistance($0[0], $0[1]) }
    try fixtures.expectPyTorchs("pairwise3", [x, y]) {
      Tensor.pairwiseDistance($0[0], $0[1], p: 3, keepingDims: true)
    }
  }

  @Test func gradientsMatchCentralDifferences() throws {
    let y = try fixtures("y")
    for p in [1, 2, 3, 0.5, .infinity, -1, -2.5, -.infinity, 0] {
      expectGradients([y]) { $0[0].norm(p: p, alongAxis: 1) }
    }
    expectGradients([y]) { $0[0].norm(p: 3) }
    expectGradients([y]) { $0[0].normalized(p: 2, alongAxis: 1) }
    let x = try fixtures("x").narrowed(alongAxis: 0, start: 0, length: 2)
    expectGradients([x, y.narrowed(alongAxis: 0, start: 0, length: 2)]) {
      Tensor.cosineSimilarity($0[0], $0[1]) + Tensor.pairwiseDistance($0[0], $0[1], p: 3)
    }
  }
}
