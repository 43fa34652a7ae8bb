import Foundation
import Nabla
import NablaNN

/// Trains one model replica per process on its share of each batch, keeping the replicas equal,
/// as PyTorch's `DistributedDataParallel`.
///
/// At construction every rank takes rank 0's parameters and buffers. After each `backward()`
/// every rank holds the mean of all ranks' gradients, so identical optimizers keep identical
/// parameters. The gradients travel in buckets of about `bucketCapacity` bytes: a bucket is sent
/// with one non-blocking all-reduce as soon as backward has accumulated all of its gradients
/// (through post-accumulate gradient hooks), so the communication overlaps the rest of the
/// backward pass. Buckets fill in the reverse order of `parameters()`, which is roughly the
/// order backward reaches them, and are sent in that order on every rank.
///
/// ```swift
/// let world = ProcessGroup.world
/// let model = DistributedDataParallel(makeModel())
/// let optimizer = Adam(model.module.parameters(), learningRate: 1e-3)
/// for (x, y) in shard {
///   optimizer.zeroGradients()
///   crossEntropy(model(x), classIndices: y).backward()  // gradients are averaged over the ranks here
///   optimizer.step()
/// }
/// ```
///
/// Every rank must run the same number of backward passes with syncing on. Inside ``noSync(_:)``
/// gradients only accumulate locally (gradient accumulation over micro-batches); the next
/// backward outside it averages the accumulated sums.
public final class DistributedDataParallel<Model: Module>: @unchecked Sendable {
  /// The wrapped model; its parameters are the ones to optimize.
  public let module: Model
  /// The processes that share the training.
  public let group: ProcessGroup
  /// The largest size of a bucket of gradients, in bytes.
  public let bucketCapacity: Int
  /// The size of the first bucket of each dtype in bytes.
  public let firstBucketCapacity: Int
  /// The names of the parameters whose gradients each bucket carries, in the order the buckets
  /// are sent (the parameters in reverse order, as backward reaches them).
  public var bucketParameterNames: [[String]] { buckets.map { $0.slots.map(\.name) } }
  /// Whether parameters may get no gradient in a step (PyTorch's `find_unused_parameters`).
  public let findsUnusedParameters: Bool
  /// Whether buckets are sent during backward (true) or all after it.
  public let overlapsCommunication: Bool
  /// Whether `callAsFunction` first gives every rank rank 0's buffers, as PyTorch's
  /// `broadcast_buffers`.
  public let broadcastsBuffers: Bool

  private let buckets: [GradientBucket]
  private var isSyncing = true
  private var stepIsRunning = false
  private var nextToLaunch = 0
  private var hooks: [GradientHookHandle] = []
  /// Whether a progress thread is testing the buckets in flight (guarded by the MPI lock).
  private var isProgressing = false

