import CNablaKernels

/// An n-dimensional array of numbers that records the operations applied to it, so that
/// gradients can be computed by reverse-mode automatic differentiation.
///
/// `Tensor` is a value type: copies share one contiguous buffer until one of them is written to.
/// Layout is row-major (C order). Elements are `float32` by default.
///
/// ```swift
/// let x = Tensor([1, 2, 3, 4], shape: [2, 2])
/// let w = Tensor.randomNormal([2, 3]).requiringGrad()
/// let loss = x.matmul(w).relu().sum()
/// loss.backward()
/// print(w.grad!)  // d loss / d w, shape [2, 3]
/// ```
///
/// Tensors are `Sendable`: a tensor can be passed to another thread or task and read there while
/// this thread reads it too, because a write copies a shared buffer first. What is not safe is
/// running `backward()` on two threads through the same graph at once, since both would add into
/// the same leaves' gradients; see <doc:Concurrency>.
public struct Tensor: @unchecked Sendable {
  var storage: TensorStorage
  /// The size of each dimension, outermost first.
  public private(set) var shape: [Int]
  /// Autograd bookkeeping; nil for a tensor that does not require gradients.
  var node: GradNode?

  init(storage: TensorStorage, shape: [Int], node: GradNode? = nil) {
    self.storage = storage
    self.shape = shape
    self.node = node
  }

  /// A tensor of `shape` whose elements are not initialized (zeroed when `zeroed` is true).
  package init(empty shape: [Int], dtype: DType, zeroed: Bool = false) {
    for size in shape {
      require(size >= 0, "Tensor: shape \(describe(shape)) has a negative dimension")
    }
    self.init(
      storage: TensorStorage(count: shape.reduce(1, *), dtype: dtype, zeroed: zeroed),
      shape: shape)
  }

  /// Creates a float32 tensor from row-major values.
  ///
  /// - Parameters:
  ///   - values: The elements in row-major order; their count must equal the product of `shape`.
  ///   - shape: The dimensions; defaults to a vector of `values.count` elements.
  public init(_ values: [Float], shape: [Int]? = nil) {
    self.init(copying: values, shape: shape ?? [values.count], dtype: .float32)
  }

  /// Creates a tensor of any `dtype` from row-major `Double` values, converted as
  /// `converted(to:)` converts them (rounded to nearest even for the half-precision types,
  /// truncated toward zero for the integer types, nonzero as true for `bool`).
  ///
  /// ```swift
  /// let x = Tensor([1.5, -2.0], shape: [2], dtype: .float64)
  /// ```
  public init(_ values: [Double], shape: [Int]? = nil, dtype: DType) {
    self.init(copying: values, shape: shape ?? [values.count], dtype: .float64)
    if dtype != .float64 { self = converted(to: dtype) }
  }

  /// Creates an `int64` tensor from row-major integers, as `torch.tensor` makes one from Python
  /// integers.
  ///
  /// An array literal of integers, such as `Tensor([1, 2])`, still makes a float32 tensor, as
  /// Swift gives the literal the `[Float]` type first; pass an `[Int]` value or use
  /// `Tensor(indices:)` for an integer tensor.
  ///
  /// ```swift
  /// let tokens: [Int] = [101, 7592, 102]
  /// Tensor(tokens).dtype  // int64
  /// ```
  @_disfavoredOverload
  public init(_ values: [Int], shape: [Int]? = nil) {
    self.init(copying: values.map { Int64($0) }, shape: shape ?? [values.count], dtype: .int64)
  }

  /// Creates an `int32` tensor from row-major values.
  @_disfavoredOverload
  public init(_ values: [Int32], shape: [Int]? = nil) {
    self.init(copying: values, shape: shape ?? [values.count], dtype: .int32)
  }

  /// Creates a `uint8` tensor from row-major bytes, such as an image's pixels.
  @_disfavoredOverload
  public init(_ values: [UInt8], shape: [Int]? = nil) {
    self.init(copying: values, shape: shape ?? [values.count], dtype: .uint8)
  }

