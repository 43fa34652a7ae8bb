import NablaTestSupport
import Testing

@testable import Nabla

/// A 2-D convolution with a (k, 1) kernel over inputs one column wide, which runs as the 1-D
/// convolution of the columns: the same values and gradients as conv1d, bit for bit, and a
/// float64 gradient check of its own.
@Suite struct ColumnConvolutionTests {
  static let cases: [(stride: Int, padding: Int, dilation: Int, groups: Int)] = [
    (1, 0, 1, 1), (4, 3, 1, 1), (1, 2, 2, 2), (3, 1, 2, 4),
  ]

  @Test(arguments: cases, [DType.float32, .float64])
  func matchesConv1dBitForBit(
    _ setting: (stride: Int, padding: Int, dilation: Int, groups: Int), dtype: DType
  ) {
    let generator = RandomGenerator(seed: 7)
    let x = Tensor.randomNormal([3, 4, 23], dtype: dtype, generator: generator)
    let w = Tensor.randomNormal([8, 4 / setting.groups, 5], dtype: dtype, generator: generator)
    let b = Tensor.randomNormal([8], dtype: dtype, generator: generator)
    let g = Tensor.randomNormal(
      [3, 8, (23 + 2 * setting.padding - setting.dilation * 4 - 1) / setting.stride + 1],
      dtype: dtype, generator: generator)
    func run(columns: Bool) -> [Tensor] {
      let (xi, wi, bi) = (x.requiringGrad(), w.requiringGrad(), b.requiringGrad())
      let y =
        columns
        ? xi.unsqueezed(at: 3).conv2d(
          weight: wi.unsqueezed(at: 3), bias: bi, stride: Size2D(setting.stride, 1),
          padding: .explicit([setting.padding, 0]), dilation: Size2D(setting.dilation, 1),
          groups: setting.groups
        ).squeezed(axes: [3])
        : xi.conv1d(
          weight: wi, bias: bi, stride: setting.stride, padding: .explicit([setting.padding]),
          dilation: setting.dilation, groups: setting.groups)
      (y * g).sum().backward()
      return [y, xi.grad!, wi.grad!, bi.grad!]
    }
    for (column, row) in zip(run(columns: true), run(columns: false)) {
      #expect(column.shape == row.shape && [Double](column) == [Double](row), "\(setting) \(dtype)")
    }
  }

  @Test(arguments: cases)
  func gradientsMatchNumeric(_ setting: (stride: Int, padding: Int, dilation: Int, groups: Int)) {
    let generator = RandomGenerator(seed: 8)
    let x = Tensor.randomNormal([2, 4, 11, 1], dtype: .float64, generator: generator)
    let w = Tensor.randomNormal(
      [4, 4 / setting.groups, 3, 1], dtype: .float64, generator: generator)
    let b = Tensor.randomNormal([4], dtype: .float64, generator: generator)
    expectGradients([x, w, b]) {
      $0[0].conv2d(
        weight: $0[1], bias: $0[2], stride: Size2D(setting.stride, 2),
        padding: .explicit([setting.padding, 0]), dilation: Size2D(setting.dilation, 3),
        groups: setting.groups)
    }
  }

  /// Padding on the left of a one-column input: the only output column reads padding, so the
  /// output is the bias alone (this is not the column path, which reads column 0).
  @Test func leftPaddingOfOneColumnReadsOnlyPadding() {
    let x = Tensor.randomNormal([1, 2, 6, 1], dtype: .float64)
    let w = Tensor.randomNormal([3, 2, 2, 1], dtype: .float64)
    let b = Tensor([1, 2, 3], dtype: .float64)
    let y = x.conv2d(weight: w, bias: b, stride: Size2D(1, 3), padding: .explicit([0, 1]))
    #expect(y.shape == [1, 3, 5, 1])
    #expect([Double](y) == (0..<3).flatMap { Array(repeating: Double($0 + 1), count: 5) })
  }
}
