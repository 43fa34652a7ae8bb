/// The element type of a tensor.
///
/// Floating-point tensors (`float32`, the default, and `float64`) take part in arithmetic and
/// autograd. `int64` tensors hold indices and class labels: they can be created, reshaped,
/// indexed and converted, and are what `gather`, `indexSelect` and `argmax` use.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
  /// 32-bit IEEE floating point, the default.
  case float32
  /// 64-bit IEEE floating point, used for numerical gradient checks.
  case float64
  /// 64-bit signed integers, for indices and labels.
  case int64

  /// The number of bytes one element occupies.
  public var byteCount: Int { self == .float32 ? 4 : 8 }

  /// Whether the type is a floating-point type.
  public var isFloatingPoint: Bool { self != .int64 }

  /// The name, as in `float32`.
  public var description: String { rawValue }

  /// The code the kernel layer uses for conversions.
  var kernelCode: Int32 {
    switch self {
    case .float32: 0
    case .float64: 1
    case .int64: 2
    }
  }
}