  /// Creates a `bool` tensor from row-major values, such as a mask.
  ///
  /// ```swift
  /// let mask = Tensor([true, false, true])
  /// ```
  public init(_ values: [Bool], shape: [Int]? = nil) {
    self.init(
      copying: values.map { $0 ? UInt8(1) : 0 }, shape: shape ?? [values.count], dtype: .bool)
  }

  /// Creates an `int64` tensor of indices or labels.
  ///
  /// ```swift
  /// let labels = Tensor(indices: [2, 0, 1])
  /// ```
  public init(indices: [Int], shape: [Int]? = nil) {
    self.init(copying: indices.map { Int64($0) }, shape: shape ?? [indices.count], dtype: .int64)
  }

  /// Creates a rank-0 tensor holding one number.
  public init(scalar: Double, dtype: DType = .float32) {
    self.init([scalar], shape: [], dtype: dtype)
  }

  private init<Element>(copying values: [Element], shape: [Int], dtype: DType) {
    let count = shape.reduce(1, *)
    require(
      values.count == count,
      "Tensor: \(values.count) values cannot fill shape \(describe(shape)) (\(count) elements)")
    self.init(empty: shape, dtype: dtype)
    values.withUnsafeBytes { storage.data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
  }

  /// The element type.
  public var dtype: DType { storage.dtype }

  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// The number of elements: the product of the shape.
  public var scalarCount: Int { storage.count }

  /// The single element of a one-element tensor, as a `Double`.
  public var item: Double {
    require(
      scalarCount == 1,
      "item: the tensor has shape \(describe(shape)) (\(scalarCount) elements), not one element")
    return element(at: 0)
  }

  /// The element at a flat row-major position, as a `Double`.
  func element(at index: Int) -> Double {
    var value = 0.0
    nabla_convert(
      1, dtype.kernelCode, storage.data + index * dtype.byteCount, DType.float64.kernelCode,
      &value)
    return value
  }

  /// The elements converted to `Double`, in row-major order.
  public var scalars: [Double] {
    [Double](unsafeUninitializedCapacity: scalarCount) { buffer, count in
      nabla_convert(
        scalarCount, dtype.kernelCode, storage.data, DType.float64.kernelCode, buffer.baseAddress)
      count = scalarCount
    }
  }

  /// Returns the tensor converted to another element type (a copy, or the tensor itself when the
  /// type already matches), as PyTorch's `to(dtype)` converts.
  ///
  /// Conversions to `float16` and `bfloat16` round to nearest even (from float32; a float64 is
  /// rounded to float32 first, as in PyTorch), with NaN and infinities kept. Conversions to the
  /// integer types truncate toward zero and keep the low bits of a value too large for the type;
  /// conversions to `bool` give true for every nonzero value. Gradients flow through conversions
  /// between `float32` and `float64`.
  public func converted(to type: DType) -> Tensor {
    if type == dtype { return self }
    let result = Tensor(empty: shape, dtype: type)
    nabla_convert(scalarCount, dtype.kernelCode, storage.data, type.kernelCode, result.storage.data)
    guard type.supportsArithmetic && dtype.supportsArithmetic else { return result }
    let original = dtype
    return record("converted", result, [self]) { g in [g.converted(to: original)] }
  }

  /// Gives mutable access to the elements as `Element` (which must match `dtype`: `UInt16` bit
  /// patterns for `float16` and `bfloat16`, `Bool` or `UInt8` for `bool`), copying the buffer
  /// first if another tensor shares it.
  public mutating func withUnsafeMutableBufferPointer<Element, Result>(
    as type: Element.Type, _ body: (UnsafeMutableBufferPointer<Element>) throws -> Result
  ) rethrows -> Result {
    checkElementType(type)
    makeUnique()
    let pointer = storage.data.assumingMemoryBound(to: Element.self)
    return try body(UnsafeMutableBufferPointer(start: pointer, count: scalarCount))
  }

  /// Gives the tensor a buffer of its own, copying when another tensor shares it.
  package mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
  }

