/// Parameters that share a learning rate and a weight decay within one optimizer, as a PyTorch
/// parameter group.
///
/// Learning-rate schedules change `learningRate` between steps. A value left nil when the group is
/// made takes the optimizer's default when the group is given to the optimizer.
///
/// ```swift
/// let optimizer = SGD(
///   groups: [
///     ParameterGroup(model.body.parameters()),  // the optimizer's learning rate, 0.1
///     ParameterGroup(model.head.parameters(), learningRate: 0.01, weightDecay: 0),
///   ], learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4)
/// optimizer.groups[1].learningRate = 0.005
/// ```
public struct ParameterGroup {
  /// The parameters of the group, in order.
  public let parameters: [Parameter]
  /// The step size for this group's parameters.
  public var learningRate: Double { didSet { hasLearningRate = true } }
  /// The weight decay for this group's parameters (how it enters depends on the optimizer).
  public var weightDecay: Double { didSet { hasWeightDecay = true } }

  var hasLearningRate: Bool
  var hasWeightDecay: Bool

  /// Creates a group; nil values take the optimizer's defaults.
  ///
  /// - Parameters:
  ///   - parameters: The parameters to train with these settings.
  ///   - learningRate: The group's learning rate, or nil for the optimizer's.
  ///   - weightDecay: The group's weight decay, or nil for the optimizer's.
  public init(_ parameters: [Parameter], learningRate: Double? = nil, weightDecay: Double? = nil) {
    self.parameters = parameters
    self.learningRate = learningRate ?? 0
    self.weightDecay = weightDecay ?? 0
    hasLearningRate = learningRate != nil
    hasWeightDecay = weightDecay != nil
  }
}

/// What an optimizer remembers about one parameter between steps: its step count and named
/// tensors of the parameter's shape (momentum buffers, moment estimates).
public struct OptimizerState {
  /// The number of updates applied to the parameter so far, including the current one while
  /// `Optimizer.update` runs.
  public var step: Int
  /// Tensors by name, such as `momentum_buffer` or `exp_avg` (PyTorch's names).
  public var tensors: [String: Tensor]

  /// Creates a state with a step count and tensors.
  public init(step: Int = 0, tensors: [String: Tensor] = [:]) {
    self.step = step
    self.tensors = tensors
  }

  /// The tensor named `name`, or nil.
  public subscript(name: String) -> Tensor? {
    get { tensors[name] }
    set { tensors[name] = newValue }
  }
}

/// An error thrown by `restore(from:)` when a saved state does not fit the optimizer or schedule
/// it is restored into; nothing is changed when it is thrown.
public struct StateRestoreError: Error, CustomStringConvertible {
  /// What is wrong and where.
  public var message: String

  /// Creates an error with a message a person can act on.
  public init(_ message: String) { self.message = message }

  /// The message.
  public var description: String { message }
}

/// The base class of optimizers: it holds parameter groups and per-parameter state, and applies
/// a subclass's `update` to every parameter that has a gradient.
///
/// A training step clears the gradients, runs forward and backward, and steps:
///
/// ```swift
/// let optimizer = Adam(model.parameters(), learningRate: 1e-3)
/// optimizer.zeroGradients()
/// let loss = crossEntropy(model(x), labels)
/// loss.backward()
/// optimizer.step()
/// ```
///
/// As PyTorch's `state_dict`, `checkpointState()` numbers the parameters in the order of all
/// groups' parameters together, and names state tensors `<index>.<name>` (`3.exp_avg`).
///
/// Optimizers are `Sendable` so that they can live beside a model in a global; `step()` and the
/// other methods that change state must run on one thread at a time.
open class Optimizer: Checkpointable, @unchecked Sendable {
  /// The parameter groups; their learning rates and weight decays may be changed between steps.
  public var groups: [ParameterGroup]

