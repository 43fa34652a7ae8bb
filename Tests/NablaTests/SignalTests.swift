import NablaTestSupport
import Testing

@testable import Nabla

/// `convolve` and `correlate` against NumPy's `np.convolve` and `np.correlate` (the expected
/// values are NumPy's output for the same operands).
@Suite struct SignalTests {
  let a = Tensor([1, 2, 3, 4], dtype: .float64)
  let v = Tensor([5, 6, 7], dtype: .float64)

  @Test func convolveModes() {
    expectClose([Double](convolve(a, v)), [5, 16, 34, 52, 45, 28], tolerance: 1e-6)
    expectClose([Double](convolve(a, v, mode: .same)), [16, 34, 52, 45], tolerance: 1e-6)
    expectClose([Double](convolve(a, v, mode: .valid)), [34, 52], tolerance: 1e-6)
    // Convolution commutes.
    expectClose([Double](convolve(v, a, mode: .same)), [16, 34, 52, 45], tolerance: 1e-6)
    expectClose([Double](convolve(v, a, mode: .valid)), [34, 52], tolerance: 1e-6)
  }

  @Test func correlateModes() {
    expectClose([Double](correlate(a, v)), [38, 56], tolerance: 1e-6)
    expectClose([Double](correlate(a, v, mode: .same)), [20, 38, 56, 39], tolerance: 1e-6)
    expectClose([Double](correlate(a, v, mode: .full)), [7, 20, 38, 56, 39, 20], tolerance: 1e-6)
    // A longer second operand reverses the result, as NumPy does.
    expectClose([Double](correlate(v, a, mode: .full)), [20, 39, 56, 38, 20, 7], tolerance: 1e-6)
    expectClose([Double](correlate(v, a, mode: .same)), [39, 56, 38, 20], tolerance: 1e-6)
    let long = Tensor([5, 6, 7, 8, 9, 10], dtype: .float64)
    expectClose(
      [Double](correlate(a, long, mode: .same)), [56, 90, 80, 70, 56, 39], tolerance: 1e-6)
    expectClose([Double](correlate(a, long)), [90, 80, 70], tolerance: 1e-6)
  }

  @Test(arguments: SignalMode.allCases)
  func gradients(mode: SignalMode) {
    let x = randomDouble([7], seed: 30)
    let kernel = randomDouble([4], seed: 31)
    expectGradients([x, kernel]) { convolve($0[0], $0[1], mode: mode) }
    expectGradients([kernel, x]) { correlate($0[0], $0[1], mode: mode) }
  }
}
