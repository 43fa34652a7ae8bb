/// A value read from a `torch.save` file: a tensor, a Python number, string or `None`, or a
/// container of such values, as `PyTorchFile.read(from:)` returns it.
///
/// Subscripts walk into containers the way Python's do, and give nil where Python would raise:
///
/// ```swift
/// let checkpoint = try PyTorchFile.read(from: "checkpoint.pt")
/// let model = checkpoint["model"]?.tensors            // [String: Tensor]
/// let step = checkpoint["optimizer"]?["state"]?[0]    // the first parameter's state
/// print(checkpoint)  // {'model': {'linear.weight': tensor(float32, [4, 3]), ...}, 'epoch': 3}
/// ```
public indirect enum PyTorchValue: Sendable {
  /// Python's `None`.
  case none
  /// A `bool`.
  case bool(Bool)
  /// An `int` (one that fits in 64 bits; a larger one is an error when reading).
  case int(Int)
  /// A `float`.
  case float(Double)
  /// A `str`.
  case string(String)
  /// A `bytes` object.
  case bytes([UInt8])
  /// A `list`.
  case list([PyTorchValue])
  /// A `tuple`.
  case tuple([PyTorchValue])
  /// A `dict` or `OrderedDict`, its entries in their saved order.
  case dictionary([(key: PyTorchValue, value: PyTorchValue)])
  /// A tensor (contiguous, whatever its saved strides were).
  case tensor(Tensor)

  /// The value stored under the string `key` of a dictionary, or nil.
  public subscript(key: String) -> PyTorchValue? {
    entries?.first { $0.key.string == key }?.value
  }

  /// The element at `index` of a list or tuple, or the value stored under the integer key
  /// `index` of a dictionary (as an optimizer's `state` is keyed), or nil.
  public subscript(index: Int) -> PyTorchValue? {
    if let entries { return entries.first { $0.key.integer == index }?.value }
    guard let elements, elements.indices.contains(index) else { return nil }
    return elements[index]
  }

  /// The tensor, if this is one.
  public var tensor: Tensor? {
    if case .tensor(let tensor) = self { tensor } else { nil }
  }

  /// The integer, if this is an `int` (a `bool` is not one here).
  public var integer: Int? {
    if case .int(let value) = self { value } else { nil }
  }

  /// The number, if this is a `float` or an `int`.
  public var double: Double? {
    switch self {
    case .float(let value): value
    case .int(let value): Double(value)
    default: nil
    }
  }

  /// The truth value, if this is a `bool`.
  public var bool: Bool? {
    if case .bool(let value) = self { value } else { nil }
  }

  /// The text, if this is a `str`.
  public var string: String? {
    if case .string(let value) = self { value } else { nil }
  }

  /// Whether this is `None`.
  public var isNone: Bool {
    if case .none = self { true } else { false }
  }

  /// The elements, if this is a list or a tuple.
  public var elements: [PyTorchValue]? {
    switch self {
    case .list(let elements), .tuple(let elements): elements
    default: nil
    }
  }

  /// The entries, in their saved order, if this is a dictionary.
  public var entries: [(key: PyTorchValue, value: PyTorchValue)]? {
    if case .dictionary(let entries) = self { entries } else { nil }
  }

  /// The tensors by name, if this is a state dict: a dictionary whose keys are all strings and
  /// whose values are all tensors (what `model.state_dict()` saves).
  public var tensors: [String: Tensor]? {
    guard let entries else { return nil }
    var tensors: [String: Tensor] = [:]
    for (key, value) in entries {
      guard let name = key.string, let tensor = value.tensor else { return nil }
      tensors[name] = tensor
    }
    return tensors
  }
}

extension PyTorchValue: CustomStringConvertible {
  /// The value as Python would print it, with each tensor shown by its dtype and shape:
  /// `{'epoch': 3, 'weight': tensor(float32, [4, 3])}`.
  public var description: String {
    switch self {
    case .none: "None"
    case .bool(let value): value ? "True" : "False"
    case .int(let value): "\(value)"
    case .float(let value): "\(value)"
    case .string(let value): "'\(value)'"
    case .bytes(let value): "bytes(\(value.count))"
    case .list(let elements): "[\(elements.map(\.description).joined(separator: ", "))]"
    case .tuple(let elements):
      "(\(elements.map(\.description).joined(separator: ", "))\(elements.count == 1 ? "," : ""))"
    case .dictionary(let entries):
      "{\(entries.map { "\($0.key): \($0.value)" }.joined(separator: ", "))}"
    case .tensor(let tensor): "tensor(\(tensor.dtype), \(describe(tensor.shape)))"
    }
  }
}
