import Foundation

extension Tensor: CustomStringConvertible {
  /// The values laid out like PyTorch's print, followed by the shape and dtype. Tensors of more
  /// than 1000 elements show the first and last three entries of each axis around `...`.
  ///
  /// ```swift
  /// print(Tensor([1, 2, 3, 4], shape: [2, 2]))
  /// // tensor([[1.0000, 2.0000],
  /// //         [3.0000, 4.0000]], shape: [2, 2], dtype: float32)
  /// ```
  public var description: String {
    let values = scalars
    let summarize = values.count > 1000
    let format = numberFormat(values)
    let strides = contiguousStrides(shape)
    var cells: [String] = []
    func visibleIndices(_ axis: Int) -> [Int?] {
      let size = shape[axis]
      guard summarize && size > 6 else { return Array(0..<size) }
      return [0, 1, 2, nil, size - 3, size - 2, size - 1]
    }
    // Render once to find the widest number, so columns line up.
    func collect(_ axis: Int, _ offset: Int) {
      if axis == rank {
        cells.append(format(values[offset]))
        return
      }
      for index in visibleIndices(axis) {
        if let index { collect(axis + 1, offset + index * strides[axis]) }
      }
    }
    collect(0, 0)
    let width = cells.map(\.count).max() ?? 0
    let indent = String(repeating: " ", count: "tensor(".count)
    func render(_ axis: Int, _ offset: Int) -> String {
      if axis == rank {
        let text = format(values[offset])
        return String(repeating: " ", count: width - text.count) + text
      }
      let parts = visibleIndices(axis).map { index in
        index.map { render(axis + 1, offset + $0 * strides[axis]) } ?? "..."
      }
      let depth = rank - axis - 1
      let separator =
        depth == 0
        ? ", "
        : "," + String(repeating: "\n", count: depth) + indent
          + String(repeating: " ", count: axis + 1)
      return "[" + parts.joined(separator: separator) + "]"
    }
    var text = "tensor(" + render(0, 0) + ", shape: \(describe(shape)), dtype: \(dtype)"
    if requiresGrad { text += ", requiresGrad: true" }
    return text + ")"
  }

  /// How to print one number: integers plainly, floats fixed or scientific by their range.
  private func numberFormat(_ values: [Double]) -> (Double) -> String {
    if dtype == .bool { return { $0 != 0 ? "True" : "False" } }
    if !dtype.isFloatingPoint { return { String(Int64($0)) } }
    let finite = values.filter { $0.isFinite && $0 != 0 }.map(Swift.abs)
    let scientific = (finite.max() ?? 0) >= 1e8 || (finite.min() ?? 1) < 1e-4
    return { value in
      if value.isNaN { return "nan" }
      if value.isInfinite { return value > 0 ? "inf" : "-inf" }
      return String(format: scientific ? "%.4e" : "%.4f", value)
    }
  }
}