  /// The state of each parameter updated so far, with the parameter kept alive beside it so that
  /// its identifier is not reused.
  private var states: [ObjectIdentifier: (parameter: Parameter, state: OptimizerState)] = [:]

  /// The name used in messages, such as "Adam".
  private var name: String { String(describing: type(of: self)) }

  /// Creates an optimizer over `groups`, filling values they leave unset with the defaults.
  ///
  /// - Parameters:
  ///   - groups: The parameter groups; a parameter may appear only once among all of them.
  ///   - learningRate: The learning rate of groups that do not set one.
  ///   - weightDecay: The weight decay of groups that do not set one.
  public init(groups: [ParameterGroup], learningRate: Double, weightDecay: Double) {
    self.groups = []
    for group in groups {
      addParameterGroup(group, learningRate: learningRate, weightDecay: weightDecay)
    }
  }

  /// Adds a group of parameters to train from now on, as PyTorch's `add_param_group`.
  ///
  /// - Parameters:
  ///   - group: The new group; its parameters must not be in another group.
  ///   - learningRate: The learning rate if the group sets none.
  ///   - weightDecay: The weight decay if the group sets none.
  public func addParameterGroup(
    _ group: ParameterGroup, learningRate: Double, weightDecay: Double = 0
  ) {
    var group = group
    if !group.hasLearningRate { group.learningRate = learningRate }
    if !group.hasWeightDecay { group.weightDecay = weightDecay }
    require(
      group.learningRate >= 0,
      "\(name): the learning rate must not be negative, got \(group.learningRate)")
    require(
      group.weightDecay >= 0,
      "\(name): the weight decay must not be negative, got \(group.weightDecay)")
    var seen = Set(parameters.map(ObjectIdentifier.init))
    for (index, parameter) in group.parameters.enumerated() {
      require(
        seen.insert(ObjectIdentifier(parameter)).inserted,
        "\(name): parameter \(index) of group \(groups.count) (shape "
          + "\(describe(parameter.value.shape))) already appears in a parameter group")
    }
    groups.append(group)
  }

  /// All parameters of all groups, in order: the numbering used by checkpoints.
  public var parameters: [Parameter] { groups.flatMap(\.parameters) }

  /// The state kept for `parameter`, or nil before its first update.
  public func state(for parameter: Parameter) -> OptimizerState? {
    states[ObjectIdentifier(parameter)]?.state
  }

  /// Updates every parameter that is not frozen and has a gradient, by the optimizer's rule.
  ///
  /// Runs without recording gradients; the parameters keep their identity and gradients.
  public func step() {
    withoutGradients {
      for group in groups {
        for parameter in group.parameters where !parameter.isFrozen {
          guard let gradient = parameter.grad else { continue }
          let key = ObjectIdentifier(parameter)
          // Taken out while updated, so its tensors are not shared and can change in place.
          var state = states.removeValue(forKey: key)?.state ?? OptimizerState()
          state.step += 1
          var value = parameter.value.detached()
          update(&value, gradient: gradient.detached(), group: group, state: &state)
          parameter.assign(value)
          states[key] = (parameter, state)
        }
      }
    }
  }

  /// Clears the gradient of every parameter, as PyTorch's `zero_grad(set_to_none=True)`.
  public func zeroGradients() {
    for parameter in parameters { parameter.grad = nil }
  }

  /// Computes one parameter's new value; subclasses override this with their rule.
  ///
  /// - Parameters:
  ///   - value: The parameter's current value (detached), to replace with the updated one.
  ///   - gradient: The parameter's gradient, of the same shape and dtype.
  ///   - group: The parameter's group, with the current learning rate and weight decay.
  ///   - state: The parameter's state; `step` already counts this update (1 on the first).
  open func update(
    _ value: inout Tensor, gradient: Tensor, group: ParameterGroup, state: inout OptimizerState
  ) {
    stop("\(name) must override update(_:gradient:group:state:)")
  }

