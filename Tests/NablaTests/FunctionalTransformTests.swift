import NablaTestSupport
import Testing

@testable import Nabla

/// Gradients of functions: `valueWithGradient`, `gradient`, `vectorJacobianProduct` and
/// `jacobian`, against closed forms and central differences; the caller's tensors are not
/// touched.
@Suite struct FunctionalTransformTests {
  let x = Tensor([1, -2, 3], dtype: .float64)
  let w = Tensor([0.5, 2, -1, 4, 1, -3], shape: [3, 2], dtype: .float64)

  @Test func valueAndGradientOfAFunction() {
    let (value, gradients) = valueWithGradient(at: [x, w]) { inputs in
      inputs[0].unsqueezed(at: 0).matmul(inputs[1]).tanh().sum()
    }
    let product = x.unsqueezed(at: 0).matmul(w)
    #expect(value.scalars == product.tanh().sum().scalars)
    // d/dx Σ tanh(x·W) = W · (1 − tanh²), d/dW = xᵀ · (1 − tanh²).
    let slope = 1 - product.tanh() * product.tanh()
    expectClose(gradients[0].scalars, slope.matmul(w.transposed()).scalars)
    expectClose(gradients[1].scalars, x.unsqueezed(at: 1).matmul(slope).scalars)
    #expect(!x.requiresGrad && x.grad == nil)
  }

  @Test func unusedInputsGetZerosAndConstantsToo() {
    let gradients = gradient(at: [x, w]) { ($0[0] * $0[0]).sum() }
    #expect(gradients[0].scalars == [2, -4, 6])
    #expect(
      gradients[1].scalars == [Double](repeating: 0, count: 6) && gradients[1].shape == [3, 2])
    #expect(gradient(at: [x]) { _ in Tensor(scalar: 1, dtype: .float64) }[0].scalars == [0, 0, 0])
  }

  @Test func vectorJacobianProductsAndJacobians() {
    let f = { (t: Tensor) in Tensor(concatenating: [t * t, t.exp().sum().unsqueezed(at: 0)]) }
    let jacobianOfF = jacobian(at: x, of: f)
    #expect(jacobianOfF.shape == [4, 3])
    let e = x.exp().scalars
    let expected: [Double] = [2, 0, 0, 0, -4, 0, 0, 0, 6] + e
    expectClose(jacobianOfF.scalars, expected)
    let v = Tensor([1, 10, 100, 1000], dtype: .float64)
    let (value, products) = vectorJacobianProduct(at: [x], upstream: v) { f($0[0]) }
    #expect(value.scalars == f(x).scalars)
    expectClose(products[0].scalars, v.unsqueezed(at: 0).matmul(jacobianOfF).scalars)
  }

  @Test func gradientsAgreeWithCentralDifferences() {
    let function = { (inputs: [Tensor]) in (inputs[0].sigmoid() * inputs[0]).sum() }
    let analytic = gradient(at: [x], of: function)[0]
    let h = 1e-6
    let numeric = (0..<3).map { index -> Double in
      var basis = [Double](repeating: 0, count: 3)
      basis[index] = h
      let step = Tensor(basis, dtype: .float64)
      return (function([x + step]).item - function([x - step]).item) / (2 * h)
    }
    expectClose(analytic.scalars, numeric, tolerance: 1e-8)
  }
}
