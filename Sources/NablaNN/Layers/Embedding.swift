import Foundation

// Lookup tables and position information for sequence models: `Embedding` (a learned table of
// vectors indexed by token), the fixed sinusoidal encoding of "Attention is all you need", and a
// learned positional embedding.

/// A table of `count` learned vectors of `dimension` numbers, looked up by int64 index, as
/// `torch.nn.Embedding`.
///
/// The weight is [count, dimension], initialized from N(0, 1) with the padding row (if any)
/// zeroed, as PyTorch. Looking up a tensor of indices of shape S gives a tensor of shape
/// S + [dimension]; it is the same as multiplying one-hot rows by the weight.
///
/// ```swift
/// let embedding = Embedding(10, 4, paddingIndex: 0)
/// let vectors = embedding(Tensor(indices: [3, 0, 7], shape: [1, 3]))  // [1, 3, 4]
/// ```
public final class Embedding: Module, @unchecked Sendable {
  /// The table of vectors, [count, dimension].
  public let weight: Parameter
  /// The row that gets no gradient (the vector of a padding token), already made non-negative.
  public let paddingIndex: Int?
  /// When set, looked-up rows whose norm exceeds it are rescaled in place to this norm.
  public let maxNorm: Double?
  /// The p of the p-norm `maxNorm` compares against (2 by default).
  public let normType: Double

  /// Creates a table of `count` vectors of `dimension` numbers.
  ///
  /// - Parameters:
  ///   - count: The number of entries (the vocabulary size).
  ///   - dimension: The length of each vector.
  ///   - paddingIndex: An index whose row is initialized to zeros and never receives a
  ///     gradient; negative values count from the end, as PyTorch's `padding_idx`.
  ///   - maxNorm: If given, each looked-up row whose `normType`-norm exceeds it is rescaled, in
  ///     the weight itself, to norm `maxNorm` before use (as PyTorch's `max_norm`).
  ///   - normType: The p of that norm.
  ///   - dtype: The weight's element type.
  ///   - generator: The source of the initial values; the global one by default.
  public init(
    _ count: Int, _ dimension: Int, paddingIndex: Int? = nil, maxNorm: Double? = nil,
    normType: Double = 2, dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    require(
      count > 0 && dimension > 0,
      "Embedding: count and dimension must be positive, got \(count) and \(dimension)")
    if let paddingIndex {
      require(
        paddingIndex >= -count && paddingIndex < count,
        "Embedding(\(count), \(dimension)): paddingIndex \(paddingIndex) is out of range for "
          + "\(count) entries")
    }
    if let maxNorm { require(maxNorm > 0, "Embedding: maxNorm \(maxNorm) must be positive") }
    let padding = paddingIndex.map { $0 < 0 ? $0 + count : $0 }
    var table = Tensor.randomNormal([count, dimension], dtype: dtype, generator: generator)
    if let padding {
      table = table * Embedding.rowMask(count, padding, dtype: dtype, keep: false)
    }
    weight = Parameter(table)
    self.paddingIndex = padding
    self.maxNorm = maxNorm
    self.normType = normType
  }

  /// A [count, 1] column of ones with a zero at `row` (or the reverse when `keep` is true).
  private static func rowMask(_ count: Int, _ row: Int, dtype: DType, keep: Bool) -> Tensor {
    var values = [Double](repeating: keep ? 0 : 1, count: count)
    values[row] = keep ? 1 : 0
    return Tensor(values, shape: [count, 1], dtype: dtype)
  }

  /// The number of entries.
  public var count: Int { weight.value.shape[0] }
  /// The length of each vector.
  public var dimension: Int { weight.value.shape[1] }

  /// PyTorch's text for the layer: the table's size, then the options that are set, as in
  /// `100, 32, padding_idx=0, max_norm=1.0`.
  public override var extraDescription: String {
    var text = "\(count), \(dimension)"
    if let paddingIndex { text += ", padding_idx=\(paddingIndex)" }
    if let maxNorm { text += ", max_norm=\(pythonRepr(maxNorm))" }
    if normType != 2 { text += ", norm_type=\(pythonRepr(normType))" }
    return text
  }

  /// The vectors of the int64 `input` indices: shape `input.shape + [dimension]`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      require(
        input.dtype == .int64,
        "Embedding(\(count), \(dimension)): indices must be int64, got \(input.dtype) of shape "
          + "\(describe(input.shape))")
      let indices = [Int](input)
      for index in indices where index < 0 || index >= count {
        stop(
          "Embedding(\(count), \(dimension)): index \(index) is out of range 0..<\(count) in "
            + "indices of shape \(describe(input.shape))")
      }
      if let maxNorm { renormalize(rows: Set(indices), maxNorm: maxNorm) }
      let rows = weight.value.indexSelect(alongAxis: 0, indices: Tensor(indices: indices))
      var output = rows
      if let paddingIndex, indices.contains(paddingIndex) {
        // Rows looked up at the padding index pass their values but no gradient.
        let isPadding = Tensor(
          indices.map { $0 == paddingIndex ? 1.0 : 0.0 }, shape: [indices.count, 1],
          dtype: rows.dtype)
        output = Tensor.where(isPadding, rows.detached(), rows)
      }
      return output.reshaped(input.shape + [dimension])
    }
  }

  /// Rescales, in the weight, each of `rows` whose norm exceeds `maxNorm` to norm `maxNorm`
  /// (scale maxNorm / (norm + 1e-7), as PyTorch's `embedding_renorm_`).
  private func renormalize(rows: Set<Int>, maxNorm: Double) {
    if weight.value.dtype == .float32 {
      renormalize(rows: rows, maxNorm: maxNorm, as: Float.self)
    } else {
      renormalize(rows: rows, maxNorm: maxNorm, as: Double.self)
    }
  }

  private func renormalize<Element: BinaryFloatingPoint>(
    rows: Set<Int>, maxNorm: Double, as type: Element.Type
  ) {
    let (dimension, p) = (dimension, normType)
    weight.value.withUnsafeMutableBufferPointer(as: Element.self) { table in
      for row in rows {
        let entries = (row * dimension)..<((row + 1) * dimension)
        let sum = entries.reduce(0.0) { $0 + Foundation.pow(Swift.abs(Double(table[$1])), p) }
        let norm = Foundation.pow(sum, 1 / p)
        guard norm > maxNorm else { continue }
        let scale = maxNorm / (norm + 1e-7)
        for entry in entries { table[entry] = Element(Double(table[entry]) * scale) }
      }
    }
  }
}

