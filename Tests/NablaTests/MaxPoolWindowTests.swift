import NablaTestSupport
import Testing

@testable import Nabla

/// Max pooling of many window shapes against a direct loop over each window: values and
/// positions, with ties and NaNs (the first maximum, or the first NaN, of a window in row order
/// wins), for the rows of whole, evenly spaced windows and the partial ones at the edges.
@Suite struct MaxPoolWindowTests {
  static let settings: [(kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D)] = [
    (3, 2, 1, 1), (3, 1, 1, 1), (2, 2, 0, 1), (3, Size2D(2, 3), Size2D(1, 0), 1),
    (Size2D(2, 3), 1, 0, 2), (3, 3, 1, 1), (1, 2, 0, 1),
  ]

  /// The definition: each window's taps in row order, keeping the first maximum or first NaN.
  private func reference(
    _ x: [Float], height: Int, width: Int,
    _ s: (kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D),
    ceilMode: Bool
  ) -> (values: [Float], positions: [Int64], outHeight: Int, outWidth: Int) {
    func outSize(_ size: Int, _ k: Int, _ stride: Int, _ pad: Int, _ dilation: Int) -> Int {
      let span = dilation * (k - 1) + 1
      var out = (size + 2 * pad - span + (ceilMode ? stride - 1 : 0)) / stride + 1
      if ceilMode && (out - 1) * stride >= size + pad { out -= 1 }
      return out
    }
    let oh = outSize(height, s.kernel.height, s.stride.height, s.padding.height, s.dilation.height)
    let ow = outSize(width, s.kernel.width, s.stride.width, s.padding.width, s.dilation.width)
    var values: [Float] = []
    var positions: [Int64] = []
    for oy in 0..<oh {
      for ox in 0..<ow {
        var best = -Float.infinity
        var at = -1
        for i in 0..<s.kernel.height {
          for j in 0..<s.kernel.width {
            let y = oy * s.stride.height - s.padding.height + i * s.dilation.height
            let x0 = ox * s.stride.width - s.padding.width + j * s.dilation.width
            guard y >= 0 && y < height && x0 >= 0 && x0 < width else { continue }
            let v = x[y * width + x0]
            if at < 0 || v > best || (v.isNaN && !best.isNaN) { (best, at) = (v, y * width + x0) }
          }
        }
        values.append(best)
        positions.append(Int64(at))
      }
    }
    return (values, positions, oh, ow)
  }

  @Test(arguments: settings, [false, true])
  func matchesTheDefinition(
    _ setting: (kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D), ceilMode: Bool
  ) {
    let (height, width) = (13, 17)
    let random = RandomGenerator(seed: 21).uniformDoubles(2 * height * width)
    // Few distinct values, so that windows tie, and a NaN now and then (some windows hold two).
    let x = random.enumerated().map { index, r -> Float in
      index % 23 == 5 || index % 31 == 7 ? .nan : Float(Int(r * 4))
    }
    let (output, indices) = Tensor(
      x.map(Double.init), shape: [2, 1, height, width], dtype: .float32
    )
    .maxPool2dWithIndices(
      kernelSize: setting.kernel, stride: setting.stride, padding: setting.padding,
      dilation: setting.dilation, ceilMode: ceilMode)
    let plane = height * width
    for image in 0..<2 {
      let expected = reference(
        Array(x[image * plane..<(image + 1) * plane]), height: height, width: width, setting,
        ceilMode: ceilMode)
      #expect(output.shape == [2, 1, expected.outHeight, expected.outWidth], "\(setting)")
      let count = expected.values.count
      let values = Array([Float](output)[image * count..<(image + 1) * count])
      let positions = [Int](indices)[image * count..<(image + 1) * count].map(Int64.init)
      let sameValues = zip(values, expected.values).allSatisfy {
        $0 == $1 || ($0.isNaN && $1.isNaN)
      }
      #expect(sameValues, "\(setting) ceilMode \(ceilMode): values")
      #expect(positions == expected.positions, "\(setting) ceilMode \(ceilMode): positions")
    }
  }
}
