/// A snapshot of what a model, optimizer or schedule needs to continue exactly where it was:
/// named tensors (weights, moments) and named numbers (step counts, learning rates).
///
/// `Checkpoint` writes several of them into one file; names are prefixed by their owner.
public struct TrainingState {
  /// Tensors by name, such as `layers.0.weight` or `3.exp_avg`.
  public var tensors: [String: Tensor]
  /// Numbers by name, such as `step` or `group.0.learning_rate`. Integers up to 2⁵³ are exact.
  public var values: [String: Double]

  /// Creates a state from tensors and numbers.
  public init(tensors: [String: Tensor] = [:], values: [String: Double] = [:]) {
    self.tensors = tensors
    self.values = values
  }
}

/// Something whose state can be saved into a checkpoint and restored from one: modules,
/// optimizers and learning-rate schedules.
public protocol Checkpointable: AnyObject {
  /// The state to save.
  func checkpointState() -> TrainingState
  /// Restores a state produced by `checkpointState()`; throws when it does not fit (missing
  /// entries, wrong shapes) without changing anything.
  func restore(from state: TrainingState) throws
}
