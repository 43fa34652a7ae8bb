import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

/// `Tensor.gradients(of:withRespectTo:)`, as `torch.autograd.grad`: the gradients of an output
/// with respect to chosen tensors, leaves or not, with nothing accumulated into any `grad`.
@Suite struct GradientsFunctionTests {
  let x = Tensor([1, -2, 3], dtype: .float64).requiringGrad()
  let w = Tensor([0.5, 2, -1], dtype: .float64).requiringGrad()

  @Test func gradientsOfLeavesLeaveGradAlone() throws {
    let loss = (x * x * w).sum()
    let gradients = Tensor.gradients(of: loss, withRespectTo: [x])
    // d/dx Σ x²w = 2xw.
    #expect(try #require(gradients[0]).scalars == [1, -8, -6])
    #expect(x.grad == nil && w.grad == nil)
  }

  @Test func intermediateResultsAndTheSameAsBackward() throws {
    let y = x * 3
    let loss = (y * y).sum() + (x * w).sum()
    let gradients = Tensor.gradients(of: loss, withRespectTo: [y, x, w], retainingGraph: true)
    #expect(try #require(gradients[0]).scalars == (y * 2).scalars)
    loss.backward()
    #expect(try #require(gradients[1]).scalars == x.grad?.scalars)
    #expect(try #require(gradients[2]).scalars == w.grad?.scalars)
  }

  @Test func upstreamGradientsAndUnusedInputs() throws {
    let y = x * w
    let other = Tensor([1, 1, 1], dtype: .float64).requiringGrad()
    let gradients = Tensor.gradients(
      of: y, withRespectTo: [x, other], upstream: Tensor([1, 10, 100], dtype: .float64),
      allowUnused: true)
    #expect(try #require(gradients[0]).scalars == [0.5, 20, -100])
    #expect(gradients[1] == nil)
  }

  @Test func anUnusedInputStopsNamingIt() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      let x = Tensor([1, 2], dtype: .float64).requiringGrad()
      let unused = Tensor([3], dtype: .float64).requiringGrad()
      _ = Tensor.gradients(of: (x * x).sum(), withRespectTo: [x, unused])
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(
      text.contains(
        "gradients: input 1 (shape [1]) was not used to compute the output; pass "
          + "allowUnused: true to get nil for it"), "\(text)")
  }
}
