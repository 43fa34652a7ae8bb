// Forward hooks and pre-hooks, as PyTorch's `register_forward_hook` and
// `register_forward_pre_hook`: functions that run around a module's forward pass, to read its
// input and output (feature extraction, statistics, debugging) or to replace them.
//
// Swift cannot wrap a method that subclasses override, so a module runs its hooks by running its
// forward pass inside `forwarding(input) { input in ... }`: every built-in layer does, and
// `Sequential` does it for each of its layers, custom ones too.

/// A function that runs before a module's forward pass with its input, and may replace it.
public typealias ForwardPreHook = (_ module: Module, _ input: Tensor) -> Tensor?

/// A function that runs after a module's forward pass with its input and output, and may
/// replace the output.
public typealias ForwardHook = (_ module: Module, _ input: Tensor, _ output: Tensor) -> Tensor?

/// The hooks registered on one module, in registration order.
final class ModuleHooks {
  var pre: [(id: Int, hook: ForwardPreHook)] = []
  var post: [(id: Int, hook: ForwardHook)] = []
  var nextID = 0

  var isEmpty: Bool { pre.isEmpty && post.isEmpty }

  /// The module whose hooks are running on this task, so that a forward pass wrapped twice (by
  /// `Sequential` and by the layer itself) runs them once.
  @TaskLocal static var running: ObjectIdentifier?
}

/// Removes the hook it was returned for.
///
/// ```swift
/// let handle = model.registerForwardHook { _, _, output in features.append(output); return nil }
/// _ = model(x)
/// handle.remove()
/// ```
public final class ModuleHookHandle {
  private weak var module: Module?
  private let id: Int

  init(_ module: Module, _ id: Int) {
    self.module = module
    self.id = id
  }

  /// Removes the hook; removing it again does nothing.
  public func remove() {
    guard let hooks = module?.hooks else { return }
    hooks.pre.removeAll { $0.id == id }
    hooks.post.removeAll { $0.id == id }
  }
}

extension Module {
  /// Registers `hook` to run before every forward pass of this module, as PyTorch's
  /// `register_forward_pre_hook`: it gets the module and the input, and returns a replacement
  /// input or nil to keep it. Hooks run in the order they were registered.
  ///
  /// ```swift
  /// let handle = layer.registerForwardPreHook { _, input in input.clamped(min: -1, max: 1) }
  /// ```
  ///
  /// Hooks run on calls of `callAsFunction(_:)` with one tensor, for every built-in layer and for
  /// a custom module that runs its forward pass inside ``forwarding(_:_:)`` or sits in a
  /// `Sequential`. Register and remove hooks while no forward pass of the module runs.
  ///
  /// - Parameter hook: The function to run.
  /// - Returns: A handle whose `remove()` removes the hook.
  @discardableResult
  public func registerForwardPreHook(_ hook: @escaping ForwardPreHook) -> ModuleHookHandle {
    addingHook { $0.pre.append(($1, hook)) }
  }

  /// Registers `hook` to run after every forward pass of this module, as PyTorch's
  /// `register_forward_hook`: it gets the module, the input and the output, and returns a
  /// replacement output or nil to keep it. Hooks run in the order they were registered, each on
  /// the output the previous one left.
  ///
  /// ```swift
  /// var features: [Tensor] = []
  /// let handle = model.layers[2].registerForwardHook { _, _, output in
  ///   features.append(output.detached())
  ///   return nil
  /// }
  /// _ = model(batch)  // features holds the output of layer 2
  /// handle.remove()
  /// ```
  ///
  /// Hooks run where ``registerForwardPreHook(_:)`` says.
  ///
  /// - Parameter hook: The function to run.
  /// - Returns: A handle whose `remove()` removes the hook.
  @discardableResult
  public func registerForwardHook(_ hook: @escaping ForwardHook) -> ModuleHookHandle {
    addingHook { $0.post.append(($1, hook)) }
  }

  /// Gives a new hook its number, lets `add` store it under that number, and returns its handle.
  private func addingHook(_ add: (ModuleHooks, Int) -> Void) -> ModuleHookHandle {
    let hooks = self.hooks ?? ModuleHooks()
    self.hooks = hooks
    hooks.nextID += 1
    add(hooks, hooks.nextID)
    return ModuleHookHandle(self, hooks.nextID)
  }

  /// Runs the forward pass `forward` on `input` with this module's hooks around it, and reports
  /// the output to `summary`: the pre-hooks may replace the input, the forward hooks the output.
  ///
  /// Every built-in layer runs its forward pass in it. Do the same in a custom module's
  /// `callAsFunction` so that hooks and `summary` see it wherever it sits in a model:
  ///
  /// ```swift
  /// override func callAsFunction(_ input: Tensor) -> Tensor {
  ///   forwarding(input) { input in output(hidden(input).relu()) }
  /// }
  /// ```
  ///
  /// Without hooks it costs one check. A module whose forward pass runs inside `forwarding`
  /// twice (in a `Sequential`, which wraps its layers too) runs its hooks once.
  ///
  /// - Parameters:
  ///   - input: The module's input.
  ///   - forward: The forward pass, given the input after the pre-hooks.
  /// - Returns: The output after the forward hooks.
  public func forwarding(_ input: Tensor, _ forward: (Tensor) -> Tensor) -> Tensor {
    let id = ObjectIdentifier(self)
    guard let hooks, !hooks.isEmpty, ModuleHooks.running != id else {
      return reportingOutput { forward(input) }
    }
    var input = input
    for (_, hook) in hooks.pre { input = hook(self, input) ?? input }
    var output = ModuleHooks.$running.withValue(id) { reportingOutput { forward(input) } }
    for (_, hook) in hooks.post { output = hook(self, input, output) ?? output }
    return output
  }
}
