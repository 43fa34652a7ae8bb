// Discrete Fourier transforms along an axis, as `torch.fft`: complex values are a trailing axis of
// two (real, imaginary), as `torch.view_as_real` lays them out. The transforms are linear, so each
// one's gradient is its adjoint: the transform of the opposite sign with the same scale.

import Foundation

/// Which direction of a Fourier transform is scaled, as the `norm` of `torch.fft`.
public enum FFTNormalization: String, Sendable, Hashable, CaseIterable {
  /// The inverse transform divides by n; the forward one is unscaled (PyTorch's default).
  case backward
  /// The forward transform divides by n; the inverse one is unscaled.
  case forward
  /// Both directions divide by √n, so that the transform is unitary.
  case ortho

  /// The factor of a transform of `length` points in the given direction.
  func scale(length: Int, inverse: Bool) -> Double {
    switch self {
    case .backward: inverse ? 1 / Double(length) : 1
    case .forward: inverse ? 1 : 1 / Double(length)
    case .ortho: 1 / Double(length).squareRoot()
    }
  }
}

/// What a row transform takes and gives.
private enum SpectralKind {
  /// Complex to complex, with e^(−2πi·kt/n), or e^(+2πi·kt/n) when inverse.
  case complex(inverse: Bool)
  /// Real to the n/2 + 1 non-negative frequencies, with e^(−2πi·kt/n).
  case realToComplex
  /// The n/2 + 1 non-negative frequencies of a real signal back to the signal, with e^(+2πi·kt/n).
  case complexToReal

  /// Whether the transform takes e^(+2πi·kt/n).
  var isInverse: Bool {
    switch self {
    case .complex(let inverse): inverse
    case .realToComplex: false
    case .complexToReal: true
    }
  }

  /// The shape of one transformed row of `length` points.
  func rowShape(length n: Int) -> [Int] {
    switch self {
    case .complex: [n, 2]
    case .realToComplex: [n / 2 + 1, 2]
    case .complexToReal: [n]
    }
  }
}

extension Tensor {
  /// The discrete Fourier transform along `axis`, X[k] = Σₜ x[t]·e^(−2πi·kt/n), as
  /// `torch.fft.fft`.
  ///
  /// Complex values are a trailing axis of two, (real, imaginary): a [4, 2] tensor holds four
  /// complex numbers, and `axis` counts the axes before that pair. A real signal becomes complex
  /// with ``complex(real:imaginary:)`` (or use ``rfft(count:alongAxis:normalization:)``).
  ///
  /// ```swift
  /// let x = Tensor.complex(real: Tensor([1, 2, 3, 4]), imaginary: Tensor.zeros([4]))
  /// x.fft()  // [[10, 0], [-2, 2], [-2, 0], [-2, -2]]
  /// ```
  ///
  /// - Parameters:
  ///   - count: The transform's length n: the axis is cut or padded with zeros to it. Its own
  ///     length by default.
  ///   - axis: The complex axis to transform (the last by default).
  ///   - normalization: Which direction is scaled: `.backward` (the forward transform is not).
  public func fft(
    count: Int? = nil, alongAxis axis: Int = -1, normalization: FFTNormalization = .backward
  ) -> Tensor {
    complexTransform(inverse: false, count: count, axis: axis, normalization, "fft")
  }

  /// The inverse discrete Fourier transform along `axis`, x[t] = (1/n)·Σₖ X[k]·e^(+2πi·kt/n), as
  /// `torch.fft.ifft`; complex values are a trailing axis of two.
  ///
  /// - Parameters:
  ///   - count: The transform's length n: the axis is cut or padded with zeros to it.
  ///   - axis: The complex axis to transform (the last by default).
  ///   - normalization: Which direction is scaled: `.backward` (this one, by 1/n) by default.
  public func ifft(
    count: Int? = nil, alongAxis axis: Int = -1, normalization: FFTNormalization = .backward
  ) -> Tensor {
    complexTransform(inverse: true, count: count, axis: axis, normalization, "ifft")
  }

  /// The Fourier transform of a real signal along `axis`, kept for the n/2 + 1 non-negative
  /// frequencies (the others are their conjugates), as `torch.fft.rfft`.
  ///
  /// ```swift
  /// Tensor([1, 2, 3, 4]).rfft()  // [[10, 0], [-2, 2], [-2, 0]], shape [3, 2]
  /// ```
  ///
  /// - Parameters:
  ///   - count: The transform's length n: the axis is cut or padded with zeros to it.
  ///   - axis: The real axis to transform (the last by default).
  ///   - normalization: Which direction is scaled: `.backward` (the forward transform is not).
  /// - Returns: Complex values as a trailing axis of two; the axis has n/2 + 1 entries.
  public func rfft(
    count: Int? = nil, alongAxis axis: Int = -1, normalization: FFTNormalization = .backward
  ) -> Tensor {
    requireFloatingPoint("rfft")
    return alongLastAxis(axis, pairs: false, "rfft") { rows in
      let n = count ?? rows.shape[1]
      require(n >= 1, "rfft: count \(n) must be positive")
      return rows.resized(to: n, pairs: false).spectralRows(
        .realToComplex, length: n, scale: normalization.scale(length: n, inverse: false))
    }
  }