  /// The names of the tensors every parameter's state holds after its first update (for
  /// example `["exp_avg", "exp_avg_sq"]`); `restore(from:)` requires exactly these.
  open var stateTensorNames: [String] { [] }

  // MARK: Checkpointing

  /// The settings each group saves, under `group.<g>.<setting>`.
  private static let groupSettings: Set = ["learning_rate", "weight_decay", "parameter_count"]

  /// The per-parameter tensors (`<index>.<name>`), step counts (`<index>.step`) and each group's
  /// settings (`group.<g>.learning_rate`, `group.<g>.weight_decay`,
  /// `group.<g>.parameter_count`).
  public func checkpointState() -> TrainingState {
    var result = TrainingState()
    for (g, group) in groups.enumerated() {
      result.values["group.\(g).learning_rate"] = group.learningRate
      result.values["group.\(g).weight_decay"] = group.weightDecay
      result.values["group.\(g).parameter_count"] = Double(group.parameters.count)
    }
    for (index, parameter) in parameters.enumerated() {
      guard let state = state(for: parameter) else { continue }
      result.values["\(index).step"] = Double(state.step)
      for (name, tensor) in state.tensors { result.tensors["\(index).\(name)"] = tensor }
    }
    return result
  }

  /// Restores group settings and per-parameter state saved by `checkpointState()`.
  ///
  /// Throws `StateRestoreError`, changing nothing, when the groups differ in number or size, a
  /// group setting or state tensor is missing, a tensor's shape differs from its parameter's, or
  /// an entry is not one this optimizer writes. Tensors are converted to the parameter's dtype.
  public func restore(from state: TrainingState) throws {
    let newGroups = try restoredGroups(from: state)
    let steps = try restoredSteps(from: state)
    let restored = try restoredStates(from: state, steps: steps)
    try checkTensorKeys(of: state, steps: steps)
    groups = newGroups
    states = restored
  }
}

// The steps of `restore(from:)`, each of which throws before anything changes.
extension Optimizer {
  /// The groups with the learning rates and weight decays of `state`, after checking that it
  /// has each group's settings and parameter count.
  private func restoredGroups(from state: TrainingState) throws -> [ParameterGroup] {
    var newGroups = groups
    for g in groups.indices {
      func value(_ key: String) throws -> Double {
        guard let value = state.values["group.\(g).\(key)"] else {
          throw StateRestoreError("\(name).restore: the state has no 'group.\(g).\(key)'")
        }
        return value
      }
      let count = try value("parameter_count")
      guard count == Double(groups[g].parameters.count) else {
        throw StateRestoreError(
          "\(name).restore: parameter group \(g) has \(counted(groups[g].parameters.count)) but "
            + "\(formatted(count)) in the state")
      }
      for setting in ["learning_rate", "weight_decay"] {
        let number = try value(setting)
        guard number >= 0, number.isFinite else {
          throw StateRestoreError(
            "\(name).restore: 'group.\(g).\(setting)' is \(formatted(number)), not a finite "
              + "number ≥ 0")
        }
      }
      newGroups[g].learningRate = try value("learning_rate")
      newGroups[g].weightDecay = try value("weight_decay")
    }
    return newGroups
  }

  /// The step count of each parameter index in `state`, after checking that every number in it
  /// is a group setting or a step count this optimizer writes.
  private func restoredSteps(from state: TrainingState) throws -> [Int: Int] {
    var steps: [Int: Int] = [:]
    let parameterCount = parameters.count
    for (key, value) in state.values.sorted(by: { $0.key < $1.key }) {
      let (prefix, rest) = splitKey(key)
      if prefix == "group" {
        try checkGroupKey(key, rest)
        continue
      }
      guard let index = Int(prefix), rest == "step" else {
        throw StateRestoreError("\(name).restore: unexpected number '\(key)' in the state")
      }
      guard (0..<parameterCount).contains(index) else {
        throw StateRestoreError(
          "\(name).restore: the state has '\(key)' but the optimizer has "
            + counted(parameterCount))
      }
      guard value >= 1, value == value.rounded(), value < 9e15 else {
        throw StateRestoreError(
          "\(name).restore: '\(key)' is \(formatted(value)), not a positive whole number")
      }
      steps[index] = Int(value)
    }
    return steps
  }

