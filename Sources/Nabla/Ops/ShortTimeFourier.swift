// The short-time Fourier transform and its inverse, as `torch.stft` and `torch.istft`: frames cut
// from a signal every `hopLength` samples, each multiplied by a window and transformed; the
// inverse transforms each frame back, multiplies it by the window again, adds the overlapping
// frames up and divides by the overlap-added squared window. Both are compositions of
// differentiable ops, so their gradients come from those ops.

import CNablaKernels
import Foundation

extension Tensor {
  /// The periodic or symmetric Hann window, 0.5 − 0.5·cos(2πn/N), as `torch.hann_window`.
  ///
  /// A periodic window (the default, for spectral analysis) has N = `length`; a symmetric one
  /// (for filter design) has N = `length` − 1, so that it ends where it starts.
  ///
  /// ```swift
  /// Tensor.hannWindow(4)  // [0, 0.5, 1, 0.5]
  /// ```
  public static func hannWindow(_ length: Int, periodic: Bool = true, dtype: DType = .float32)
    -> Tensor
  {
    cosineWindow(length, periodic: periodic, [0.5, 0.5], dtype, "hannWindow")
  }

  /// The periodic or symmetric Hamming window, α − β·cos(2πn/N), as `torch.hamming_window`.
  ///
  /// - Parameters:
  ///   - length: The number of points.
  ///   - periodic: Whether N is `length` (the default) or `length` − 1.
  ///   - alpha: The constant term, 0.54 by default.
  ///   - beta: The cosine's factor, 0.46 by default.
  ///   - dtype: The element type.
  public static func hammingWindow(
    _ length: Int, periodic: Bool = true, alpha: Double = 0.54, beta: Double = 0.46,
    dtype: DType = .float32
  ) -> Tensor {
    cosineWindow(length, periodic: periodic, [alpha, beta], dtype, "hammingWindow")
  }

  /// The periodic or symmetric Blackman window, 0.42 − 0.5·cos(2πn/N) + 0.08·cos(4πn/N), as
  /// `torch.blackman_window`.
  public static func blackmanWindow(
    _ length: Int, periodic: Bool = true, dtype: DType = .float32
  ) -> Tensor {
    cosineWindow(length, periodic: periodic, [0.42, 0.5, 0.08], dtype, "blackmanWindow")
  }

  /// Σⱼ (−1)ʲ·terms[j]·cos(2πjn/N) for n < `length`; a window of one point is [1].
  private static func cosineWindow(
    _ length: Int, periodic: Bool, _ terms: [Double], _ dtype: DType, _ op: String
  ) -> Tensor {
    require(length >= 0, "\(op): length \(length) must not be negative")
    if length == 1 { return Tensor.ones([1], dtype: dtype) }
    let period = Double(periodic ? length : length - 1)
    let values = (0..<length).map { n in
      terms.enumerated().reduce(0.0) { sum, term in
        let sign: Double = term.offset % 2 == 0 ? 1 : -1
        return sum + sign * term.element * cos(2 * Double.pi * Double(term.offset * n) / period)
      }
    }
    return Tensor(values, shape: [length], dtype: dtype)
  }

  /// The windows of `size` elements every `step` elements along `axis`, as
  /// `torch.Tensor.unfold`: the axis becomes the windows' count and a new last axis holds each
  /// window. The gradient adds up over the windows an element is in.
  ///
  /// ```swift
  /// Tensor([1, 2, 3, 4, 5]).unfolded(alongAxis: 0, size: 3, step: 2)  // [[1, 2, 3], [3, 4, 5]]
  /// ```
  public func unfolded(alongAxis axis: Int, size: Int, step: Int) -> Tensor {
    let axis = normalizeAxis(axis, rank: rank, op: "unfolded")
    let length = rank == 0 ? 1 : shape[axis]
    require(
      size >= 0 && step > 0 && size <= length,
      "unfolded: windows of size \(size) every \(step) do not fit axis \(axis) of size "
        + "\(length) in shape \(describe(shape))")
    let count = (length - size) / step + 1
    let last = Swift.max(rank - 1, 0)
    let moved = axis == last ? self : transposed(axis, last)
    let positions = (0..<count).flatMap { window in (0..<size).map { window * step + $0 } }
    let windows = moved.indexSelect(alongAxis: last, indices: Tensor(indices: positions))
      .reshaped(Array(moved.shape.prefix(last)) + [count, size])
    return axis == last ? windows : windows.transposed(axis, last)
  }

