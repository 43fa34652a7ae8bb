import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// Resizing against PyTorch's F.interpolate (Fixtures/make_interpolation_fixtures.py): every mode,
/// with the factors that keep or double an axis, which PyTorch's kernels treat apart; float64
/// values and gradients, float32 values, and float64 numerical gradient checks.
@Suite struct InterpolationTests {
  let fixtures: FunctionFixture

  init() throws { fixtures = try FunctionFixture("interpolation") }

  /// Each fixture case and the call that should reproduce it.
  static let cases: [(String, @Sendable (Tensor) -> Tensor)] = [
    ("nearest.issue", { $0.upsampled(scaleFactor: 1.3) }),
    ("nearest.2d.double", { $0.upsampled(scaleFactor: [2.1, 1.7]) }),
    ("nearest.2d.keep", { $0.upsampled(scaleFactor: [1.1, 2.05]) }),
    ("nearest.1d.keep", { $0.upsampled(scaleFactor: 1.1) }),
    ("nearest.1d.double", { $0.upsampled(scaleFactor: 2.1) }),
    ("nearest.2d.shrink", { $0.upsampled(scaleFactor: [0.6, 0.45]) }),
    ("nearest.2d.128", { $0.upsampled(scaleFactor: [1.02, 1.01]) }),
    ("nearest.2d.129", { $0.upsampled(scaleFactor: [1.02, 1.01]) }),
    ("nearest.2d.157.double", { $0.upsampled(scaleFactor: [2.04, 1.3]) }),
    ("exact.1d", { $0.upsampled(scaleFactor: 1.7, mode: .nearestExact) }),
    ("exact.1d.size", { $0.upsampled(size: [4], mode: .nearestExact) }),
    ("exact.2d", { $0.upsampled(scaleFactor: [2.1, 1.3], mode: .nearestExact) }),
    ("exact.2d.size", { $0.upsampled(size: [3, 7], mode: .nearestExact) }),
    ("linear.keep", { $0.upsampled(scaleFactor: 1.1, mode: .linear) }),
    ("bilinear.keep", { $0.upsampled(scaleFactor: [1.2, 1.6], mode: .bilinear) }),
    ("bilinear.issue", { $0.upsampled(scaleFactor: 1.3, mode: .bilinear) }),
    ("bicubic", { $0.upsampled(scaleFactor: 1.7, mode: .bicubic) }),
    ("bicubic.keep", { $0.upsampled(scaleFactor: [1.2, 1.6], mode: .bicubic) }),
    ("bicubic.size", { $0.upsampled(size: [5, 7], mode: .bicubic) }),
    ("bicubic.corners", { $0.upsampled(size: [6, 5], mode: .bicubic, alignCorners: true) }),
    ("bicubic.shrink", { $0.upsampled(scaleFactor: [0.5, 0.35], mode: .bicubic) }),
  ]

  @Test func theSmallestCaseOfTheIssue() {
    // Height 2 · 1.3 → 2 is kept as it is; width 4 · 1.3 → 5 takes ⌊o/1.3⌋ = 0, 0, 1, 2, 3.
    let x = Tensor.arange(0, 8).reshaped([1, 1, 2, 4])
    #expect(x.upsampled(scaleFactor: 1.3).scalars == [0, 0, 1, 2, 3, 4, 4, 5, 6, 7])
  }

  @Test func everyModeMatchesPyTorchInFloat64() throws {
    for (name, resize) in Self.cases {
      try fixtures.expectPyTorchs(name) { resize($0[0]) }
    }
  }

  /// The fixture's gradients are those of PyTorch's values (the adjoint of its forward map).
  /// PyTorch's own nearest backward differs from them in exactly these cases, where a factor
  /// keeps or doubles a size without being 1 or 2 and PyTorch's forward still uses the factor.
  @Test func pytorchsBackwardDiffersFromItsForwardOnlyWhereDocumented() {
    let differing = fixtures.tensors.keys.filter { $0.hasSuffix(".backward.differs") }
    #expect(
      Set(differing.map { String($0.dropLast(".backward.differs".count)) })
        == ["nearest.1d.keep", "nearest.1d.double", "nearest.2d.129", "nearest.2d.157.double"])
  }

  @Test func everyModeMatchesPyTorchInFloat32() throws {
    for (name, resize) in Self.cases {
      let result = resize(try fixtures("\(name).float32.input"))
      let expected = try fixtures("\(name).float32")
      #expect(result.dtype == .float32 && result.shape == expected.shape, "\(name)")
      expectClose(result.scalars, expected.scalars, tolerance: 1e-5)
    }
  }

  @Test func gradientsMatchCentralDifferences() {
    let image = Tensor.randomNormal(
      [1, 2, 3, 4], dtype: .float64, generator: RandomGenerator(seed: 5))
    expectGradients([image]) { $0[0].upsampled(scaleFactor: [1.6, 1.3], mode: .bicubic) }
    expectGradients([image]) {
      $0[0].upsampled(size: [5, 2], mode: .bicubic, alignCorners: true)
    }
    expectGradients([image]) { $0[0].upsampled(scaleFactor: [1.1, 2.5], mode: .nearestExact) }
    expectGradients([image]) { $0[0].upsampled(scaleFactor: [1.2, 2.1]) }
  }

  @Test func theLayerTakesTheNewModes() {
    let layer = Upsample(scaleFactor: 2, mode: .bicubic, alignCorners: true)
    #expect("\(layer)" == "Upsample(scale_factor=2.0, mode='bicubic')")
    #expect(
      "\(Upsample(size: [4], mode: .nearestExact))" == "Upsample(size=4, mode='nearest-exact')")
    let x = Tensor.randomNormal([1, 1, 3, 3])
    #expect(layer(x).shape == [1, 1, 6, 6])
  }

  @Test func bicubicNeedsAnImage() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([1, 1, 4]).upsampled(scaleFactor: 2, mode: .bicubic)
    }
    expectMessage(result, "mode bicubic needs an input of rank 4, got shape [1, 1, 4]")
  }
}
