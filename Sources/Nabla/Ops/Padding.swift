// Padding of the trailing axes, as `F.pad`: with a constant, or with values taken from the
// tensor itself (its mirror image, its edge, or its other end).

/// How a padding is filled, as PyTorch's `mode` of `F.pad` and `padding_mode` of convolutions.
///
/// For a row `[1, 2, 3, 4]` padded by two on each side:
/// - `zeros`: `[0, 0, 1, 2, 3, 4, 0, 0]`;
/// - `reflect`: `[3, 2, 1, 2, 3, 4, 3, 2]` (mirrored about the edge, which is not repeated);
/// - `replicate`: `[1, 1, 1, 2, 3, 4, 4, 4]` (the edge repeated);
/// - `circular`: `[3, 4, 1, 2, 3, 4, 1, 2]` (wrapped around, as a periodic signal).
public enum PaddingMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// Zeros.
  case zeros
  /// The mirror image about the first and last element, which are not repeated.
  case reflect
  /// The first and last element, repeated.
  case replicate
  /// The other end of the axis, as if the axis wrapped around.
  case circular

  /// PyTorch's name of the mode, as in `reflect`.
  public var description: String { rawValue }

  /// Why padding an axis of `size` elements by `before` and `after` in this mode is refused,
  /// or nil when it is not.
  func problem(before: Int, after: Int, size: Int) -> String? {
    if before == 0 && after == 0 { return nil }
    let fits: Bool
    let rule: String
    switch self {
    case .zeros: (fits, rule) = (true, "")
    case .reflect: (fits, rule) = (before < size && after < size, "amounts smaller than the axis")
    case .replicate: (fits, rule) = (size > 0, "a non-empty axis")
    case .circular:
      (fits, rule) = (before <= size && after <= size, "amounts no larger than the axis")
    }
    return fits
      ? nil
      : "\(self) padding (\(before), \(after)) needs \(rule), which has size \(size)"
  }
}

extension Tensor {
  /// Pads the trailing axes with a constant: `padding[i]` gives the elements added before and
  /// after the i-th of the last `padding.count` axes; a negative amount removes elements.
  ///
  /// `F.pad(x, (left, right, top, bottom), value=v)`, whose pairs start at the last axis, is
  /// `x.padded([(top, bottom), (left, right)], value: v)`.
  ///
  /// ```swift
  /// Tensor([1, 2]).padded([(1, 2)])  // [0, 1, 2, 0, 0]
  /// Tensor([1, 2, 3]).padded([(-1, 1)], value: 9)  // [2, 3, 9]
  /// ```
  public func padded(_ padding: [(before: Int, after: Int)], value: Double = 0) -> Tensor {
    let lead = requirePadding(padding, "padded")
    // Negative amounts crop first, so that what is left is a plain constant padding.
    var source = self
    for (index, amounts) in padding.enumerated() {
      let axis = lead + index
      let start = Swift.max(0, -amounts.before)
      let end = source.shape[axis] - Swift.max(0, -amounts.after)
      if start > 0 || end < source.shape[axis] {
        source = source.narrowed(alongAxis: axis, start: start, length: end - start)
      }
    }
    let befores = [Int](repeating: 0, count: lead) + padding.map { Swift.max(0, $0.before) }
    let afters = [Int](repeating: 0, count: lead) + padding.map { Swift.max(0, $0.after) }
    if befores.allSatisfy({ $0 == 0 }) && afters.allSatisfy({ $0 == 0 }) { return source }
    let sourceShape = source.shape
    let newShape = sourceShape.indices.map { sourceShape[$0] + befores[$0] + afters[$0] }
    let result = Tensor.full(newShape, value: value, dtype: dtype)
    let strides = contiguousStrides(newShape)
    let offset = zip(befores, strides).reduce(0) { $0 + $1.0 * $1.1 }
    Tensor.copyStrided(
      from: source, offset: 0, strides: contiguousStrides(sourceShape), into: result,
      offset: offset, strides: strides, shape: sourceShape)
    return record("padded", result, [source]) { g in
      [g.materialize(shape: sourceShape, strides: strides, offset: offset)]
    }
  }

  /// Pads the trailing axes with values of the tensor itself, as `F.pad(x, pad, mode=...)`:
  /// `padding[i]` gives the elements added before and after the i-th of the last
  /// `padding.count` axes (a negative amount removes elements first, and the padding then
  /// comes from what is left).
  ///
  /// Any number of trailing axes may be padded, and a tensor needs no batch axis. `reflect`
  /// needs amounts smaller than the axis, `circular` amounts no larger than it, and `replicate`
  /// a non-empty axis. The gradient of an element is the sum over every place it was copied to.
  ///
  /// ```swift
  /// Tensor([1, 2, 3, 4]).padded([(2, 2)], mode: .reflect)  // [3, 2, 1, 2, 3, 4, 3, 2]
  /// image.padded([(1, 1), (1, 1)], mode: .replicate)  // F.pad(image, (1, 1, 1, 1), "replicate")
  /// ```
  ///
  /// - Parameters:
  ///   - padding: The (before, after) amounts of the trailing axes, the first pair for the
  ///     earliest of them.
  ///   - mode: Where the new elements come from; `.zeros` is `padded(padding, value: 0)`.
  public func padded(_ padding: [(before: Int, after: Int)], mode: PaddingMode) -> Tensor {
    if mode == .zeros { return padded(padding, value: 0) }
    let lead = requirePadding(padding, "padded")
    var result = self
    for (index, amounts) in padding.enumerated() where amounts != (0, 0) {
      let axis = lead + index
      // As PyTorch: negative amounts crop first, and the rest pads what is left.
      let first = Swift.max(0, -amounts.before)
      let size = shape[axis] - first - Swift.max(0, -amounts.after)
      let (before, after) = (Swift.max(0, amounts.before), Swift.max(0, amounts.after))
      if let problem = mode.problem(before: before, after: after, size: size) {
        stop("padded: axis \(axis) of shape \(describe(shape)): \(problem)")
      }
      let positions = (0..<(size + before + after)).map { output in
        let source = output - before
        switch mode {
        case .zeros, .replicate: return first + Swift.min(Swift.max(source, 0), size - 1)
        case .reflect:
          return first + (source < 0 ? -source : source >= size ? 2 * (size - 1) - source : source)
        case .circular: return first + ((source % size) + size) % size
        }
      }
      result = result.indexSelect(alongAxis: axis, indices: Tensor(indices: positions))
    }
    return result
  }

  /// Stops, naming `op`, unless `padding` has a pair for at most every axis and leaves no axis
  /// of negative size; returns the number of leading axes left alone.
  private func requirePadding(_ padding: [(before: Int, after: Int)], _ op: String) -> Int {
    let lead = rank - padding.count
    require(
      lead >= 0
        && padding.indices.allSatisfy {
          shape[lead + $0] + padding[$0].before + padding[$0].after >= 0
        },
      "\(op): padding \(padding.map { "(\($0.before), \($0.after))" }.joined(separator: ", ")) "
        + "does not fit shape \(describe(shape)): one (before, after) pair per trailing axis, "
        + "at most \(rank), that leaves no axis of negative size")
    return lead
  }
}