  /// Checks that `group.<rest>` names a setting of an existing group.
  private func checkGroupKey(_ key: String, _ rest: String) throws {
    let (groupIndex, setting) = splitKey(rest)
    guard let g = Int(groupIndex), g >= 0, Optimizer.groupSettings.contains(setting) else {
      throw StateRestoreError("\(name).restore: unexpected number '\(key)' in the state")
    }
    guard g < groups.count else {
      throw StateRestoreError(
        "\(name).restore: the state has '\(key)' but the optimizer has "
          + counted(groups.count, "parameter group"))
    }
  }

  /// The state of each parameter that has a step count: its tensors from `state`, checked
  /// against the parameter's shape and converted to its dtype.
  private func restoredStates(
    from state: TrainingState, steps: [Int: Int]
  ) throws -> [ObjectIdentifier: (parameter: Parameter, state: OptimizerState)] {
    let parameters = self.parameters
    var restored: [ObjectIdentifier: (parameter: Parameter, state: OptimizerState)] = [:]
    for (index, step) in steps.sorted(by: { $0.key < $1.key }) {
      let parameter = parameters[index]
      var tensors: [String: Tensor] = [:]
      for tensorName in stateTensorNames {
        let key = "\(index).\(tensorName)"
        guard let tensor = state.tensors[key] else {
          throw StateRestoreError(
            "\(name).restore: the state has '\(index).step' but no '\(key)'")
        }
        guard tensor.shape == parameter.value.shape else {
          throw StateRestoreError(
            "\(name).restore: '\(key)' has shape \(describe(tensor.shape)) but parameter "
              + "\(index) has shape \(describe(parameter.value.shape))")
        }
        guard tensor.dtype.isFloatingPoint else {
          throw StateRestoreError(
            "\(name).restore: '\(key)' holds \(tensor.dtype) values, not floating point")
        }
        tensors[tensorName] = tensor.detached().converted(to: parameter.value.dtype)
      }
      restored[ObjectIdentifier(parameter)] = (
        parameter, OptimizerState(step: step, tensors: tensors)
      )
    }
    return restored
  }

  /// Checks that every tensor in `state` is one of this optimizer's, of a parameter that has a
  /// step count.
  private func checkTensorKeys(of state: TrainingState, steps: [Int: Int]) throws {
    for key in state.tensors.keys.sorted() {
      let (prefix, tensorName) = splitKey(key)
      guard let index = Int(prefix), stateTensorNames.contains(tensorName) else {
        throw StateRestoreError(
          "\(name).restore: unexpected tensor '\(key)' in the state (\(name) keeps "
            + "\(stateTensorNames.isEmpty ? "no tensors" : stateTensorNames.joined(separator: ", ")))"
        )
      }
      guard steps[index] != nil else {
        throw StateRestoreError("\(name).restore: the state has '\(key)' but no '\(index).step'")
      }
    }
  }
}

/// Splits `"3.exp_avg"` into `("3", "exp_avg")` at the first dot (`(key, "")` without one).
private func splitKey(_ key: String) -> (prefix: String, rest: String) {
  guard let dot = key.firstIndex(of: ".") else { return (key, "") }
  return (String(key[..<dot]), String(key[key.index(after: dot)...]))
}

/// `"1 parameter"`, `"3 parameters"`.
private func counted(_ count: Int, _ noun: String = "parameter") -> String {
  "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// A number from a state as a person would write it: whole numbers without a fraction.
func formatted(_ number: Double) -> String {
  number == number.rounded() && Swift.abs(number) < 1e15 ? String(Int(number)) : String(number)
}