  /// Wraps `module`, giving every rank rank 0's parameters and buffers.
  ///
  /// - Parameters:
  ///   - module: The model; every rank must build the same architecture.
  ///   - group: The processes to average over.
  ///   - bucketCapacity: The size of a bucket of gradients in bytes (25 MiB by default).
  ///   - firstBucketCapacity: The size of the first bucket (of each dtype), sent first, in bytes
  ///     (1 MiB by default, as PyTorch's): a small first bucket starts the communication early
  ///     in backward.
  ///   - findsUnusedParameters: Allow parameters that get no gradient in a step: they count as
  ///     zero on this rank, and a parameter no rank used keeps its gradient as it was. Costs one
  ///     small extra all-reduce per step. Without it, such a parameter stops the job naming it.
  ///   - overlapsCommunication: Send buckets during backward (the default) or all after it.
  ///   - broadcastsBuffers: Give every rank rank 0's buffers at each call of the model.
  public init(
    _ module: Model, group: ProcessGroup = .world, bucketCapacity: Int = 25 * 1024 * 1024,
    firstBucketCapacity: Int = 1024 * 1024, findsUnusedParameters: Bool = false,
    overlapsCommunication: Bool = true,
    broadcastsBuffers: Bool = true
  ) {
    require(
      bucketCapacity > 0 && firstBucketCapacity > 0,
      "DistributedDataParallel: the bucket capacities must be positive, got \(bucketCapacity) "
        + "and \(firstBucketCapacity) (first)")
    self.module = module
    self.group = group
    self.bucketCapacity = bucketCapacity
    self.firstBucketCapacity = firstBucketCapacity
    self.findsUnusedParameters = findsUnusedParameters
    self.overlapsCommunication = overlapsCommunication
    self.broadcastsBuffers = broadcastsBuffers
    let trainable = module.namedParameters().filter { !$0.parameter.isFrozen }
    buckets = makeBuckets(
      trainable.reversed(), capacity: bucketCapacity, firstCapacity: firstBucketCapacity)
    checkReplicas()
    for parameter in module.parameters() {
      parameter.assign(group.broadcast(parameter.value, from: 0))
    }
    synchronizeBuffers()
    for (bucketIndex, bucket) in buckets.enumerated() {
      for slotIndex in bucket.slots.indices {
        hooks.append(
          bucket.slots[slotIndex].parameter.registerPostAccumulateGradientHook {
            [unowned self] gradient in
            self.gradientIsReady(gradient, bucket: bucketIndex, slot: slotIndex)
          })
      }
    }
  }

  deinit { hooks.forEach { $0.remove() } }

  /// Runs the model on this rank's part of the batch (after giving every rank rank 0's buffers,
  /// when `broadcastsBuffers`).
  public func callAsFunction(_ input: Tensor) -> Tensor {
    if broadcastsBuffers { synchronizeBuffers() }
    return module(input)
  }

  /// Runs `body` with gradient averaging off: backward passes inside only accumulate into this
  /// rank's gradients, as PyTorch's `no_sync()`.
  ///
  /// ```swift
  /// model.noSync { for micro in microBatches.dropLast() { loss(micro).backward() } }
  /// loss(microBatches.last!).backward()  // averages the accumulated gradients
  /// ```
  public func noSync<Result>(_ body: () throws -> Result) rethrows -> Result {
    let previous = isSyncing
    isSyncing = false
    defer { isSyncing = previous }
    return try body()
  }

  /// Gives every rank rank 0's buffers (running statistics).
  public func synchronizeBuffers() {
    guard group.size > 1 else { return }
    for (_, buffer) in module.namedBuffers() {
      buffer.value = group.broadcast(buffer.value, from: 0)
    }
  }

  /// Stops every rank when the replicas' parameters differ in count, shapes or dtypes.
  private func checkReplicas() {
    guard let communicator = group.communicator else { return }
    let parameters = module.parameters()
    let shape = [
      parameters.count, parameters.reduce(0) { $0 + $1.value.scalarCount }, buckets.count,
    ]
    communicator.serialized {
      communicator.checkAgreement(
        CollectiveSignature(op: "DistributedDataParallel bucket", dtype: nil, shape: shape))
    }
  }

  // MARK: - One step's communication

  /// A parameter's gradient is accumulated: copy it into its bucket and send every bucket that
  /// is ready, in order.
  private func gradientIsReady(_ gradient: Tensor, bucket: Int, slot: Int) {
    guard isSyncing else { return }
    if !stepIsRunning {
      stepIsRunning = true
      Tensor.whenBackwardFinishes { [unowned self] in self.finishStep() }
    }
    buckets[bucket].fill(slot, with: gradient)
    guard overlapsCommunication else { return }
    launchReadyBuckets()
  }

  /// Starts the all-reduce of consecutive ready buckets from the next one not yet sent.
  private func launchReadyBuckets() {
    while nextToLaunch < buckets.count, buckets[nextToLaunch].isReady {
      launch(buckets[nextToLaunch])
      nextToLaunch += 1
    }
  }

