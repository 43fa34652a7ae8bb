/// Builds the list of layers of a `Sequential` from a block, one layer per line.
@resultBuilder
public enum LayerBuilder {
  /// Collects the layers of a block.
  public static func buildBlock(_ layers: [Module]...) -> [Module] { layers.flatMap { $0 } }
  /// A single layer.
  public static func buildExpression(_ layer: Module) -> [Module] { [layer] }
  /// Several layers, for example from a loop.
  public static func buildExpression(_ layers: [Module]) -> [Module] { layers }
  /// Layers included only when a condition holds.
  public static func buildOptional(_ layers: [Module]?) -> [Module] { layers ?? [] }
  /// The layers of the branch taken.
  public static func buildEither(first layers: [Module]) -> [Module] { layers }
  /// The layers of the branch taken.
  public static func buildEither(second layers: [Module]) -> [Module] { layers }
  /// The layers of every iteration of a `for` loop.
  public static func buildArray(_ layers: [[Module]]) -> [Module] { layers.flatMap { $0 } }
}

/// Applies layers one after another. Parameters are named by position, as PyTorch's
/// `nn.Sequential` names them (`0.weight`, `2.bias`), so state dicts move between the two.
///
/// ```swift
/// let model = Sequential {
///   Linear(784, 128)
///   ReLU()
///   Linear(128, 10)
/// }
/// ```
public final class Sequential: Module, @unchecked Sendable {
  /// The layers, in order.
  public let layers: [Module]

  /// Creates a sequence of `layers`.
  public init(_ layers: [Module]) { self.layers = layers }

  /// Creates a sequence from a block listing the layers.
  public convenience init(@LayerBuilder _ build: () -> [Module]) { self.init(build()) }

  /// The layers named "0", "1", ... as PyTorch does.
  public override func namedChildren() -> [(name: String, module: Module)] {
    layers.enumerated().map { ("\($0.offset)", $0.element) }
  }

  /// Feeds `input` through every layer in turn. It runs each layer inside the layer's
  /// `forwarding`, so that custom layers in a sequence run their hooks and show their output
  /// shapes in a `summary` too.
  public override func callAsFunction(_ input: Tensor) -> Tensor {
    forwarding(input) { input in
      layers.reduce(input) { x, layer in layer.forwarding(x) { layer($0) } }
    }
  }
}
