// One-dimensional convolution and cross-correlation of signals, as NumPy's `convolve` and
// `correlate` define them. Both are a `conv1d` of one channel with full padding, cut to the mode's
// length, so gradients flow to both operands.

/// Which part of a signal convolution or correlation to return, as NumPy's `mode`.
public enum SignalMode: String, Sendable, CaseIterable {
  /// Every position where the two signals overlap at all: length n + m − 1.
  case full
  /// The length of the longer signal, centred on the full result.
  case same
  /// Only positions where the shorter signal lies wholly inside the longer: length
  /// max(n, m) − min(n, m) + 1.
  case valid
}

/// The discrete convolution of two 1-D signals, (a ∗ v)[k] = Σⱼ a[j]·v[k − j], as NumPy's
/// `convolve` (the kernel is flipped; the operands may be swapped).
///
/// ```swift
/// convolve(Tensor([1, 2, 3, 4]), Tensor([5, 6, 7]))  // [5, 16, 34, 52, 45, 28]
/// ```
///
/// - Parameters:
///   - a: The first signal, 1-D.
///   - v: The second signal, 1-D.
///   - mode: `.full` (the default), `.same` or `.valid`.
public func convolve(_ a: Tensor, _ v: Tensor, mode: SignalMode = .full) -> Tensor {
  requireSignals(a, v, "convolve")
  let (long, short) = v.scalarCount > a.scalarCount ? (v, a) : (a, v)
  return correlateOrdered(long, reversedSignal(short), mode: mode)
}

/// The cross-correlation of two 1-D signals, c[k] = Σₙ a[n + k]·v[n], as NumPy's `correlate`
/// (no flip; when v is the longer signal the result is reversed, as NumPy does).
///
/// ```swift
/// correlate(Tensor([1, 2, 3, 4]), Tensor([5, 6, 7]))  // valid: [38, 56]
/// ```
///
/// - Parameters:
///   - a: The first signal, 1-D.
///   - v: The second signal, 1-D.
///   - mode: `.valid` (the default), `.same` or `.full`.
public func correlate(_ a: Tensor, _ v: Tensor, mode: SignalMode = .valid) -> Tensor {
  requireSignals(a, v, "correlate")
  if v.scalarCount > a.scalarCount {
    return reversedSignal(correlateOrdered(v, a, mode: mode))
  }
  return correlateOrdered(a, v, mode: mode)
}

private func requireSignals(_ a: Tensor, _ v: Tensor, _ name: String) {
  require(
    a.rank == 1 && v.rank == 1 && a.scalarCount > 0 && v.scalarCount > 0,
    "\(name): expected two non-empty 1-D signals, got shapes \(describe(a.shape)) and "
      + "\(describe(v.shape))")
}

/// The signal in reverse order.
private func reversedSignal(_ x: Tensor) -> Tensor {
  x.indexSelect(alongAxis: 0, indices: Tensor(indices: Array((0..<x.scalarCount).reversed())))
}

/// The correlation of `a` with a kernel `v` no longer than it, cut to `mode` as NumPy cuts it.
private func correlateOrdered(_ a: Tensor, _ v: Tensor, mode: SignalMode) -> Tensor {
  let (n, m) = (a.scalarCount, v.scalarCount)
  let full = a.reshaped([1, 1, n]).conv1d(weight: v.reshaped([1, 1, m]), padding: [m - 1])
    .reshaped([n + m - 1])
  switch mode {
  case .full: return full
  case .same: return full.narrowed(alongAxis: 0, start: m - 1 - m / 2, length: n)
  case .valid: return full.narrowed(alongAxis: 0, start: m - 1, length: n - m + 1)
  }
}
