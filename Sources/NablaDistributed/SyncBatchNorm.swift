import Nabla
import NablaNN

/// A process group's differentiable sum, the statistics exchange of synchronized batch
/// normalization.
final class GroupSum: CrossProcessSum, @unchecked Sendable {
  let group: ProcessGroup

  init(group: ProcessGroup) { self.group = group }

  func sum(_ tensor: Tensor) -> Tensor {
    Tensor.customOperation(
      "SyncBatchNorm statistics", inputs: [tensor],
      forward: { [group] in group.allReduce($0[0], .sum) },
      backward: { [group] gradient, _, _ in [group.allReduce(gradient, .sum)] })
  }
}

extension BatchNormalization {
  /// Makes the layer normalize with the statistics of the batch of every process in `group`
  /// when training, as PyTorch's `SyncBatchNorm`, and returns it.
  ///
  /// The layer's forward and backward each exchange per-channel sums with every rank, so every
  /// rank must call it in the same order. Evaluation still uses the running statistics, which
  /// all ranks update alike.
  ///
  /// ```swift
  /// let norm = BatchNorm2D(64).synchronized(over: .world)
  /// ```
  @discardableResult
  public func synchronized(over group: ProcessGroup) -> Self {
    crossProcessSum = GroupSum(group: group)
    return self
  }
}

/// Makes every batch normalization layer in `model` normalize with the statistics of the batch
/// of every process in `group` when training, as PyTorch's `SyncBatchNorm.convert_sync_batchnorm`,
/// and returns the model. Call it before wrapping the model in `DistributedDataParallel`.
///
/// ```swift
/// let model = DistributedDataParallel(convertSyncBatchNorm(makeResNet()))
/// ```
///
/// - Parameters:
///   - model: The model; its layers are changed in place.
///   - group: The processes that share each batch.
@discardableResult
public func convertSyncBatchNorm<Model: Module>(_ model: Model, group: ProcessGroup = .world)
  -> Model
{
  for (_, module) in model.namedModules() {
    (module as? BatchNormalization)?.synchronized(over: group)
  }
  return model
}
