/// The activation that follows a layer, which decides the gain of the Xavier and Kaiming
/// initializations (the names of `torch.nn.init.calculate_gain`).
public enum Nonlinearity: String, Sendable, CaseIterable {
  /// No activation; gain 1.
  case linear
  /// A 1-D convolution; gain 1.
  case conv1d
  /// A 2-D convolution; gain 1.
  case conv2d
  /// A 3-D convolution; gain 1.
  case conv3d
  /// A 1-D transposed convolution; gain 1.
  case convTranspose1d
  /// A 2-D transposed convolution; gain 1.
  case convTranspose2d
  /// A 3-D transposed convolution; gain 1.
  case convTranspose3d
  /// The logistic sigmoid; gain 1.
  case sigmoid
  /// The hyperbolic tangent; gain 5/3.
  case tanh
  /// The rectifier; gain √2.
  case relu
  /// The leaky rectifier with negative slope `parameter` (0.01 when nil); gain √(2/(1 + slope²)).
  case leakyReLU
  /// The scaled exponential linear unit; gain 3/4.
  case selu
}

/// Which dimension of a weight the Kaiming initializations keep the variance of.
public enum FanMode: Sendable {
  /// The number of inputs feeding each output (preserves the forward pass's variance).
  case fanIn
  /// The number of outputs each input feeds (preserves the backward pass's variance).
  case fanOut
}

/// The weight initializations of `torch.nn.init`, each returning a new tensor of a given shape.
///
/// Shapes follow PyTorch's weight layouts: [outputs, inputs] for linear layers and
/// [outputs, inputs, kernel...] for convolutions. The random ones draw from `generator`, so a
/// seed fixes them.
///
/// ```swift
/// let w = Initializer.kaimingNormal([64, 3, 3, 3], mode: .fanOut, nonlinearity: .relu)
/// layer.weight.initialize { shape, dtype in Initializer.xavierUniform(shape, dtype: dtype) }
/// ```
public enum Initializer {
  /// The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`.
  ///
  /// - Parameters:
  ///   - nonlinearity: The activation following the layer.
  ///   - parameter: The negative slope of `.leakyReLU` (0.01 when nil); ignored otherwise.
  public static func calculateGain(_ nonlinearity: Nonlinearity, parameter: Double? = nil)
    -> Double
  {
    switch nonlinearity {
    case .linear, .conv1d, .conv2d, .conv3d, .convTranspose1d, .convTranspose2d,
      .convTranspose3d, .sigmoid:
      return 1
    case .tanh: return 5.0 / 3
    case .relu: return 2.0.squareRoot()
    case .leakyReLU:
      let slope = parameter ?? 0.01
      return (2 / (1 + slope * slope)).squareRoot()
    case .selu: return 3.0 / 4
    }
  }