  /// Gives read access to the elements as `Element` (which must match `dtype`: `UInt16` bit
  /// patterns for `float16` and `bfloat16`, `Bool` or `UInt8` for `bool`).
  public func withUnsafeBufferPointer<Element, Result>(
    as type: Element.Type, _ body: (UnsafeBufferPointer<Element>) throws -> Result
  ) rethrows -> Result {
    checkElementType(type)
    let pointer = UnsafePointer(storage.data.assumingMemoryBound(to: Element.self))
    return try withExtendedLifetime(storage) {
      try body(UnsafeBufferPointer(start: pointer, count: scalarCount))
    }
  }

  private func checkElementType<Element>(_ type: Element.Type) {
    let matches =
      switch dtype {
      case .float32: type == Float.self
      case .float64: type == Double.self
      case .int64: type == Int64.self
      case .float16, .bfloat16: type == UInt16.self
      case .int32: type == Int32.self
      case .uint8: type == UInt8.self
      case .int8: type == Int8.self
      case .bool: type == Bool.self || type == UInt8.self
      }
    require(matches, "Tensor: a \(dtype) tensor cannot be accessed as \(type)")
  }

  /// Replaces the tensor's elements with those of `newValue`, keeping its identity for autograd
  /// (its `grad` and `requiresGrad`). This is how optimizers update parameters.
  ///
  /// - Parameter newValue: A tensor of the same shape and dtype; its graph is not recorded.
  public mutating func assign(_ newValue: Tensor) {
    require(
      newValue.shape == shape && newValue.dtype == dtype,
      "assign: cannot assign a \(newValue.dtype) tensor of shape \(describe(newValue.shape)) "
        + "to a \(dtype) tensor of shape \(describe(shape))")
    storage = newValue.storage
  }

  /// Gives the package's other modules (NablaDistributed's MPI calls) the elements' raw memory,
  /// copying the buffer first if another tensor shares it.
  package mutating func withUnsafeMutableRawPointer<Result>(
    _ body: (UnsafeMutableRawPointer) throws -> Result
  ) rethrows -> Result {
    makeUnique()
    return try withExtendedLifetime(storage) { try body(storage.data) }
  }

  /// Gives the package's other modules read access to the elements' raw memory.
  package func withUnsafeRawPointer<Result>(_ body: (UnsafeRawPointer) throws -> Result) rethrows
    -> Result
  {
    try withExtendedLifetime(storage) { try body(UnsafeRawPointer(storage.data)) }
  }

  // The indices of int64 tensors for the kernel calls (floating-point data comes through
  // `data(_:)`). Callers keep the tensor alive while they use them.
  var i64: UnsafeMutablePointer<Int64> { storage.data.assumingMemoryBound(to: Int64.self) }
}

extension Tensor {
  /// Whether `other` is this very tensor: the same elements and the same place in the graph
  /// (not merely equal values), as PyTorch's `query is key` test for self-attention.
  package func isIdentical(to other: Tensor) -> Bool {
    storage === other.storage && shape == other.shape && node === other.node
  }
}

extension Array where Element == Float {
  /// The elements of a tensor in row-major order, converted to `Float`.
  public init(_ tensor: Tensor) {
    let converted = tensor.detached().converted(to: .float32)
    self = converted.withUnsafeBufferPointer(as: Float.self) { Array($0) }
  }
}

extension Array where Element == Double {
  /// The elements of a tensor in row-major order, converted to `Double`.
  public init(_ tensor: Tensor) {
    let converted = tensor.detached().converted(to: .float64)
    self = converted.withUnsafeBufferPointer(as: Double.self) { Array($0) }
  }
}

extension Array where Element == Int {
  /// The elements of a tensor in row-major order, converted to `Int` (truncating fractions).
  public init(_ tensor: Tensor) {
    let converted = tensor.detached().converted(to: .int64)
    self = converted.withUnsafeBufferPointer(as: Int64.self) { $0.map { Int($0) } }
  }
}

/// The elements of `tensor` as `Scalar` (which must match its dtype), for kernel calls generic
/// over the element type. The caller keeps the tensor alive while using the pointer.
func pointer<Scalar>(_ tensor: Tensor) -> UnsafeMutablePointer<Scalar> {
  tensor.storage.data.assumingMemoryBound(to: Scalar.self)
}
