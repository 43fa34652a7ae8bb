/// The base class of layers and models.
///
/// A subclass stores its parameters (`Parameter`), buffers (`Buffer`) and submodules (`Module`,
/// optional or in arrays) as properties and overrides `callAsFunction(_:)`. Everything else is
/// found by reflection, in declaration order, with dotted names like PyTorch's
/// (`encoder.layers.0.weight`): no registration code is needed. A property whose PyTorch name is
/// not a Swift name gets its key from `stateKeys`.
///
/// ```swift
/// final class TwoLayer: Module {
///   let hidden = Linear(4, 8)
///   let output = Linear(8, 2)
///   override func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
/// }
/// let model = TwoLayer()
/// model.namedParameters().map(\.name)  // ["hidden.weight", "hidden.bias", "output.weight", ...]
/// ```
///
/// Modules are `Sendable`, so a model kept in a global or top-level constant can be used from any
/// function, task or thread of a Swift 6 program. The rule that makes this sound is PyTorch's:
/// many threads may run the model's forward pass at once (inference, in evaluation mode), but
/// training it (a forward pass in training mode, which updates batch-norm statistics, then
/// `backward()`, an optimizer step, `loadStateDict`) happens on one thread at a time.
open class Module: @unchecked Sendable {
  /// Whether the module is in training mode (dropout active, batch statistics used).
  public internal(set) var isTraining = true

  /// The forward hooks and pre-hooks, or nil before the first is registered.
  var hooks: ModuleHooks?

  /// Creates a module in training mode.
  public init() {}

  /// Applies the module to `input`. Subclasses override this.
  open func callAsFunction(_ input: Tensor) -> Tensor {
    stop("\(type(of: self)) must override callAsFunction(_:)")
  }

  /// The layer's options for its `description`, as PyTorch's `extra_repr()`: empty by default.
  ///
  /// `print(model)` shows each module as its type name followed by this text and its children,
  /// in PyTorch's layout. Override it in a custom layer to show its configuration:
  ///
  /// ```swift
  /// final class Scale: Module {
  ///   let factor: Double
  ///   init(factor: Double) { self.factor = factor }
  ///   override var extraDescription: String { "factor=\(factor)" }
  ///   override func callAsFunction(_ x: Tensor) -> Tensor { x * factor }
  /// }
  /// print(Scale(factor: 2))  // Scale(factor=2.0)
  /// ```
  open var extraDescription: String { "" }

  /// The state-dict keys of the stored properties whose keys are not their Swift names, such as
  /// `["runningMean": "running_mean"]`: empty by default.
  ///
  /// Every parameter, buffer and submodule is found under the name of the property that holds
  /// it, and this table is the one place where a layer gives a property another key, so that
  /// Swift names stay camelCase while state dicts, `namedParameters()` and `print(model)` use
  /// PyTorch's names:
  ///
  /// ```swift
  /// final class Block: Module, @unchecked Sendable {
  ///   let selfAttention = MultiHeadAttention(embedDimension: 16, headCount: 2)
  ///   let outputProjection = Linear(16, 16)
  ///   override var stateKeys: [String: String] {
  ///     ["selfAttention": "self_attn", "outputProjection": "out_proj"]
  ///   }
  /// }
  /// Block().stateDict().keys.sorted()  // ["out_proj.bias", ..., "self_attn.in_proj_weight", ...]
  /// ```
  ///
  /// - The table is looked up by the property's name as `Mirror` reports it, without the
  ///   leading underscore of a property wrapper's storage (`_scale` is looked up as `scale`); a
  ///   key may start with an underscore (`["model": "_model"]`).
  /// - A PyTorch attribute named by a Swift keyword needs no entry: Swift declares the property
  ///   with the keyword in backticks, and its key is the plain name (`default`).
  /// - A key may have dots, for a layer that PyTorch keeps inside a container the Swift model
  ///   does not have (`["head": "backbone.fc"]` gives `backbone.fc.weight`).
  /// - The empty key merges a module, or an array of modules, into this one: their parameters,
  ///   buffers and children are listed as this module's own, under their own keys. (The layers of
  ///   `LSTM` are merged so, as PyTorch names their weights `weight_ih_l0`, not `cells.0.…`.)
  /// - A subclass of a layer that has keys adds its own to `super.stateKeys`.
  open var stateKeys: [String: String] { [:] }