  /// The overlap-add of frames [..., count, size] placed every `step` elements: a [...,
  /// (count − 1)·step + size] signal; the adjoint of `unfolded` along the last axis.
  func overlapAdded(step: Int) -> Tensor {
    let (count, size) = (shape[rank - 2], shape[rank - 1])
    let lead = Array(shape.dropLast(2))
    let outer = lead.reduce(1, *)
    let length = count == 0 ? 0 : (count - 1) * step + size
    let positions = (0..<outer).flatMap { _ in
      (0..<count).flatMap { frame in (0..<size).map { frame * step + $0 } }
    }
    let indices = Tensor(indices: positions, shape: [outer, count * size])
    let result = Tensor.zeros(lead + [length], dtype: dtype)
    func forward<Scalar: KernelScalar>(_: Scalar.Type) {
      Scalar.kernels.scatterAdd(
        outer, length, count * size, 1, data(Scalar.self), indices.i64, result.data(Scalar.self))
    }
    dtype.isSingle ? forward(Float.self) : forward(Double.self)
    return record("overlapAdded", result, [self]) { g in
      [g.unfolded(alongAxis: -1, size: size, step: step)]
    }
  }

  /// The short-time Fourier transform of a real signal [length] or batch [batch, length], as
  /// `torch.stft(..., return_complex=True)` viewed as real.
  ///
  /// Frame f holds samples f·hopLength ..< f·hopLength + nFFT (of the signal padded by nFFT/2 on
  /// each side when `center`), times the window; its transform is column f of the result.
  ///
  /// ```swift
  /// let spectrum = audio.stft(nFFT: 400, hopLength: 160, window: .hannWindow(400))
  /// spectrum.shape  // [201, frames, 2]; spectrum.complexMagnitude() is the spectrogram
  /// ```
  ///
  /// - Parameters:
  ///   - nFFT: The frame length and the transform's length.
  ///   - hopLength: The step between frames; nFFT/4 by default.
  ///   - windowLength: The window's length, at most nFFT (it is centred in the frame and padded
  ///     with zeros); `window`'s length, or nFFT, by default.
  ///   - window: The window, of `windowLength` points; all ones (rectangular) by default.
  ///   - center: Whether to pad the signal by nFFT/2 on each side, so that frame f is centred on
  ///     sample f·hopLength.
  ///   - paddingMode: How `center` pads: `.reflect` by default, as PyTorch.
  ///   - normalized: Whether to multiply by 1/√nFFT.
  ///   - onesided: Whether to keep only the nFFT/2 + 1 non-negative frequencies (the default;
  ///     the others are their conjugates) rather than all nFFT.
  /// - Returns: [frequencies, frames, 2] (or [batch, frequencies, frames, 2]): complex values
  ///   as a trailing axis of two.
  public func stft(
    nFFT: Int, hopLength: Int? = nil, windowLength: Int? = nil, window: Tensor? = nil,
    center: Bool = true, paddingMode: PaddingMode = .reflect, normalized: Bool = false,
    onesided: Bool = true
  ) -> Tensor {
    requireFloatingPoint("stft")
    require(
      rank == 1 || rank == 2,
      "stft: expected a signal [length] or a batch [batch, length], got shape \(describe(shape))")
    let hop = hopLength ?? nFFT / 4
    let frameWindow = Tensor.frameWindow(window, windowLength, nFFT, hop, dtype, "stft")
    let batch = rank == 1 ? unsqueezed(at: 0) : self
    let signal = center ? batch.padded([(nFFT / 2, nFFT / 2)], mode: paddingMode) : batch
    require(
      signal.shape[1] >= nFFT,
      "stft: a signal of shape \(describe(shape))\(center ? ", padded by nFFT/2," : "") is "
        + "shorter than nFFT = \(nFFT)")
    let frames = signal.unfolded(alongAxis: 1, size: nFFT, step: hop) * frameWindow
    let norm: FFTNormalization = normalized ? .ortho : .backward
    let spectrum =
      onesided
      ? frames.rfft(normalization: norm)
      : Tensor.complex(real: frames, imaginary: Tensor.zeros([], dtype: dtype)).fft(
        normalization: norm)
    let result = spectrum.transposed(1, 2)  // [batch, frequencies, frames, 2]
    return rank == 1 ? result.squeezed(axes: [0]) : result
  }

