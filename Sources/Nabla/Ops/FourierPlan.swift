// The discrete Fourier transform of complex rows in O(n log n): an iterative radix-2 transform for
// lengths that are powers of two, and Bluestein's chirp-z form for every other length, which
// writes the transform as a convolution and computes that with a radix-2 transform of at least
// twice the length.

import Foundation

/// A DFT of one length, X[k] = Σₜ x[t]·e^(−2πi·kt/n), on interleaved (real, imaginary) doubles.
struct FourierPlan {
  /// The number of complex points.
  let length: Int
  /// e^(−2πi·j/n) for j < n/2, interleaved, when the length is a power of two.
  private let twiddles: [Double]
  /// For other lengths: the chirp e^(−πi·k²/n) for k < n, interleaved.
  private let chirp: [Double]
  /// For other lengths: the radix-2 plan of the convolution's length.
  private let convolution: Box?
  /// For other lengths: the transform of the chirp's conjugate, laid out for the convolution.
  private let chirpSpectrum: [Double]

  /// A reference, so that the plan can hold the plan of its convolution.
  private final class Box {
    let plan: FourierPlan
    init(_ plan: FourierPlan) { self.plan = plan }
  }

  /// Plans transforms of `length` (at least 1) complex points.
  init(length: Int) {
    precondition(length >= 1)
    self.length = length
    if length & (length - 1) == 0 {
      twiddles = (0..<length / 2).flatMap { j -> [Double] in
        let angle = -2 * Double.pi * Double(j) / Double(length)
        return [cos(angle), sin(angle)]
      }
      (chirp, convolution, chirpSpectrum) = ([], nil, [])
      return
    }
    twiddles = []
    // k² is taken modulo 2n so that the angle stays small and exact.
    chirp = (0..<length).flatMap { k -> [Double] in
      let angle = -Double.pi * Double((k * k) % (2 * length)) / Double(length)
      return [cos(angle), sin(angle)]
    }
    var size = 1
    while size < 2 * length - 1 { size *= 2 }
    let inner = FourierPlan(length: size)
    // The filter conj(chirp[|j|]) for j in −(n−1)...(n−1), wrapped around the convolution.
    var filter = [Double](repeating: 0, count: 2 * size)
    for k in 0..<length {
      for position in Set([k, (size - k) % size]) {
        filter[2 * position] = chirp[2 * k]
        filter[2 * position + 1] = -chirp[2 * k + 1]
      }
    }
    filter.withUnsafeMutableBufferPointer { inner.forward($0.baseAddress!) }
    (convolution, chirpSpectrum) = (Box(inner), filter)
  }

  /// Transforms `length` interleaved complex values in place: with e^(−2πi·kt/n), or with
  /// e^(+2πi·kt/n) when `inverse` (unscaled either way).
  func transform(_ data: UnsafeMutablePointer<Double>, inverse: Bool) {
    // The inverse is the conjugate of the forward transform of the conjugate.
    if inverse { for k in 0..<length { data[2 * k + 1].negate() } }
    forward(data)
    if inverse { for k in 0..<length { data[2 * k + 1].negate() } }
  }

  /// The forward transform, in place.
  private func forward(_ data: UnsafeMutablePointer<Double>) {
    if let convolution { bluestein(data, convolution.plan) } else { radix2(data) }
  }

  /// The iterative radix-2 transform: the bit-reversal permutation, then log₂ n passes of
  /// butterflies.
  private func radix2(_ data: UnsafeMutablePointer<Double>) {
    let n = length
    var j = 0
    for i in 1..<n {
      var bit = n >> 1
      while j & bit != 0 {
        j ^= bit
        bit >>= 1
      }
      j |= bit
      if i < j {
        swap(&data[2 * i], &data[2 * j])
        swap(&data[2 * i + 1], &data[2 * j + 1])
      }
    }
    var half = 1
    while half < n {
      let step = n / (2 * half)
      for start in stride(from: 0, to: n, by: 2 * half) {
        for k in 0..<half {
          let (wr, wi) = (twiddles[2 * k * step], twiddles[2 * k * step + 1])
          let (a, b) = (2 * (start + k), 2 * (start + k + half))
          let (br, bi) = (data[b] * wr - data[b + 1] * wi, data[b] * wi + data[b + 1] * wr)
          let (ar, ai) = (data[a], data[a + 1])
          (data[a], data[a + 1]) = (ar + br, ai + bi)
          (data[b], data[b + 1]) = (ar - br, ai - bi)
        }
      }
      half *= 2
    }
  }

  /// Bluestein's form: X[k] = w[k]·Σₜ (x[t]·w[t])·conj(w[k − t]) with w[k] = e^(−πi·k²/n), a
  /// convolution computed by the radix-2 plan `inner`.
  private func bluestein(_ data: UnsafeMutablePointer<Double>, _ inner: FourierPlan) {
    let size = inner.length
    var work = [Double](repeating: 0, count: 2 * size)
    for k in 0..<length {
      let (xr, xi, wr, wi) = (data[2 * k], data[2 * k + 1], chirp[2 * k], chirp[2 * k + 1])
      work[2 * k] = xr * wr - xi * wi
      work[2 * k + 1] = xr * wi + xi * wr
    }
    work.withUnsafeMutableBufferPointer { buffer in
      let work = buffer.baseAddress!
      inner.forward(work)
      for k in 0..<size {
        let (ar, ai, br, bi) = (
          work[2 * k], work[2 * k + 1], chirpSpectrum[2 * k], chirpSpectrum[2 * k + 1]
        )
        work[2 * k] = ar * br - ai * bi
        work[2 * k + 1] = ar * bi + ai * br
      }
      inner.transform(work, inverse: true)
      let scale = 1 / Double(size)
      for k in 0..<length {
        let (yr, yi, wr, wi) = (
          work[2 * k] * scale, work[2 * k + 1] * scale, chirp[2 * k], chirp[2 * k + 1]
        )
        data[2 * k] = yr * wr - yi * wi
        data[2 * k + 1] = yr * wi + yi * wr
      }
    }
  }
}
