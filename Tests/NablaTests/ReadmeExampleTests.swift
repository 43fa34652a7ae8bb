import Nabla
import Testing

/// The README's first example, kept line for line (`.ci/run` checks that every line of the
/// README's example appears here), so that it is known to compile and run.
@Suite struct ReadmeExampleTests {
  @Test func readmeExampleRuns() {
    manualSeed(0)
    let x = Tensor([1, 2, 3, 4], shape: [2, 2])
    let w = Tensor.randomNormal([2, 3]).requiringGrad()
    let loss = x.matmul(w).relu().sum()
    loss.backward()
    print(w.grad!)  // d loss / d w, shape [2, 3]

    // Check the gradient numerically, in float64, as you would in your own tests.
    let check = gradientCheck(at: [Tensor.randomNormal([2, 3], dtype: .float64)]) { inputs in
      inputs[0].tanh().sum(alongAxes: [1])
    }
    print(check)  // gradientCheck passed: max abs error ...
    #expect(check.passed)
    #expect(w.grad!.shape == [2, 3])
  }
}
