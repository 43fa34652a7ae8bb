/// The element type of a tensor.
///
/// Arithmetic and autograd work on `float32`, the default, and `float64`. The other types are
/// for storing and moving data: weights saved in half precision (`float16`, `bfloat16`), indices
/// and labels (`int64`, `int32`), bytes (`uint8`, `int8`) and masks (`bool`). Tensors of every
/// type can be created, converted, reshaped, indexed, concatenated, compared, sorted, saved and
/// loaded; an arithmetic op given a storage-only type stops with a message naming the op and the
/// type, and `converted(to: .float32)` makes such a tensor computable.
///
/// ```swift
/// let half = Tensor([0.1, 2.5], shape: [2], dtype: .float16)
/// half.scalars  // [0.0999755859375, 2.5]
/// let weights = half.converted(to: .float32) * 2
/// ```
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
  /// 32-bit IEEE floating point, the default.
  case float32
  /// 64-bit IEEE floating point, used for numerical gradient checks.
  case float64
  /// 64-bit signed integers, for indices and labels.
  case int64
  /// 16-bit IEEE floating point (half precision: 5 exponent bits, 10 fraction bits).
  case float16
  /// 16-bit brain floating point: the top half of a float32 (8 exponent bits, 7 fraction bits).
  case bfloat16
  /// 32-bit signed integers.
  case int32
  /// 8-bit unsigned integers, such as image bytes.
  case uint8
  /// 8-bit signed integers.
  case int8
  /// Booleans, one byte each (0 or 1), such as attention masks.
  case bool

  /// The number of bytes one element occupies.
  public var byteCount: Int {
    switch self {
    case .float64, .int64: 8
    case .float32, .int32: 4
    case .float16, .bfloat16: 2
    case .uint8, .int8, .bool: 1
    }
  }

  /// Whether the type is a floating-point type (`float16` and `bfloat16` among them, as in
  /// PyTorch's `is_floating_point`).
  public var isFloatingPoint: Bool {
    switch self {
    case .float32, .float64, .float16, .bfloat16: true
    case .int64, .int32, .uint8, .int8, .bool: false
    }
  }

  /// Whether arithmetic and autograd work on the type: `float32` and `float64`.
  public var supportsArithmetic: Bool { self == .float32 || self == .float64 }

  /// The name, as in `float32`.
  public var description: String { rawValue }

  /// The code the kernel layer uses for conversions (`nabla_convert`).
  var kernelCode: Int32 {
    switch self {
    case .float32: 0
    case .float64: 1
    case .int64: 2
    case .float16: 3
    case .bfloat16: 4
    case .int32: 5
    case .uint8: 6
    case .int8: 7
    case .bool: 8
    }
  }

  /// The type comparisons and `argmax` compute in: `float32` for the half-precision types,
  /// `int64` for the smaller integers, the type itself otherwise.
  var comparisonType: DType {
    switch self {
    case .float32, .float64, .int64: self
    case .float16, .bfloat16: .float32
    case .int32, .uint8, .int8, .bool: .int64
    }
  }
}
