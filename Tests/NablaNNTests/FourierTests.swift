import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

/// Fourier transforms, windows and the STFT against PyTorch (Fixtures/make_fourier_fixtures.py:
/// values and the gradients of a weighted sum, in float64), round trips, and float64 numerical
/// gradient checks.
@Suite struct FourierTests {
  let fixtures: FunctionFixture

  init() throws { fixtures = try FunctionFixture("fourier") }

  @Test func smallTransformsByHand() {
    let x = Tensor.complex(real: Tensor([1, 2, 3, 4]), imaginary: Tensor.zeros([4]))
    #expect(x.fft().scalars == [10, 0, -2, 2, -2, 0, -2, -2])
    #expect(Tensor([1, 2, 3, 4]).rfft().scalars == [10, 0, -2, 2, -2, 0])
    #expect(Tensor([5]).rfft().scalars == [5, 0])
    // Three points (Bluestein's path): X[1] = 1 + 2·e^(−2πi/3) + 3·e^(−4πi/3) = −1.5 + 0.866i.
    let three = Tensor([1, 2, 3], dtype: .float64).rfft()
    expectClose(three.scalars, [6, 0, -1.5, 3.0.squareRoot() / 2], tolerance: 1e-14)
  }

  @Test func transformsMatchPyTorch() throws {
    try fixtures.expectPyTorchs("fft6") { $0[0].fft() }
    try fixtures.expectPyTorchs("fft8.axis0.pad") {
      $0[0].fft(count: 5, alongAxis: 0, normalization: .ortho)
    }
    try fixtures.expectPyTorchs("ifft7.forward") { $0[0].ifft(normalization: .forward) }
    try fixtures.expectPyTorchs("ifft8.cut") { $0[0].ifft(count: 8) }
    try fixtures.expectPyTorchs("rfft10.cut8") { $0[0].rfft(count: 8) }
    try fixtures.expectPyTorchs("rfft7.axis0") { $0[0].rfft(alongAxis: 0, normalization: .ortho) }
    try fixtures.expectPyTorchs("rfft1000", tolerance: 1e-10) { $0[0].rfft() }
    try fixtures.expectPyTorchs("rfft1024", tolerance: 1e-10) {
      $0[0].rfft(normalization: .forward)
    }
    try fixtures.expectPyTorchs("irfft5") { $0[0].irfft() }
    try fixtures.expectPyTorchs("irfft9") { $0[0].irfft(count: 9, normalization: .ortho) }
    try fixtures.expectPyTorchs("irfft4.cut") { $0[0].irfft(count: 4, alongAxis: 0) }
    try fixtures.expectPyTorchs("irfft12.pad") { $0[0].irfft(count: 12, normalization: .forward) }
    try fixtures.expectPyTorchs("magnitude") { $0[0].complexMagnitude() }
    try fixtures.expectPyTorchs("phase") { $0[0].complexPhase() }
  }

  @Test func windowsMatchPyTorch() throws {
    for periodic in [true, false] {
      let kind = periodic ? "periodic" : "symmetric"
      for length in [1, 2, 10] {
        let windows = [
          ("hann", Tensor.hannWindow(length, periodic: periodic, dtype: .float64)),
          ("hamming", Tensor.hammingWindow(length, periodic: periodic, dtype: .float64)),
          ("blackman", Tensor.blackmanWindow(length, periodic: periodic, dtype: .float64)),
        ]
        for (name, window) in windows {
          expectClose(window.scalars, try fixtures("\(name).\(kind).\(length)").scalars)
        }
      }
    }
    let custom = Tensor.hammingWindow(9, alpha: 0.5, beta: 0.4, dtype: .float64)
    expectClose(custom.scalars, try fixtures("hamming.custom").scalars)
  }

  @Test func shortTimeTransformsMatchPyTorch() throws {
    let hann = Tensor.hannWindow(16, dtype: .float64)
    let hamming = Tensor.hammingWindow(12, periodic: false, dtype: .float64)
    try fixtures.expectPyTorchs("stft") { $0[0].stft(nFFT: 16, hopLength: 4, window: hann) }
    try fixtures.expectPyTorchs("stft.short.window") {
      $0[0].stft(
        nFFT: 16, hopLength: 5, windowLength: 12, window: hamming, center: false,
        normalized: true, onesided: false)
    }
    try fixtures.expectPyTorchs("stft.constant") {
      $0[0].stft(
        nFFT: 10, hopLength: 3, window: .blackmanWindow(10, dtype: .float64), paddingMode: .zeros)
    }
    try fixtures.expectPyTorchs("istft") {
      $0[0].istft(nFFT: 16, hopLength: 4, window: hann, length: 50)
    }
    try fixtures.expectPyTorchs("istft.full") { $0[0].istft(nFFT: 16, hopLength: 4, window: hann) }
    try fixtures.expectPyTorchs("istft.long") {
      $0[0].istft(nFFT: 16, hopLength: 4, window: hann, normalized: true, length: 60)
    }
    try fixtures.expectPyTorchs("istft.two.sided") {
      $0[0].istft(
        nFFT: 16, hopLength: 5, window: .hammingWindow(16, dtype: .float64), center: false,
        onesided: false)
    }
  }

