import CNablaKernels
import Testing

@testable import Nabla

/// im2col and col2im against their definitions, on every path: the short-row AVX-512 loops (1-D
/// signals up to two vectors wide, outputs up to one) where the CPU has them, the plain loops with
/// those turned off, and geometries just past the short rows' limits. (Turning them off changes
/// no result, so tests running meanwhile are not disturbed.)
@Suite(.serialized) struct ConvolutionKernelTests {
  /// The short-row loops off, then as this CPU allows.
  static let shortRows = [false, true]

  /// (width, kernel, stride, dilation, padding): strides 1 to 3, dilation, padding wider than a
  /// tap, a kernel wider than the input, and widths and outputs past one and two vectors.
  static let geometries: [(Int, Int, Int, Int, Int)] = [
    (40, 5, 2, 1, 1), (19, 3, 2, 1, 1), (10, 3, 2, 1, 1), (1, 1, 1, 1, 0), (7, 3, 1, 1, 1),
    (16, 4, 3, 2, 2), (32, 3, 2, 1, 1), (33, 3, 2, 1, 1), (31, 1, 2, 1, 0), (34, 3, 1, 1, 0),
    (8, 9, 1, 1, 4), (12, 5, 1, 3, 6), (64, 2, 4, 1, 0), (5, 2, 1, 1, 3),
  ]

  /// The output width of a geometry, as the layers compute it.
  private func outputWidth(_ g: (Int, Int, Int, Int, Int)) -> Int {
    (g.0 + 2 * g.4 - g.3 * (g.1 - 1) - 1) / g.2 + 1
  }

  /// The geometry of `channels` planes of one row (a 1-D signal) for `images` images side by side.
  private func geometry(_ g: (Int, Int, Int, Int, Int), channels: Int, images: Int)
    -> NablaConvGeometry
  {
    let ow = outputWidth(g)
    return NablaConvGeometry(
      channels: channels, height: 1, width: g.0, kernelHeight: 1, kernelWidth: g.1,
      strideHeight: 1, strideWidth: g.2, dilationHeight: 1, dilationWidth: g.3, padTop: 0,
      padLeft: g.4, outHeight: 1, outWidth: ow, colStride: images * ow)
  }

  /// How many entries of two arrays differ (a count, not the arrays, in a failure's message).
  private func mismatches<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    a.count == b.count ? zip(a, b).filter { $0 != $1 }.count : max(a.count, b.count)
  }

  /// im2col and col2im of both element types against the definition, for every geometry.
  @Test(arguments: shortRows) func unfoldAndFoldMatchTheDefinition(shortRows: Bool) {
    nabla_use_short_rows(shortRows ? 1 : 0)
    defer { nabla_use_short_rows(1) }
    let (channels, images) = (3, 4)
    for g in Self.geometries {
      let ow = outputWidth(g)
      var geometry = geometry(g, channels: channels, images: images)
      let imageStride = channels * g.0 + 5  // images apart by more than their planes
      let x = RandomGenerator(seed: 3).uniformDoubles(images * imageStride).map { $0 - 0.5 }
      let rows = channels * g.1
      let col = RandomGenerator(seed: 4).uniformDoubles(rows * images * ow).map { $0 - 0.5 }
      // The definitions: col[(c, j), (n, o)] = x_n[c, o·stride + j·dilation - padding], or 0;
      // col2im adds each entry that reads the input back where it was read, tap after tap (in
      // the element type, from the same inputs).
      func reference<T: BinaryFloatingPoint>(_ x: [T], _ col: [T]) -> (unfolded: [T], folded: [T]) {
        var (unfolded, folded) = ([T](repeating: 0, count: col.count), x)
        for c in 0..<channels {
          for j in 0..<g.1 {
            for n in 0..<images {
              for o in 0..<ow {
                let p = o * g.2 + j * g.3 - g.4
                guard p >= 0 && p < g.0 else { continue }
                let (source, entry) = (n * imageStride + c * g.0 + p, (c * g.1 + j) * images * ow)
                unfolded[entry + n * ow + o] = x[source]
                folded[source] += col[entry + n * ow + o]
              }
            }
          }
        }
        return (unfolded, folded)
      }
      let label = "short rows \(shortRows) geometry \(g)"
      let doubles = reference(x, col)
      var unfolded = [Double](repeating: .nan, count: col.count)
      nabla_im2col_f64(&geometry, images, imageStride, x, &unfolded)
      #expect(mismatches(unfolded, doubles.unfolded) == 0, "\(label): im2col f64")
      var (sums, columns) = (x, col)
      nabla_col2im_f64(&geometry, images, imageStride, &columns, &sums)
      #expect(mismatches(sums, doubles.folded) == 0, "\(label): col2im f64")
      let (floatX, floatCol) = (x.map { Float($0) }, col.map { Float($0) })
      let floats = reference(floatX, floatCol)
      var floatUnfolded = [Float](repeating: .nan, count: col.count)
      nabla_im2col_f32(&geometry, images, imageStride, floatX, &floatUnfolded)
      #expect(mismatches(floatUnfolded, floats.unfolded) == 0, "\(label): im2col f32")
      var (floatSums, floatColumns) = (floatX, floatCol)
      nabla_col2im_f32(&geometry, images, imageStride, &floatColumns, &floatSums)
      #expect(mismatches(floatSums, floats.folded) == 0, "\(label): col2im f32")
    }
  }

  /// A 1-D convolution with a bias, forward and backward, gives the same values, bit for bit,
  /// with the short-row loops off and on (the row copies with the bias included).
  @Test func convolutionIsTheSameWithShortRowsOffAndOn() {
    defer { nabla_use_short_rows(1) }
    let x = Tensor.randomNormal([30, 4, 19], generator: RandomGenerator(seed: 5))
    let w = Tensor.randomNormal([6, 4, 3], generator: RandomGenerator(seed: 6))
    let b = Tensor.randomNormal([6], generator: RandomGenerator(seed: 7))
    func run() -> [Float] {
      let (xi, wi, bi) = (x.requiringGrad(), w.requiringGrad(), b.requiringGrad())
      let y = xi.conv1d(weight: wi, bias: bi, stride: 2, padding: 1)
      (y * y).sum().backward()
      return [Float](y) + [Float](xi.grad!) + [Float](wi.grad!) + [Float](bi.grad!)
    }
    nabla_use_short_rows(0)
    let portable = run()
    nabla_use_short_rows(1)
    #expect(mismatches(portable, run()) == 0)
  }

  /// A kernel one row high on a one-row input, padded above and strided past the padding: its
  /// single output row reads padding only, so im2col gives zeros and col2im adds nothing.
  @Test(arguments: shortRows) func paddingAboveAOneRowInputIsRead(shortRows: Bool) {
    nabla_use_short_rows(shortRows ? 1 : 0)
    defer { nabla_use_short_rows(1) }
    var geometry = NablaConvGeometry(
      channels: 2, height: 1, width: 9, kernelHeight: 1, kernelWidth: 3, strideHeight: 3,
      strideWidth: 2, dilationHeight: 1, dilationWidth: 1, padTop: 1, padLeft: 1, outHeight: 1,
      outWidth: 5, colStride: 5)
    let x = (0..<18).map { Float($0 + 1) }
    var col = [Float](repeating: .nan, count: 6 * 5)
    nabla_im2col_f32(&geometry, 1, 18, x, &col)
    #expect(col == [Float](repeating: 0, count: 30))
    var sums = x
    var ones = [Float](repeating: 1, count: 30)
    nabla_col2im_f32(&geometry, 1, 18, &ones, &sums)
    #expect(sums == x)
  }
}