  /// The stored properties of the subclasses that hold state (parameters, buffers, modules),
  /// base class first, under their state-dict keys (see `stateKeys`), with the properties of
  /// merged modules in their place.
  private var keyedProperties: [(key: String, value: Any)] {
    var mirrors: [Mirror] = []
    var mirror: Mirror? = Mirror(reflecting: self)
    while let current = mirror, current.subjectType != Module.self {
      mirrors.append(current)
      mirror = current.superclassMirror
    }
    let keys = stateKeys
    let properties = mirrors.reversed().flatMap { mirror in
      mirror.children.flatMap { child -> [(key: String, value: Any)] in
        guard let label = child.label, !label.hasPrefix("$") else { return [] }
        let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
        let value = unwrapOptional(child.value)
        guard let key = keys[name], key.isEmpty else {
          return isState(value) ? [(keys[name] ?? name, value)] : []
        }
        if let module = value as? Module { return module.keyedProperties }
        if let modules = value as? [Module] { return modules.flatMap(\.keyedProperties) }
        if Mirror(reflecting: value).displayStyle == .optional { return [] }  // nil
        stop(
          "\(type(of: self)).stateKeys merges \(name) (empty key), which holds no module or "
            + "array of modules")
      }
    }
    var seen: Set<String> = []
    for (key, _) in properties {
      require(
        seen.insert(key).inserted, "\(type(of: self)): two properties have the state key \(key)")
    }
    return properties
  }

  /// Whether a property's value is part of the module tree: a parameter, a buffer, a module, or
  /// a non-empty array of parameters or modules. (An empty array holds nothing, and would pass
  /// for an array of anything.)
  private func isState(_ value: Any) -> Bool {
    if let array = value as? [Any] {
      return !array.isEmpty && (array is [Parameter] || array is [Module])
    }
    return value is Parameter || value is Buffer || value is Module
  }

