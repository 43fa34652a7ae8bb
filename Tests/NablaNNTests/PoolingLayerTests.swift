import NablaTestSupport
import Testing

@testable import NablaNN

/// The pooling, unpooling and upsampling layers with the options of their PyTorch namesakes:
/// ceil mode, divisor override, indices of maxima, per-axis scale factors. Expected values came
/// from torch 2.15.0 (CPU, float64); the layers pass their options to the Tensor functions, whose
/// own tests cover more cases.
@Suite struct PoolingLayerTests {
  /// 4 x 5:  1 5 2 8 3 / 0 7 4 6 2 / 9 1 3 8 5 / 7 2 6 4 0
  let image = tensor(
    [1, 5, 2, 8, 3, 0, 7, 4, 6, 2, 9, 1, 3, 8, 5, 7, 2, 6, 4, 0], [1, 1, 4, 5])
  let signal = tensor([1, 5, 2, 8, 3, 4], [1, 1, 6])

  @Test func descriptionsShowTheNewOptions() {
    #expect(
      MaxPool2D(kernelSize: 2, ceilMode: true).configuration
        == "MaxPool2D(kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], "
        + "ceilMode: true)")
    #expect(
      AvgPool2D(kernelSize: 3, stride: 2, divisorOverride: 4).configuration
        == "AvgPool2D(kernelSize: [3, 3], stride: [2, 2], padding: [0, 0], ceilMode: false, "
        + "countIncludePad: true, divisorOverride: 4)")
    #expect(
      AvgPool1D(kernelSize: 3).configuration
        == "AvgPool1D(kernelSize: 3, stride: 3, padding: 0, ceilMode: false, countIncludePad: true)"
    )
    #expect(
      Upsample(scaleFactor: [2, 1.5], mode: .bilinear).configuration
        == "Upsample(scaleFactor: [2.0, 1.5], mode: bilinear, alignCorners: false)")
    #expect(
      MaxUnpool2D(kernelSize: [2, 3]).configuration
        == "MaxUnpool2D(kernelSize: [2, 3], stride: [2, 3], padding: [0, 0])")
  }

  @Test func ceilModeLayers() {
    expectClose(
      [Double](MaxPool2D(kernelSize: 3, stride: 2, padding: 1, ceilMode: true)(image)),
      [7, 8, 8, 9, 8, 8, 7, 6, 4])
    expectClose(
      [Double](MaxPool1D(kernelSize: 2, stride: 2, padding: 1, ceilMode: true)(signal)),
      [1, 5, 8, 4])
    expectClose(
      [Double](
        AvgPool2D(kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)(
          image)),
      [
        3.25, 5.333333333333333, 4.75, 4.333333333333333, 4.555555555555555, 4.166666666666667,
        4.5, 4.0, 2.0,
      ])
    expectClose(
      [Double](AvgPool1D(kernelSize: 3, stride: 2, padding: 1, ceilMode: true)(signal)),
      [2, 5, 5, 2])
    expectClose(
      [Double](AvgPool2D(kernelSize: 2, ceilMode: true, divisorOverride: 3)(image)),
      [
        4.333333333333333, 6.666666666666667, 1.6666666666666667, 6.333333333333333, 7.0,
        1.6666666666666667,
      ])
    expectClose(
      [Double](LPPool1D(power: 2, kernelSize: 4, ceilMode: true)(signal)),
      [9.695359714832659, 7.0710678118654755])
    expectClose(
      [Double](LPPool2D(power: 1, kernelSize: 3, ceilMode: true)(image)), [32, 48, 45, 18])
  }

  @Test func maxPoolingLayersReturnIndices() {
    let pool = MaxPool2D(kernelSize: 3, stride: 2, padding: 1, ceilMode: true)
    let (output, indices) = pool.withIndices(image)
    expectClose([Double](output), [Double](pool(image)))
    #expect(indices.dtype == .int64 && [Int](indices) == [6, 3, 3, 10, 13, 13, 15, 17, 18])
    let (_, positions) = MaxPool1D(kernelSize: 3, stride: 2, ceilMode: true).withIndices(signal)
    #expect([Int](positions) == [1, 3, 5])
    #expect(
      [Int](AdaptiveMaxPool2D(outputSize: [3, 2]).withIndices(image).indices) == [
        6, 3, 10, 13, 10, 13,
      ])
    #expect([Int](AdaptiveMaxPool1D(outputSize: 4).withIndices(signal).indices) == [1, 1, 3, 5])
  }

  @Test func unpoolingUndoesPooling() {
    // Pooling, unpooling to the input's size and pooling again gives the same maxima (of
    // positive values: the zeros unpooling adds must not win).
    let x = random([2, 3, 7, 6], seed: 51).abs() + 0.1
    let pool = MaxPool2D(kernelSize: 2, ceilMode: true)
    let (pooled, indices) = pool.withIndices(x)
    let restored = MaxUnpool2D(kernelSize: 2)(pooled, indices: indices, outputSize: [7, 6])
    #expect(restored.shape == [2, 3, 7, 6])
    expectClose([Double](pool(restored)), [Double](pooled))
    // Every restored value is the input's at that position, or zero.
    for (value, original) in zip([Double](restored), [Double](x)) {
      #expect(value == 0 || value == original)
    }
    let pool1 = MaxPool1D(kernelSize: 3, stride: 2, padding: 1)
    let (pooled1, indices1) = pool1.withIndices(signal.narrowed(alongAxis: 2, start: 0, length: 5))
    expectClose(
      [Double](MaxUnpool1D(kernelSize: 3, stride: 2, padding: 1)(pooled1, indices: indices1)),
      [0, 5, 0, 8, 0])
  }

  @Test func upsampleLayerWithPerAxisFactors() {
    let grid = tensor([1, 2, 3, 4, 5, 6], [1, 1, 2, 3])
    expectClose([Double](Upsample(scaleFactor: [1.5, 0.7])(grid)), [1, 2, 1, 2, 4, 5])
    expectClose(
      [Double](Upsample(size: [3, 4], mode: .bilinear, alignCorners: true)(grid)),
      [
        1.0, 1.6666666666666665, 2.333333333333333, 3.0, 2.5, 3.1666666666666665,
        3.833333333333333, 4.5, 4.0, 4.666666666666666, 5.333333333333333, 6.0,
      ])
  }

  @Test func layerGradients() {
    let x = random([1, 2, 5, 7], seed: 52)
    expectModuleGradients(MaxPool2D(kernelSize: [3, 2], stride: 2, padding: 1, ceilMode: true), x)
    expectModuleGradients(
      AvgPool2D(kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true), x)
    expectModuleGradients(AvgPool2D(kernelSize: [2, 3], ceilMode: true, divisorOverride: 2), x)
    expectModuleGradients(LPPool2D(power: 2, kernelSize: 2, ceilMode: true), x.abs() + 0.5)
    expectModuleGradients(Upsample(scaleFactor: [2, 1.5], mode: .bilinear, alignCorners: true), x)
    expectModuleGradients(Upsample(scaleFactor: [1.5, 2]), x)
    let signal = random([2, 3, 9], seed: 53)
    expectModuleGradients(MaxPool1D(kernelSize: 2, stride: 2, padding: 1, ceilMode: true), signal)
    expectModuleGradients(AvgPool1D(kernelSize: 4, stride: 3, ceilMode: true), signal)
    expectModuleGradients(LPPool1D(power: 3, kernelSize: 2, ceilMode: true), signal.abs() + 0.5)
    expectModuleGradients(Upsample(scaleFactor: 1.7, mode: .linear), signal)
    // Unpooling with fixed indices is linear in its input.
    let indices = MaxPool2D(kernelSize: 2).withIndices(x).indices
    let result = gradientCheck(at: [random([1, 2, 2, 3], seed: 54)]) {
      MaxUnpool2D(kernelSize: 2)($0[0], indices: indices, outputSize: [5, 7])
    }
    #expect(result.passed, "\(result)")
  }

  @Test func matrixViewsFollowTheNewOptions() {
    let x = random([1, 2, 5, 4], seed: 55)
    for pool in [
      AvgPool2D(kernelSize: 3, stride: 2, padding: 1, ceilMode: true),
      AvgPool2D(kernelSize: 2, ceilMode: true, countIncludePad: false, divisorOverride: 3),
    ] {
      let matrix = pool.denseMatrix(channels: 2, inputSize: [5, 4], dtype: .float64)
      expectClose([Double](matrix.matmul(x.flattened())), [Double](pool(x).flattened()))
    }
    let signal = random([1, 3, 7], seed: 56)
    let pool1 = AvgPool1D(kernelSize: 2, stride: 2, padding: 1, ceilMode: true)
    expectClose(
      [Double](
        pool1.denseMatrix(channels: 3, inputLength: 7, dtype: .float64).matmul(signal.flattened())),
      [Double](pool1(signal).flattened()))
    let up = Upsample(scaleFactor: [1.5, 2.5])
    expectClose(
      [Double](
        up.denseMatrix(channels: 2, inputSize: [5, 4], dtype: .float64).matmul(x.flattened())),
      [Double](up(x).flattened()))
  }
}