  /// The real signal whose non-negative frequencies are given along `axis`, the inverse of
  /// ``rfft(count:alongAxis:normalization:)``, as `torch.fft.irfft`.
  ///
  /// The other frequencies are taken as the conjugates of these, and the imaginary parts of the
  /// zero frequency (and of n/2 for an even n) are ignored, as a real signal has none there.
  ///
  /// ```swift
  /// Tensor([1, 2, 3, 4]).rfft().irfft()  // [1, 2, 3, 4]
  /// ```
  ///
  /// - Parameters:
  ///   - count: The signal's length n; 2·(m − 1) for m frequencies by default. The frequencies
  ///     are cut or padded with zeros to n/2 + 1.
  ///   - axis: The complex axis of frequencies (the last by default).
  ///   - normalization: Which direction is scaled: `.backward` (this one, by 1/n) by default.
  public func irfft(
    count: Int? = nil, alongAxis axis: Int = -1, normalization: FFTNormalization = .backward
  ) -> Tensor {
    requireComplex("irfft")
    return alongLastAxis(axis, pairs: true, "irfft") { rows in
      let n = count ?? 2 * (rows.shape[1] - 1)
      require(
        n >= 1, "irfft: count \(n) must be positive (\(rows.shape[1]) frequencies were given)")
      return rows.resized(to: n / 2 + 1, pairs: true).spectralRows(
        .complexToReal, length: n, scale: normalization.scale(length: n, inverse: true))
    }
  }

  /// A complex tensor, as a trailing axis of two, from its real and imaginary parts (broadcast
  /// to one shape), as `torch.complex` followed by `torch.view_as_real`.
  public static func complex(real: Tensor, imaginary: Tensor) -> Tensor {
    let shape = broadcastShape(real.shape, imaginary.shape, op: "complex")
    return Tensor(
      stacking: [real.expanded(to: shape), imaginary.expanded(to: shape)], alongAxis: -1)
  }

  /// The magnitude |z| = √(re² + im²) of complex values (a trailing axis of two), as
  /// `torch.abs` of a complex tensor; its gradient is 0 where z is 0, as PyTorch's.
  public func complexMagnitude() -> Tensor {
    requireComplex("complexMagnitude")
    return norm(p: 2, alongAxis: -1)
  }

  /// The phase atan2(im, re) of complex values (a trailing axis of two), in (−π, π], as
  /// `torch.angle`; its gradient is 0 where z is 0.
  public func complexPhase() -> Tensor {
    requireComplex("complexPhase")
    let values = [Double](self)
    let phases = (0..<values.count / 2).map { Foundation.atan2(values[2 * $0 + 1], values[2 * $0]) }
    let result = Tensor(phases, shape: Array(shape.dropLast()), dtype: dtype)
    return record("complexPhase", result, [self]) { [self] g in
      // d/d(re) = −im/|z|², d/d(im) = re/|z|².
      let parts = detached().split(sizes: [1, 1], alongAxis: -1).map { $0.squeezed(axes: [-1]) }
      let squared = parts[0] * parts[0] + parts[1] * parts[1]
      let inverse = Tensor.where(
        squared .== 0, Tensor.zeros([], dtype: dtype),
        1 / Tensor.where(squared .== 0, Tensor.ones([], dtype: dtype), squared))
      return [Tensor(stacking: [-parts[1] * inverse * g, parts[0] * inverse * g], alongAxis: -1)]
    }
  }

  /// Stops, naming `op`, unless the tensor holds float32 or float64 complex values as a
  /// trailing axis of two.
  func requireComplex(_ op: String) {
    requireFloatingPoint(op)
    require(
      rank >= 2 && shape[rank - 1] == 2,
      "\(op): expected complex values as a trailing axis of 2 ([..., n, 2]), got shape "
        + describe(shape))
  }

  /// `fft` or `ifft`.
  private func complexTransform(
    inverse: Bool, count: Int?, axis: Int, _ normalization: FFTNormalization, _ op: String
  ) -> Tensor {
    requireComplex(op)
    return alongLastAxis(axis, pairs: true, op) { rows in
      let n = count ?? rows.shape[1]
      require(n >= 1, "\(op): count \(n) must be positive")
      return rows.resized(to: n, pairs: true).spectralRows(
        .complex(inverse: inverse), length: n,
        scale: normalization.scale(length: n, inverse: inverse))
    }
  }

