import CNablaKernels

extension Tensor {
  /// A tensor of zeros.
  ///
  /// ```swift
  /// let z = Tensor.zeros([2, 3])
  /// ```
  public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
    Tensor(empty: shape, dtype: dtype, zeroed: true)
  }

  /// A tensor of ones.
  public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor {
    full(shape, value: 1, dtype: dtype)
  }

  /// A tensor whose every element is `value`.
  public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) -> Tensor {
    var result = Tensor(empty: shape, dtype: dtype)
    result.fill(with: value)
    return result
  }

  /// A tensor of zeros with the shape and dtype of `other`.
  public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, dtype: other.dtype) }

  /// A tensor of ones with the shape and dtype of `other`.
  public static func ones(like other: Tensor) -> Tensor { ones(other.shape, dtype: other.dtype) }

  mutating func fill(with value: Double) {
    let count = scalarCount
    switch dtype {
    case .float32: data(Float.self).update(repeating: Float(value), count: count)
    case .float64: data(Double.self).update(repeating: value, count: count)
    default:
      guard count > 0 else { return }
      let width = dtype.byteCount
      var element = value
      nabla_convert(1, DType.float64.kernelCode, &element, dtype.kernelCode, storage.data)
      for index in 1..<count {
        (storage.data + index * width).copyMemory(from: storage.data, byteCount: width)
      }
    }
  }

  /// Values from `start` up to, not including, `end`, `step` apart, as `torch.arange`.
  ///
  /// ```swift
  /// Tensor.arange(0, 5)  // [0, 1, 2, 3, 4]
  /// ```
  public static func arange(
    _ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32
  ) -> Tensor {
    require(
      step != 0 && (end - start) / step >= 0,
      "arange: cannot go from \(start) to \(end) in steps of \(step)")
    let count = Int(((end - start) / step).rounded(.up))
    return Tensor((0..<count).map { start + Double($0) * step }, dtype: dtype)
  }

  /// `count` evenly spaced values from `start` to `end`, both included, as `torch.linspace`.
  public static func linspace(
    _ start: Double, _ end: Double, count: Int, dtype: DType = .float32
  ) -> Tensor {
    require(count >= 0, "linspace: count \(count) is negative")
    let step = count > 1 ? (end - start) / Double(count - 1) : 0
    return Tensor(
      (0..<count).map { $0 == count - 1 && count > 1 ? end : start + Double($0) * step },
      dtype: dtype)
  }

  /// The `n` x `n` identity matrix (or `n` x `columns`, ones on the main diagonal).
  public static func eye(_ n: Int, columns: Int? = nil, dtype: DType = .float32) -> Tensor {
    let columns = columns ?? n
    var values = [Double](repeating: 0, count: n * columns)
    for i in 0..<Swift.min(n, columns) { values[i * columns + i] = 1 }
    return Tensor(values, shape: [n, columns], dtype: dtype)
  }

  /// Numbers drawn uniformly from `[low, high)`, element after element as PyTorch's `uniform_`
  /// draws them on the CPU (with the same seed, the same values).
  ///
  /// - Parameters:
  ///   - shape: The shape of the result.
  ///   - low: The smallest value that can be drawn.
  ///   - high: The bound the values stay below.
  ///   - dtype: The element type of the result.
  ///   - generator: The source of randomness; the global one by default.
  public static func randomUniform(
    _ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    let count = shape.reduce(1, *)
    if dtype == .float32 {  // bounds and width in float, the rest in double, as PyTorch
      let (from, to) = (Float(low), Float(high))
      let width = Double(to - from)
      let values = generator.uniformSingles(count).map { Double(Float($0 * width + Double(from))) }
      return Tensor(values, shape: shape, dtype: dtype)
    }
    let values = generator.uniformDoubles(count).map { $0 * (high - low) + low }
    return Tensor(values, shape: shape, dtype: dtype)
  }

  /// Numbers drawn from a normal distribution.
  ///
  /// - Parameters:
  ///   - shape: The shape of the result.
  ///   - mean: The mean of the distribution.
  ///   - standardDeviation: The standard deviation of the distribution.
  ///   - dtype: The element type of the result.
  ///   - generator: The source of randomness; the global one by default.
  public static func randomNormal(
    _ shape: [Int], mean: Double = 0, standardDeviation: Double = 1, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    let count = shape.reduce(1, *)
    let values = generator.normalDoubles(count).map { mean + standardDeviation * $0 }
    return Tensor(values, shape: shape, dtype: dtype)
  }

  /// Ones with probability `probability` and zeros otherwise, as a mask of the given dtype.
  ///
  /// - Parameters:
  ///   - shape: The shape of the result.
  ///   - probability: The probability of each element being one.
  ///   - dtype: The element type of the result.
  ///   - generator: The source of randomness; the global one by default.
  public static func randomBernoulli(
    _ shape: [Int], probability: Double, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    require(
      probability >= 0 && probability <= 1,
      "randomBernoulli: probability \(probability) is outside [0, 1]")
    let count = shape.reduce(1, *)
    // One 32-bit draw per element: 24 bits of resolution are plenty to compare with.
    let values = generator.uniformSingles(count).map { $0 < probability ? 1.0 : 0.0 }
    return Tensor(values, shape: shape, dtype: dtype)
  }
}