  /// The fan-in and fan-out of a weight of `shape`, as PyTorch computes them: dimension 1 and
  /// dimension 0, each times the receptive field (the product of the dimensions after the first
  /// two).
  ///
  /// ```swift
  /// Initializer.fans(of: [16, 3, 5, 5])  // (fanIn: 75, fanOut: 400)
  /// ```
  public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    require(
      shape.count >= 2,
      "Initializer: fan in and fan out cannot be computed for shape \(describe(shape)) with "
        + "fewer than 2 dimensions")
    let receptiveField = shape.dropFirst(2).reduce(1, *)
    return (shape[1] * receptiveField, shape[0] * receptiveField)
  }

  /// A tensor of zeros, as `torch.nn.init.zeros_`.
  public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
    Tensor.zeros(shape, dtype: dtype)
  }

  /// A tensor of ones, as `torch.nn.init.ones_`.
  public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor {
    Tensor.ones(shape, dtype: dtype)
  }

  /// A tensor filled with `value`, as `torch.nn.init.constant_`.
  public static func constant(_ shape: [Int], value: Double, dtype: DType = .float32) -> Tensor {
    Tensor.full(shape, value: value, dtype: dtype)
  }

  /// Values uniform in [`low`, `high`), as `torch.nn.init.uniform_`.
  public static func uniform(
    _ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    requireFloatingPoint(dtype, "uniform")
    return Tensor.randomUniform(shape, low: low, high: high, dtype: dtype, generator: generator)
  }

  /// Values from a normal distribution, as `torch.nn.init.normal_`.
  public static func normal(
    _ shape: [Int], mean: Double = 0, standardDeviation: Double = 1, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    requireFloatingPoint(dtype, "normal")
    return Tensor.randomNormal(
      shape, mean: mean, standardDeviation: standardDeviation, dtype: dtype, generator: generator)
  }

  /// Glorot's uniform initialization, as `torch.nn.init.xavier_uniform_`: values uniform in ±a
  /// with a = `gain`·√(6 / (fanIn + fanOut)).
  ///
  /// - Parameters:
  ///   - shape: At least two dimensions, [outputs, inputs, kernel...].
  ///   - gain: A scale, usually `calculateGain(_:parameter:)` of the activation.
  ///   - dtype: The element type of the result.
  ///   - generator: The source of randomness; the global one by default.
  public static func xavierUniform(
    _ shape: [Int], gain: Double = 1, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    let (fanIn, fanOut) = fans(of: shape)
    let bound = 3.0.squareRoot() * gain * (2 / Double(fanIn + fanOut)).squareRoot()
    return uniform(shape, low: -bound, high: bound, dtype: dtype, generator: generator)
  }

  /// Glorot's normal initialization, as `torch.nn.init.xavier_normal_`: mean 0 and standard
  /// deviation `gain`·√(2 / (fanIn + fanOut)).
  public static func xavierNormal(
    _ shape: [Int], gain: Double = 1, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    let (fanIn, fanOut) = fans(of: shape)
    let deviation = gain * (2 / Double(fanIn + fanOut)).squareRoot()
    return normal(shape, standardDeviation: deviation, dtype: dtype, generator: generator)
  }

  /// He's uniform initialization, as `torch.nn.init.kaiming_uniform_`: values uniform in ±b with
  /// b = √3 · gain / √fan, where gain is `calculateGain(nonlinearity, parameter: a)`.
  ///
  /// PyTorch's default for linear and convolution weights is `a: 5.squareRoot()`, which gives
  /// b = 1/√fanIn.
  ///
  /// - Parameters:
  ///   - shape: The shape of the tensor to make.
  ///   - a: The negative slope of the leaky rectifier that follows (0 for a plain ReLU).
  ///   - mode: Whether to keep the variance of the forward pass (`.fanIn`) or the backward pass.
  ///   - nonlinearity: The activation that follows; `.leakyReLU` or `.relu` are the usual ones.
  ///   - dtype: The element type of the result.
  ///   - generator: The source of randomness; the global one by default.
  public static func kaimingUniform(
    _ shape: [Int], a: Double = 0, mode: FanMode = .fanIn,
    nonlinearity: Nonlinearity = .leakyReLU, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    let deviation = kaimingDeviation(shape, a: a, mode: mode, nonlinearity: nonlinearity)
    let bound = 3.0.squareRoot() * deviation
    return uniform(shape, low: -bound, high: bound, dtype: dtype, generator: generator)
  }

  /// He's normal initialization, as `torch.nn.init.kaiming_normal_`: mean 0 and standard
  /// deviation gain / √fan, where gain is `calculateGain(nonlinearity, parameter: a)`.
  public static func kaimingNormal(
    _ shape: [Int], a: Double = 0, mode: FanMode = .fanIn,
    nonlinearity: Nonlinearity = .leakyReLU, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    let deviation = kaimingDeviation(shape, a: a, mode: mode, nonlinearity: nonlinearity)
    return normal(shape, standardDeviation: deviation, dtype: dtype, generator: generator)
  }

  private static func kaimingDeviation(
    _ shape: [Int], a: Double, mode: FanMode, nonlinearity: Nonlinearity
  ) -> Double {
    let (fanIn, fanOut) = fans(of: shape)
    let fan = mode == .fanIn ? fanIn : fanOut
    return calculateGain(nonlinearity, parameter: a) / Double(fan).squareRoot()
  }

  /// A (semi-)orthogonal matrix times `gain`, as `torch.nn.init.orthogonal_`: the Q of the QR
  /// decomposition of a standard normal [rows, columns] matrix (rows = shape[0], columns = the
  /// product of the rest), with each column's sign set so that R has a positive diagonal.
  ///
  /// The rows are orthonormal when rows ≤ columns, the columns otherwise.
  ///
  /// ```swift
  /// let w = Initializer.orthogonal([4, 4])  // wᵀ·w = I
  /// ```
  public static func orthogonal(
    _ shape: [Int], gain: Double = 1, dtype: DType = .float32,
    generator: RandomGenerator = .global
  ) -> Tensor {
    require(
      shape.count >= 2,
      "Initializer.orthogonal: shape \(describe(shape)) needs at least 2 dimensions")
    requireFloatingPoint(dtype, "orthogonal")
    let rows = shape[0]
    let columns = shape.dropFirst().reduce(1, *)
    guard rows * columns > 0 else { return Tensor.zeros(shape, dtype: dtype) }
    var matrix = generator.normalDoubles(rows * columns)
    // As PyTorch: factor the transpose of a wide matrix, so Q is always tall.
    if rows < columns { matrix = transpose(matrix, rows: rows, columns: columns) }
    var q = orthonormalFactor(matrix, rows: max(rows, columns), columns: min(rows, columns))
    if rows < columns { q = transpose(q, rows: columns, columns: rows) }
    return Tensor(q.map { $0 * gain }, shape: shape, dtype: dtype)
  }

  /// The Q of the thin QR decomposition of a row-major `rows` x `columns` matrix (rows ≥
  /// columns), by Householder reflections, with each column multiplied by the sign of the
  /// matching diagonal element of R (so R's diagonal is positive, as PyTorch arranges).
  static func orthonormalFactor(_ matrix: [Double], rows m: Int, columns n: Int) -> [Double] {
    precondition(m >= n && matrix.count == m * n)
    var r = matrix
    var reflectors: [[Double]] = []
    for k in 0..<n {
      // The reflector maps r[k..., k] onto a multiple of the first unit vector.
      var v = (k..<m).map { r[$0 * n + k] }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      v[0] += v[0] < 0 ? -norm : norm
      let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      if length > 0 { v = v.map { $0 / length } }
      for j in k..<n {
        let dot = (k..<m).reduce(0) { $0 + v[$1 - k] * r[$1 * n + j] }
        for i in k..<m { r[i * n + j] -= 2 * v[i - k] * dot }
      }
      reflectors.append(v)
    }
    // Q = H₀·H₁·…·Hₙ₋₁ applied to the first n columns of the identity, last reflector first.
    var q = [Double](repeating: 0, count: m * n)
    for i in 0..<n { q[i * n + i] = 1 }
    for k in (0..<n).reversed() {
      let v = reflectors[k]
      for j in 0..<n {
        let dot = (k..<m).reduce(0) { $0 + v[$1 - k] * q[$1 * n + j] }
        for i in k..<m { q[i * n + j] -= 2 * v[i - k] * dot }
      }
    }
    for j in 0..<n {
      let diagonal = r[j * n + j]
      let sign: Double = diagonal > 0 ? 1 : (diagonal < 0 ? -1 : 0)
      for i in 0..<m { q[i * n + j] *= sign }
    }
    return q
  }

  private static func transpose(_ matrix: [Double], rows: Int, columns: Int) -> [Double] {
    var result = [Double](repeating: 0, count: matrix.count)
    for i in 0..<rows {
      for j in 0..<columns { result[j * rows + i] = matrix[i * columns + j] }
    }
    return result
  }

  private static func requireFloatingPoint(_ dtype: DType, _ name: String) {
    require(
      dtype.supportsArithmetic,
      "Initializer.\(name): random values need float32 or float64, not \(dtype)")
  }
}

extension Parameter {
  /// Replaces the values with a new tensor made for this parameter's shape and dtype, keeping
  /// the parameter's identity (as the in-place `torch.nn.init` functions do).
  ///
  /// ```swift
  /// layer.weight.initialize { shape, dtype in
  ///   Initializer.kaimingNormal(shape, nonlinearity: .relu, dtype: dtype)
  /// }
  /// ```
  public func initialize(_ makeValues: (_ shape: [Int], _ dtype: DType) -> Tensor) {
    assign(makeValues(value.shape, value.dtype))
  }
}