  private func unwrapOptional(_ value: Any) -> Any {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return value }
    return mirror.children.first.map { unwrapOptional($0.value) } ?? Optional<Any>.none as Any
  }

  /// The direct submodules with their names; arrays of modules are named `name.0`, `name.1`, ...
  open func namedChildren() -> [(name: String, module: Module)] {
    keyedProperties.flatMap { name, value -> [(name: String, module: Module)] in
      if let module = value as? Module { return [(name, module)] }
      if let modules = value as? [Module] {
        return modules.enumerated().map { ("\(name).\($0.offset)", $0.element) }
      }
      return []
    }
  }

  /// The parameters this module holds directly (not those of its submodules).
  func directParameters() -> [(name: String, parameter: Parameter)] {
    keyedProperties.flatMap { name, value -> [(name: String, parameter: Parameter)] in
      if let parameter = value as? Parameter { return [(name, parameter)] }
      if let parameters = value as? [Parameter] {
        return parameters.enumerated().map { ("\(name).\($0.offset)", $0.element) }
      }
      return []
    }
  }

  /// The buffers this module holds directly.
  private func directBuffers() -> [(name: String, buffer: Buffer)] {
    keyedProperties.compactMap { name, value in (value as? Buffer).map { (name, $0) } }
  }

  /// The direct submodules.
  public func children() -> [Module] { namedChildren().map(\.module) }

  /// This module and every module below it, each once, with dotted names ("" for this one).
  public func namedModules() -> [(name: String, module: Module)] {
    var seen: Set<ObjectIdentifier> = []
    var result: [(name: String, module: Module)] = []
    func visit(_ module: Module, _ name: String) {
      guard seen.insert(ObjectIdentifier(module)).inserted else { return }
      result.append((name, module))
      for child in module.namedChildren() {
        visit(child.module, name.isEmpty ? child.name : "\(name).\(child.name)")
      }
    }
    visit(self, "")
    return result
  }

  /// Every parameter of this module and its submodules, each once, with dotted names, in
  /// declaration order.
  public func namedParameters() -> [(name: String, parameter: Parameter)] {
    var seen: Set<ObjectIdentifier> = []
    return namedModules().flatMap { prefix, module in
      module.directParameters().compactMap { name, parameter in
        guard seen.insert(ObjectIdentifier(parameter)).inserted else { return nil }
        return (prefix.isEmpty ? name : "\(prefix).\(name)", parameter)
      }
    }
  }

  /// Every parameter and buffer under every dotted name that reaches it, as PyTorch's
  /// `state_dict()` lists them: a module or tensor used in two places (tied weights) appears
  /// under both names. A module that contains itself is not entered again.
  func namedStateTensors() -> [(name: String, tensor: StateTensor)] {
    var result: [(name: String, tensor: StateTensor)] = []
    var ancestors: Set<ObjectIdentifier> = []
    func visit(_ module: Module, _ prefix: String) {
      guard ancestors.insert(ObjectIdentifier(module)).inserted else { return }
      defer { ancestors.remove(ObjectIdentifier(module)) }
      func named(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }
      for (name, parameter) in module.directParameters() {
        result.append((named(name), .parameter(parameter)))
      }
      for (name, buffer) in module.directBuffers() { result.append((named(name), .buffer(buffer))) }
      for child in module.namedChildren() { visit(child.module, named(child.name)) }
    }
    visit(self, "")
    return result
  }

  /// Every buffer of this module and its submodules, with dotted names.
  public func namedBuffers() -> [(name: String, buffer: Buffer)] {
    namedModules().flatMap { prefix, module in
      module.directBuffers().map { (prefix.isEmpty ? $0.name : "\(prefix).\($0.name)", $0.buffer) }
    }
  }

  /// Every parameter, in the order of `namedParameters()`.
  public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

  /// The number of learnable numbers (elements of all parameters).
  public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.scalarCount } }

  /// Puts this module and all below it in training mode (or evaluation mode when false).
  public func train(_ isTraining: Bool = true) {
    for (_, module) in namedModules() { module.isTraining = isTraining }
  }

  /// Puts this module and all below it in evaluation mode.
  public func eval() { train(false) }

  /// Clears the gradients of every parameter.
  public func zeroGradients() {
    for parameter in parameters() { parameter.grad = nil }
  }

  /// Freezes (or unfreezes) every parameter: frozen ones get no gradient and are not updated.
  public func freeze(_ isFrozen: Bool = true) {
    for parameter in parameters() { parameter.isFrozen = isFrozen }
  }

  /// Converts every parameter and floating-point buffer to `dtype` (float64 for gradient
  /// checks), like PyTorch's `module.double()`.
  public func convert(to dtype: DType) {
    require(
      dtype.supportsArithmetic, "convert: modules compute in float32 or float64, not \(dtype)")
    for parameter in parameters() { parameter.convert(to: dtype) }
    for (_, buffer) in namedBuffers() where buffer.value.dtype.isFloatingPoint {
      buffer.value = buffer.value.converted(to: dtype)
    }
  }
}

/// A tensor of a module's state: a parameter or a buffer.
enum StateTensor {
  case parameter(Parameter)
  case buffer(Buffer)

  /// The current value.
  var value: Tensor {
    switch self {
    case .parameter(let parameter): parameter.value
    case .buffer(let buffer): buffer.value
    }
  }

  /// The object holding the value, shared by every name of a tied tensor.
  var identity: ObjectIdentifier {
    switch self {
    case .parameter(let parameter): ObjectIdentifier(parameter)
    case .buffer(let buffer): ObjectIdentifier(buffer)
    }
  }

  /// Replaces the value by `tensor`, converted to the current dtype.
  func assign(_ tensor: Tensor) {
    switch self {
    case .parameter(let parameter): parameter.assign(tensor)
    case .buffer(let buffer): buffer.value = tensor.detached().converted(to: buffer.value.dtype)
    }
  }
}