  /// The signal whose short-time Fourier transform this is, the inverse of
  /// ``stft(nFFT:hopLength:windowLength:window:center:paddingMode:normalized:onesided:)``, as
  /// `torch.istft`: each frame transformed back and multiplied by the window, the frames
  /// overlap-added, and the sum divided by the overlap-added squared window.
  ///
  /// ```swift
  /// let window = Tensor.hannWindow(400)
  /// let spectrum = audio.stft(nFFT: 400, hopLength: 100, window: window)
  /// spectrum.istft(nFFT: 400, hopLength: 100, window: window, length: audio.shape[0])  // audio
  /// ```
  ///
  /// - Parameters:
  ///   - nFFT: The frame length and the transform's length.
  ///   - hopLength: The step between frames; nFFT/4 by default.
  ///   - windowLength: The window's length, at most nFFT; `window`'s length, or nFFT, by
  ///     default.
  ///   - window: The analysis window; all ones by default. Its overlap-added square must not
  ///     vanish anywhere in the result.
  ///   - center: Whether the transform's signal was padded by nFFT/2 on each side (then the
  ///     padding is removed).
  ///   - normalized: Whether the transform was multiplied by 1/√nFFT.
  ///   - onesided: Whether the input holds nFFT/2 + 1 frequencies rather than nFFT; told by the
  ///     input's size by default.
  ///   - length: The length of the signal to return, cut or padded with zeros at the end; all
  ///     that the frames cover by default.
  /// - Returns: [length] (or [batch, length]) real samples.
  public func istft(
    nFFT: Int, hopLength: Int? = nil, windowLength: Int? = nil, window: Tensor? = nil,
    center: Bool = true, normalized: Bool = false, onesided: Bool? = nil, length: Int? = nil
  ) -> Tensor {
    requireComplex("istft")
    require(
      rank == 3 || rank == 4,
      "istft: expected [frequencies, frames, 2] or [batch, frequencies, frames, 2], got shape "
        + describe(shape))
    let batch = rank == 3 ? unsqueezed(at: 0) : self
    let (frequencies, count) = (batch.shape[1], batch.shape[2])
    let isOnesided = onesided ?? (frequencies != nFFT)
    require(
      frequencies == (isOnesided ? nFFT / 2 + 1 : nFFT),
      "istft: \(frequencies) frequencies in shape \(describe(shape)) do not fit nFFT = \(nFFT) "
        + "(\(isOnesided ? "one-sided: nFFT/2 + 1" : "two-sided: nFFT") expected)")
    require(count > 0, "istft: shape \(describe(shape)) has no frames")
    let hop = hopLength ?? nFFT / 4
    let frameWindow = Tensor.frameWindow(window, windowLength, nFFT, hop, dtype, "istft")
    let half = isOnesided ? batch : batch.narrowed(alongAxis: 1, start: 0, length: nFFT / 2 + 1)
    let frames =
      half.irfft(
        count: nFFT, alongAxis: 1, normalization: normalized ? .ortho : .backward
      ).transposed(1, 2) * frameWindow  // [batch, frames, nFFT]
    let signal = frames.overlapAdded(step: hop)
    let envelope = (frameWindow * frameWindow).expanded(to: [count, nFFT]).overlapAdded(step: hop)
    let covered = signal.shape[1]
    let start = center ? nFFT / 2 : 0
    let end = length.map { start + $0 } ?? (center ? covered - nFFT / 2 : covered)
    let kept = Swift.max(0, Swift.min(end, covered) - start)
    let cut = envelope.narrowed(alongAxis: 0, start: Swift.min(start, covered), length: kept)
    if let smallest = [Double](cut).map(Swift.abs).min(), smallest < 1e-11 {
      stop(
        "istft: the overlap-added squared window falls to \(smallest) (below 1e-11) inside the "
          + "signal, so it cannot be divided out: use a window and hopLength that overlap "
          + "(nFFT = \(nFFT), hopLength = \(hop))")
    }
    var result = signal.narrowed(alongAxis: 1, start: Swift.min(start, covered), length: kept) / cut
    if end - start > kept { result = result.padded([(0, end - start - kept)], value: 0) }
    return rank == 3 ? result.squeezed(axes: [0]) : result
  }

  /// The window of an STFT frame: `window` (ones of `windowLength`, or of nFFT, by default),
  /// centred in nFFT points with zeros on both sides; stops naming `op` when it does not fit.
  private static func frameWindow(
    _ window: Tensor?, _ windowLength: Int?, _ nFFT: Int, _ hop: Int, _ dtype: DType,
    _ op: String
  ) -> Tensor {
    require(nFFT > 0 && hop > 0, "\(op): nFFT \(nFFT) and hopLength \(hop) must be positive")
    let length = windowLength ?? window?.shape.first ?? nFFT
    require(
      length > 0 && length <= nFFT,
      "\(op): windowLength \(length) must lie in 1...nFFT = \(nFFT)")
    let window = window ?? Tensor.ones([length], dtype: dtype)
    require(
      window.shape == [length] && window.dtype == dtype,
      "\(op): the window must be a \(dtype) vector of windowLength = \(length) points, got "
        + "\(window.dtype) of shape \(describe(window.shape))")
    let left = (nFFT - length) / 2
    return window.padded([(left, nFFT - length - left)], value: 0)
  }
}
