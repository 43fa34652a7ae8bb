import NablaTestSupport
import Testing

@testable import Nabla

/// The options of `upsampled` a PyTorch user expects: per-axis scale factors, output sizes,
/// `alignCorners`, and the exact source positions of PyTorch's `interpolate` (scale factors
/// used as given, as with `recompute_scale_factor=None`). Expected values came from torch 2.15.0
/// (CPU, float64 unless said otherwise); the small ones are also worked out in the comments.
@Suite struct UpsamplingTests {
  /// 2 x 3:  1 2 3 / 4 5 6
  let grid = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 1, 2, 3], dtype: .float64)
  let row = Tensor([1, 2, 4], shape: [1, 1, 3], dtype: .float64)

  @Test func perAxisNearestScaleFactors() {
    let tall = grid.upsampled(scaleFactor: [2, 3])
    #expect(tall.shape == [1, 1, 4, 9])
    let firstRow: [Double] = [1, 1, 1, 2, 2, 2, 3, 3, 3]
    let secondRow: [Double] = [4, 4, 4, 5, 5, 5, 6, 6, 6]
    expectClose([Double](tall), firstRow + firstRow + secondRow + secondRow, tolerance: 1e-6)
    // Height ⌊2·1.5⌋ = 3 from rows ⌊o/1.5⌋ = 0, 0, 1; width ⌊3·0.7⌋ = 2 from ⌊o/0.7⌋ = 0, 1.
    let mixed = grid.upsampled(scaleFactor: [1.5, 0.7])
    #expect(mixed.shape == [1, 1, 3, 2])
    expectClose([Double](mixed), [1, 2, 1, 2, 4, 5], tolerance: 1e-6)
    // One factor applies to every axis.
    #expect(grid.upsampled(scaleFactor: ScaleFactor(2.5)).shape == [1, 1, 5, 7])
  }

  @Test func theGivenFactorPlacesThePositions() {
    // 5 · 1.3 → 6 positions, 1/1.3 apart: ⌊o/1.3⌋ = 0, 0, 1, 2, 3, 3. Asking for size 6 spaces
    // them 5/6 apart instead: 0, 0, 1, 2, 3, 4.
    let five = Tensor([1, 2, 3, 4, 5], shape: [1, 1, 5], dtype: .float64)
    expectClose([Double](five.upsampled(scaleFactor: 1.3)), [1, 1, 2, 3, 4, 4], tolerance: 1e-6)
    expectClose([Double](five.upsampled(size: [6])), [1, 1, 2, 3, 4, 5], tolerance: 1e-6)
    expectClose(
      [Double](five.upsampled(scaleFactor: 1.3, mode: .linear)),
      [
        1.0, 1.6538461538461537, 2.423076923076923, 3.192307692307692, 3.9615384615384612,
        4.73076923076923,
      ], tolerance: 1e-6)
    expectClose(
      [Double](five.upsampled(size: [6], mode: .linear)),
      [1.0, 1.75, 2.5833333333333335, 3.416666666666667, 4.25, 5.0], tolerance: 1e-6)
  }

  /// PyTorch rounds o·scale to single precision before taking the floor, and works in single
  /// precision for float32 tensors, so a product within rounding of a whole number lands on
  /// it: 30 → 22 takes position 15 at o = 11 (11·30/22 = 14.999… in double precision), and 26 →
  /// 22 takes 13 at o = 11 in float64 but 12 in float32.
  @Test func nearestSourcePositionsMatchPyTorchsRounding() {
    let thirty = Tensor.arange(0, 30, dtype: .float64).reshaped([1, 1, 30])
    expectClose(
      [Double](thirty.upsampled(size: [22])),
      [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 15, 16, 17, 19, 20, 21, 23, 24, 25, 27, 28],
      tolerance: 1e-6)
    let twentySix = Tensor.arange(0, 26, dtype: .float64).reshaped([1, 1, 26])
    expectClose(
      [Double](twentySix.upsampled(size: [22])),
      [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24],
      tolerance: 1e-6)
    // From torch 2.15.0 with float32 tensors.
    expectClose(
      [Double](twentySix.converted(to: .float32).upsampled(size: [22])),
      [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24],
      tolerance: 1e-6)
  }

  @Test func bilinearWithPerAxisFactors() {
    // Rows at max((o + ½)/2 − ½, 0) = 0, 0.25, 0.75, 1; columns (o + ½)/1.5 − ½ = 0, ⅔, 4/3, 2
    // (the last clamped to the edge).
    expectClose(
      [Double](grid.upsampled(scaleFactor: [2, 1.5], mode: .bilinear)),
      [
        1.0, 1.5, 2.1666666666666665, 2.8333333333333335, 1.75, 2.25, 2.916666666666667,
        3.5833333333333335, 3.25, 3.7499999999999996, 4.416666666666666, 5.083333333333334, 4.0,
        4.5, 5.166666666666667, 5.833333333333333,
      ], tolerance: 1e-6)
    // With the corners aligned, the factors only set the size: rows at o/3, columns at 2·o/3.
    expectClose(
      [Double](grid.upsampled(scaleFactor: [2, 1.5], mode: .bilinear, alignCorners: true)),
      [
        1.0, 1.6666666666666665, 2.333333333333333, 3.0, 2.0, 2.6666666666666665,
        3.3333333333333335, 4.0, 3.0, 3.666666666666667, 4.333333333333333, 5.0, 4.0,
        4.666666666666666, 5.333333333333333, 6.0,
      ], tolerance: 1e-6)
  }

  @Test func bilinearToASize() {
    expectClose(
      [Double](grid.upsampled(size: [3, 4], mode: .bilinear)),
      [1, 1.625, 2.375, 3, 2.5, 3.125, 3.875, 4.5, 4, 4.625, 5.375, 6], tolerance: 1e-6)
    expectClose(
      [Double](grid.upsampled(size: [3, 4], mode: .bilinear, alignCorners: true)),
      [
        1.0, 1.6666666666666665, 2.333333333333333, 3.0, 2.5, 3.1666666666666665,
        3.833333333333333, 4.5, 4.0, 4.666666666666666, 5.333333333333333, 6.0,
      ], tolerance: 1e-6)
  }

  @Test func linearModes() {
    // Sources max((o + ½)/1.7 − ½, 0): 0, 0.38, 0.97, 1.56, 2.15 (clamped to the last input).
    expectClose(
      [Double](row.upsampled(scaleFactor: 1.7, mode: .linear)),
      [1.0, 1.3823529411764706, 1.9705882352941178, 3.1176470588235294, 4.0], tolerance: 1e-6)
    expectClose(
      [Double](row.upsampled(scaleFactor: 1.7, mode: .linear, alignCorners: true)),
      [1, 1.5, 2, 3, 4], tolerance: 1e-6)
    // Shrinking: sources 0.25 and 1.75.
    expectClose([Double](row.upsampled(size: [2], mode: .linear)), [1.25, 3.5], tolerance: 1e-6)
  }

  @Test func perAxisFactorsAgreeAcrossTypes() {
    let x = randomDouble([2, 3, 5, 4], seed: 41)
    for mode in [UpsamplingMode.nearest, .bilinear] {
      let double = x.upsampled(scaleFactor: [1.6, 2.5], mode: mode)
      let single = x.converted(to: .float32).upsampled(scaleFactor: [1.6, 2.5], mode: mode)
      #expect(double.shape == [2, 3, 8, 10] && single.dtype == .float32)
      expectClose([Double](single), [Double](double), tolerance: 1e-5)
    }
  }

  @Test func gradients() {
    let x = randomDouble([1, 2, 3, 4], seed: 42)
    expectGradients([x]) { $0[0].upsampled(scaleFactor: [2, 1.5]) }
    expectGradients([x]) { $0[0].upsampled(scaleFactor: [0.7, 2.5], mode: .bilinear) }
    expectGradients([x]) {
      $0[0].upsampled(scaleFactor: [1.5, 2], mode: .bilinear, alignCorners: true)
    }
    let signal = x.reshaped([2, 3, 4])
    expectGradients([signal]) { $0[0].upsampled(scaleFactor: 1.7, mode: .linear) }
    expectGradients([signal]) {
      $0[0].upsampled(scaleFactor: 2.5, mode: .linear, alignCorners: true)
    }
    expectGradients([signal]) { $0[0].upsampled(size: [7]) }
  }
}