  private func launch(_ bucket: GradientBucket) {
    guard let communicator = group.communicator else {
      bucket.isLaunched = true
      return
    }
    communicator.serialized {
      bucket.isLaunched = true
      let library = communicator.library
      require(
        bucket.count <= ProcessGroup.maximumCount,
        "DistributedDataParallel: a bucket of \(bucket.count) elements is past MPI's count limit; "
          + "lower bucketCapacity")
      let type = bucket.dtype.mpiType(in: library)
      guard overlapsCommunication else {
        // After backward there is nothing to overlap: the blocking call is the faster one. (A
        // blocking collective never matches a non-blocking one, so the choice is per model,
        // the same on every rank.)
        communicator.check(
          "DistributedDataParallel",
          library.allReduce(
            MPILibrary.inPlace, bucket.base, Int32(bucket.count), type, library.sum,
            communicator.handle))
        return
      }
      communicator.check(
        "DistributedDataParallel",
        library.startAllReduce(
          MPILibrary.inPlace, bucket.base, Int32(bucket.count), type, library.sum,
          communicator.handle, &bucket.request))
      if overlapsCommunication && !isProgressing {
        isProgressing = true
        Thread { self.progressUntilDone(communicator) }.start()  // holds self until done
      }
    }
  }

  /// Tests every bucket in flight once and returns whether any is still running. MPI moves a
  /// non-blocking collective along only inside its calls; call with the lock held.
  private func progress(_ communicator: Communicator) -> Bool {
    var running = false
    for bucket in buckets where bucket.isLaunched && bucket.request != nil {
      var done: Int32 = 0
      communicator.check(
        "DistributedDataParallel", communicator.library.test(&bucket.request, &done, nil))
      running = running || done == 0
    }
    return running
  }

  /// The progress thread's loop while buckets are in flight during backward: test them every
  /// few microseconds, so that they move while the backward pass computes.
  private func progressUntilDone(_ communicator: Communicator) {
    while true {
      let running = communicator.serialized {
        let running = progress(communicator)
        if !running { isProgressing = false }
        return running
      }
      guard running else { return }
      usleep(20)
    }
  }

  /// After backward: fill what got no gradient, send the rest, wait, and write the averages.
  private func finishStep() {
    stepIsRunning = false
    var used = fillUnused()
    for bucket in buckets[nextToLaunch...] { launch(bucket) }
    nextToLaunch = 0
    if findsUnusedParameters {  // after every bucket, so that all ranks call in one order
      let mask = Tensor(indices: used.map { $0 ? 1 : 0 })
      used = [Int](group.allReduce(mask, .max)).map { $0 != 0 }
    }
    if let communicator = group.communicator {
      communicator.serialized {
        for bucket in buckets where bucket.request != nil {
          communicator.wait(
            &bucket.request, op: "DistributedDataParallel",
            timeoutMessage: "DistributedDataParallel waited \(Int(ProcessGroup.timeout)) s for a "
              + "bucket of gradients: a rank stopped, or ran a different number of backward passes")
        }
        buckets.forEach { $0.endCommunication() }
      }
    } else {
      buckets.forEach { $0.endCommunication() }
    }
    var index = 0
    for bucket in buckets {
      for slot in bucket.slots.indices {
        if used[index] {
          bucket.slots[slot].parameter.grad = bucket.gradient(slot, dividedBy: group.size)
        }
        index += 1
      }
      bucket.reset()
    }
  }

  /// Fills the slots of parameters that got no gradient with zeros and returns, per slot in
  /// bucket order, whether this rank gave the parameter a gradient.
  private func fillUnused() -> [Bool] {
    let slots = buckets.flatMap { bucket in bucket.slots.map { (bucket, $0) } }
    let localUse = slots.map { $0.1.isFilled }
    let missing = slots.filter { !$0.1.isFilled }.map(\.1.name)
    if !missing.isEmpty && !findsUnusedParameters {
      stop(
        "DistributedDataParallel: parameters got no gradient in this backward pass: "
          + missing.joined(separator: ", ") + "; pass findsUnusedParameters: true if the model "
          + "does not use every parameter in every step")
    }
    for bucket in buckets {
      for slot in bucket.slots.indices where !bucket.slots[slot].isFilled {
        bucket.fill(slot, with: nil)
      }
    }
    return localUse
  }
}