  /// Runs `body` on the tensor as rows [rows, n] (or [rows, n, 2] of complex `pairs`), with
  /// `axis` (counted before the pair axis) as the row axis, and puts the axes back after.
  private func alongLastAxis(
    _ axis: Int, pairs: Bool, _ op: String, _ body: (Tensor) -> Tensor
  ) -> Tensor {
    let complexRank = pairs ? rank - 1 : rank
    require(
      complexRank >= 1, "\(op): a tensor of shape \(describe(shape)) has no axis to transform")
    let axis = normalizeAxis(axis, rank: complexRank, op: op)
    let last = complexRank - 1
    let moved = axis == last ? self : transposed(axis, last)
    let length = moved.shape[last]
    let rows = moved.shape.prefix(last).reduce(1, *)
    let result = body(moved.reshaped(pairs ? [rows, length, 2] : [rows, length]))
    let outputPairs = result.rank == 3
    var shape = Array(moved.shape.prefix(last)) + [result.shape[1]]
    if outputPairs { shape.append(2) }
    let output = result.reshaped(shape)
    return axis == last ? output : output.transposed(axis, last)
  }

  /// The rows cut or padded with zeros to `length` entries (complex when `pairs`).
  private func resized(to length: Int, pairs: Bool) -> Tensor {
    let current = shape[1]
    if length == current { return self }
    if length < current { return narrowed(alongAxis: 1, start: 0, length: length) }
    return padded(pairs ? [(0, length - current), (0, 0)] : [(0, length - current)], value: 0)
  }

  /// The transform of every row of [rows, n] (real) or [rows, m, 2] (complex), of `length`
  /// points, times `scale`.
  private func spectralRows(_ kind: SpectralKind, length n: Int, scale: Double) -> Tensor {
    let rows = shape[0]
    let half = n / 2 + 1
    let rowShape = kind.rowShape(length: n)
    let outputCount = rowShape.reduce(1, *)
    let input = [Double](self)
    let inputCount = input.count / Swift.max(rows, 1)
    var output = [Double](repeating: 0, count: rows * outputCount)
    let plan = FourierPlan(length: n)
    var work = [Double](repeating: 0, count: 2 * n)
    work.withUnsafeMutableBufferPointer { buffer in
      let work = buffer.baseAddress!
      for row in 0..<rows {
        let source = row * inputCount
        let target = row * outputCount
        switch kind {
        case .complex:
          for index in 0..<2 * n { work[index] = input[source + index] }
        case .realToComplex:
          for t in 0..<n { (work[2 * t], work[2 * t + 1]) = (input[source + t], 0) }
        case .complexToReal:
          // The full spectrum of a real signal: the given half and its conjugate mirror.
          for k in 0..<half {
            (work[2 * k], work[2 * k + 1]) = (input[source + 2 * k], input[source + 2 * k + 1])
          }
          work[1] = 0
          if n % 2 == 0 { work[2 * (n / 2) + 1] = 0 }
          for k in half..<n {
            (work[2 * k], work[2 * k + 1]) = (work[2 * (n - k)], -work[2 * (n - k) + 1])
          }
        }
        plan.transform(work, inverse: kind.isInverse)
        switch kind {
        case .complex, .realToComplex:
          for index in 0..<outputCount { output[target + index] = work[index] * scale }
        case .complexToReal:
          for t in 0..<n { output[target + t] = work[2 * t] * scale }
        }
      }
    }
    let result = Tensor(output, shape: [rows] + rowShape, dtype: dtype)
    return record("fft", result, [self]) { g in
      switch kind {
      case .complex(let inverse):
        return [g.spectralRows(.complex(inverse: !inverse), length: n, scale: scale)]
      case .realToComplex:
        // The adjoint: the inverse transform of the gradient padded with zeros, its real part.
        let full = g.padded([(0, n - half), (0, 0)], value: 0).spectralRows(
          .complex(inverse: true), length: n, scale: scale)
        return [full.narrowed(alongAxis: 2, start: 0, length: 1).reshaped([rows, n])]
      case .complexToReal:
        // Each frequency but 0 and n/2 stands for itself and its mirror, so it counts twice.
        let doubled = (0..<half).map { k in k == 0 || 2 * k == n ? 1.0 : 2.0 }
        let factors = Tensor(doubled, shape: [1, half, 1], dtype: g.dtype)
        return [g.spectralRows(.realToComplex, length: n, scale: scale) * factors]
      }
    }
  }
}