  @Test func inversesGiveTheSignalBack() {
    let generator = RandomGenerator(seed: 3)
    for length in [1, 2, 5, 8, 12, 17, 64, 100] {
      let x = Tensor.randomNormal([3, length], dtype: .float64, generator: generator)
      expectClose(x.rfft().irfft(count: length).scalars, x.scalars, tolerance: 1e-12)
      let z = Tensor.randomNormal([length, 2], dtype: .float64, generator: generator)
      expectClose(z.fft().ifft().scalars, z.scalars, tolerance: 1e-12)
      expectClose(
        z.fft(normalization: .ortho).ifft(normalization: .ortho).scalars, z.scalars,
        tolerance: 1e-12)
    }
    let signal = Tensor.randomNormal([2, 300], dtype: .float64, generator: generator)
    for (nFFT, hop) in [(64, 16), (50, 25), (33, 8)] {
      let window = Tensor.hannWindow(nFFT, dtype: .float64)
      let spectrum = signal.stft(nFFT: nFFT, hopLength: hop, window: window)
      let back = spectrum.istft(nFFT: nFFT, hopLength: hop, window: window, length: 300)
      expectClose(back.scalars, signal.scalars, tolerance: 1e-12)
    }
    // Float32 follows the same path, rounded at the ends.
    let short = Tensor.randomNormal([256], generator: generator)
    let back = short.stft(nFFT: 32, hopLength: 8, window: .hannWindow(32)).istft(
      nFFT: 32, hopLength: 8, window: .hannWindow(32), length: 256)
    expectClose(back.scalars, short.scalars, tolerance: 1e-5)
  }

  @Test func gradientsMatchCentralDifferences() {
    let generator = RandomGenerator(seed: 4)
    let z = Tensor.randomNormal([2, 6, 2], dtype: .float64, generator: generator)
    let x = Tensor.randomNormal([2, 7], dtype: .float64, generator: generator)
    expectGradients([z]) { $0[0].fft(count: 5, alongAxis: 1) }
    expectGradients([z]) { $0[0].ifft(alongAxis: 0, normalization: .ortho) }
    expectGradients([x]) { $0[0].rfft(count: 8) }
    expectGradients([x]) { $0[0].rfft(alongAxis: 0) }
    expectGradients([z]) { $0[0].irfft() }
    expectGradients([z]) { $0[0].irfft(count: 11, normalization: .forward) }
    expectGradients([z]) { $0[0].complexMagnitude() }
    expectGradients([z]) { $0[0].complexPhase() }
    expectGradients([x]) { $0[0].unfolded(alongAxis: 1, size: 3, step: 2) }
    let signal = Tensor.randomNormal([2, 24], dtype: .float64, generator: generator)
    let window = Tensor.hannWindow(8, dtype: .float64)
    expectGradients([signal, window]) {
      $0[0].stft(nFFT: 8, hopLength: 3, window: $0[1])
    }
    let spectrum = signal.stft(nFFT: 8, hopLength: 2, window: window)
    expectGradients([spectrum]) { $0[0].istft(nFFT: 8, hopLength: 2, window: window) }
  }

  @Test func unfoldedCutsWindowsAlongAnyAxis() {
    let x = Tensor.arange(0, 10).reshaped([2, 5])
    #expect(x.unfolded(alongAxis: 1, size: 3, step: 2).shape == [2, 2, 3])
    #expect(
      x.unfolded(alongAxis: 1, size: 3, step: 2).scalars == [0, 1, 2, 2, 3, 4, 5, 6, 7, 7, 8, 9])
    #expect(x.unfolded(alongAxis: 0, size: 2, step: 1).shape == [1, 5, 2])
    #expect(x.unfolded(alongAxis: 0, size: 2, step: 1).scalars == [0, 5, 1, 6, 2, 7, 3, 8, 4, 9])
  }

  @Test func windowsThatDoNotOverlapStopTheInverse() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let spectrum = Tensor.zeros([9, 5, 2])
      _ = spectrum.istft(nFFT: 16, hopLength: 4, window: .hannWindow(16), center: false)
    }
    let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(printed.contains("istft: the overlap-added squared window falls to 0.0"), "\(printed)")
  }

  @Test func realInputToFFTStopsNamingTheShape() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, 2, 3]).fft()
    }
    let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(
      printed.contains(
        "fft: expected complex values as a trailing axis of 2 ([..., n, 2]), got shape [3]"),
      "\(printed)")
  }
}