/// The fixed sinusoidal position encoding of "Attention is all you need": a [length, dimension]
/// table with PE[p, 2i] = sin(p / base^(2i/dimension)) and PE[p, 2i+1] = cos(p / base^(2i/dimension)).
///
/// ```swift
/// let table = sinusoidalPositionalEncoding(length: 50, dimension: 16)  // [50, 16]
/// ```
///
/// - Parameters:
///   - length: The number of positions.
///   - dimension: The size of each position's vector (an odd size drops the last cosine).
///   - base: The longest wavelength divided by 2π; 10000 in the paper.
///   - dtype: The element type.
public func sinusoidalPositionalEncoding(
  length: Int, dimension: Int, base: Double = 10000, dtype: DType = .float32
) -> Tensor {
  require(
    length >= 0 && dimension > 0,
    "sinusoidalPositionalEncoding: length \(length) and dimension \(dimension) must be positive")
  var values = [Double](repeating: 0, count: length * dimension)
  for position in 0..<length {
    for column in 0..<dimension {
      let pair = Double(column / 2 * 2)
      let angle = Double(position) / Foundation.pow(base, pair / Double(dimension))
      values[position * dimension + column] =
        column % 2 == 0 ? Foundation.sin(angle) : Foundation.cos(angle)
    }
  }
  return Tensor(values, shape: [length, dimension], dtype: dtype)
}

/// Adds the fixed sinusoidal position encoding to a sequence: an input [..., length, dimension]
/// gets row p of `sinusoidalPositionalEncoding` added at position p. It has no parameters and
/// nothing in the state dict.
///
/// ```swift
/// let encode = SinusoidalPositionalEncoding(dimension: 64, maxLength: 512)
/// let x = encode(embedding(tokens))  // tokens [batch, length]
/// ```
public final class SinusoidalPositionalEncoding: Module, @unchecked Sendable {
  /// The precomputed table, [maxLength, dimension].
  public let table: Tensor

  /// Creates the encoding for sequences of up to `maxLength` positions.
  public init(dimension: Int, maxLength: Int = 5000, base: Double = 10000) {
    table = sinusoidalPositionalEncoding(length: maxLength, dimension: dimension, base: base)
  }

  /// The table's size, in the style of PyTorch's texts: `max_length=5000, dimension=64`.
  public override var extraDescription: String {
    "max_length=\(table.shape[0]), dimension=\(table.shape[1])"
  }

  /// `input` [..., length, dimension] plus the first `length` rows of the table.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input + positionRows(table, input, "SinusoidalPositionalEncoding").converted(to: input.dtype)
    }
  }
}

/// A learned vector per position, added to a sequence, as the position embeddings of BERT and
/// GPT-2 (an `nn.Embedding` indexed by position): an input [..., length, dimension] gets row p of
/// `weight` added at position p.
///
/// ```swift
/// let positions = LearnedPositionalEmbedding(maxLength: 128, dimension: 64)
/// let x = positions(embedding(tokens))
/// ```
public final class LearnedPositionalEmbedding: Module, @unchecked Sendable {
  /// One vector per position, [maxLength, dimension], initialized from N(0, 1) as `Embedding`.
  public let weight: Parameter

  /// Creates a table for sequences of up to `maxLength` positions.
  public init(
    maxLength: Int, dimension: Int, dtype: DType = .float32, generator: RandomGenerator = .global
  ) {
    require(
      maxLength > 0 && dimension > 0,
      "LearnedPositionalEmbedding: maxLength \(maxLength) and dimension \(dimension) must be "
        + "positive")
    weight = Parameter(
      Tensor.randomNormal([maxLength, dimension], dtype: dtype, generator: generator))
  }

  /// The table's size, in the style of PyTorch's texts: `max_length=512, dimension=64`.
  public override var extraDescription: String {
    "max_length=\(weight.value.shape[0]), dimension=\(weight.value.shape[1])"
  }

  /// `input` [..., length, dimension] plus the first `length` rows of `weight`.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      input + positionRows(weight.value, input, "LearnedPositionalEmbedding")
    }
  }
}

/// The first `length` rows of a [maxLength, dimension] table for an input [..., length, dimension].
private func positionRows(_ table: Tensor, _ input: Tensor, _ name: String) -> Tensor {
  let (maxLength, dimension) = (table.shape[0], table.shape[1])
  require(
    input.rank >= 2 && input.shape[input.rank - 1] == dimension
      && input.shape[input.rank - 2] <= maxLength,
    "\(name)(maxLength: \(maxLength), dimension: \(dimension)): input of shape "
      + "\(describe(input.shape)) is not [..., length <= \(maxLength), \(dimension)]")
  return table.narrowed(alongAxis: 0, start: 0, length: input.shape[input.rank - 2])
}
