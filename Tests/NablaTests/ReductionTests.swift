import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

@Suite struct ReductionTests {
  let x = Tensor([1, 5, 3, 4, 2, 6], shape: [2, 3], dtype: .float64)

  /// Reductions split over the pool (by blocks of columns, or by slabs) give the same bits
  /// whatever the number of threads.
  @Test func threadCountDoesNotChangeSums() {
    let values = Tensor.randomNormal([300, 200], generator: RandomGenerator(seed: 9))
    func run() -> [Float] {
      [Float](values.sum(alongAxes: [0])) + [Float](values.sum(alongAxes: [1]))
    }
    defer { Parallelism.threadCount = 0 }
    Parallelism.threadCount = 1
    let reference = run()
    for threads in [2, 3] {
      Parallelism.threadCount = threads
      #expect(run() == reference, "\(threads) threads")
    }
  }

  @Test func sumAndMeanAlongAxes() {
    #expect(x.sum().item == 21)
    #expect(x.sum().shape == [])
    #expect([Double](x.sum(alongAxis: 0)) == [5, 7, 9])
    #expect([Double](x.sum(alongAxis: 1)) == [9, 12])
    #expect(x.sum(alongAxis: 1, keepingDims: true).shape == [2, 1])
    #expect(x.sum(alongAxes: [0, 1], keepingDims: true).shape == [1, 1])
    #expect([Double](x.mean(alongAxis: -1)) == [3, 4])
    #expect(x.mean().item == 3.5)
    let cube = Tensor.arange(0, 24, dtype: .float64).reshaped([2, 3, 4])
    #expect([Double](cube.sum(alongAxes: [0, 2])) == [60, 92, 124])
  }

  @Test func varianceBiasedAndUnbiased() {
    // torch.var(x, dim=1) and torch.var(x, dim=1, unbiased=False)
    expectClose([Double](x.variance(alongAxis: 1)), [4, 4], tolerance: 1e-6)
    expectClose(
      [Double](x.variance(alongAxis: 1, unbiased: false)), [8.0 / 3, 8.0 / 3], tolerance: 1e-6)
    expectClose([x.variance().item], [3.5], tolerance: 1e-6)
  }

  @Test func extremaAndTheirPositions() {
    #expect([Double](x.max(alongAxis: 1)) == [5, 6])
    #expect([Double](x.min(alongAxis: 0)) == [1, 2, 3])
    #expect(x.max().item == 6)
    #expect([Int](x.argmax(alongAxis: 1)) == [1, 2])
    #expect([Int](x.argmin(alongAxis: 0)) == [0, 1, 0])
    #expect(x.argmax().item == 5)
    #expect(x.argmax(alongAxis: 1, keepingDims: true).shape == [2, 1])
    #expect(x.argmax().dtype == .int64)
    // The first of equal values wins.
    #expect([Int](Tensor([2, 7, 7, 1]).argmax(alongAxis: 0)) == [1])
    #expect(Tensor([1, .nan, 3]).max().item.isNaN)
  }

  @Test func logSumExpIsStable() {
    let big = Tensor([1e4, 1e4], dtype: .float64)
    expectClose([big.logSumExp().item], [1e4 + Foundation.log(2)], tolerance: 1e-6)
    let small = Tensor([1, 2, 3], dtype: .float64)
    expectClose(
      [small.logSumExp().item],
      [Foundation.log(Foundation.exp(1) + Foundation.exp(2) + Foundation.exp(3))], tolerance: 1e-6)
    #expect(Tensor([-Double.infinity, -.infinity], dtype: .float64).logSumExp().item == -.infinity)
  }

  @Test func gradientsOfReductions() {
    let a = randomDouble([3, 4, 5], seed: 21)
    expectGradients([a]) { $0[0].sum() }
    expectGradients([a]) { $0[0].sum(alongAxes: [0, 2]) }
    expectGradients([a]) { $0[0].sum(alongAxis: 1, keepingDims: true) }
    expectGradients([a]) { $0[0].mean(alongAxes: [1, 2]) }
    expectGradients([a]) { $0[0].variance(alongAxes: [0, 2]) }
    expectGradients([a]) { $0[0].variance(alongAxis: 1, unbiased: false, keepingDims: true) }
    expectGradients([a]) { $0[0].max(alongAxes: [0, 1]) }
    expectGradients([a]) { $0[0].min(alongAxis: 2) }
    expectGradients([a]) { $0[0].max() }
    expectGradients([a]) { $0[0].logSumExp(alongAxes: [1, 2]) }
    expectGradients([a]) { $0[0].logSumExp(alongAxis: 0, keepingDims: true) }
    // Reductions of a non-contiguous (permuted) input.
    expectGradients([a]) { $0[0].permuted([2, 0, 1]).sum(alongAxes: [0, 2]) }
  }

  @Test func tiedMaximaShareTheGradient() {
    let t = Tensor([3, 1, 3], dtype: .float64).requiringGrad()
    t.max().backward()
    #expect([Double](t.grad!) == [0.5, 0, 0.5])
  }
}
