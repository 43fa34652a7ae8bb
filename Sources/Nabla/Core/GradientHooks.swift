#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The hooks registered on one graph node.
struct NodeHooks {
  private var nextID = 0
  private var onGradient: [(id: Int, body: (Tensor) -> Tensor?)] = []
  private var onAccumulated: [(id: Int, body: (Tensor) -> Void)] = []

  /// The gradient after every gradient hook, in the order they were registered, has seen it
  /// (and possibly replaced it).
  func transform(_ gradient: Tensor, shape: [Int]) -> Tensor {
    var result = gradient
    for hook in onGradient {
      guard let replaced = hook.body(result) else { continue }
      require(
        replaced.shape == shape && replaced.dtype == gradient.dtype,
        "gradient hook: returned a \(replaced.dtype) gradient of shape \(describe(replaced.shape)) "
          + "for a \(gradient.dtype) tensor of shape \(describe(shape))")
      result = replaced.detached()
    }
    return result
  }

  /// Tells the accumulation hooks that a leaf's gradient is now `gradient`.
  func accumulated(_ gradient: Tensor) {
    for hook in onAccumulated { hook.body(gradient) }
  }

  mutating func add(gradientHook body: @escaping (Tensor) -> Tensor?) -> Int {
    nextID += 1
    onGradient.append((nextID, body))
    return nextID
  }

  mutating func add(accumulationHook body: @escaping (Tensor) -> Void) -> Int {
    nextID += 1
    onAccumulated.append((nextID, body))
    return nextID
  }

  mutating func remove(_ id: Int) {
    onGradient.removeAll { $0.id == id }
    onAccumulated.removeAll { $0.id == id }
  }
}

/// A registered gradient hook; `remove()` unregisters it.
///
/// Hooks live on the tensor's node in the graph. They stay when an optimizer assigns new values
/// to a parameter, and are dropped with the node when the tensor stops requiring gradients (for
/// example when a parameter is frozen or converted to another dtype).
public final class GradientHookHandle: @unchecked Sendable {
  private weak var node: GradNode?
  private let id: Int

  init(node: GradNode, id: Int) {
    self.node = node
    self.id = id
  }

  /// Unregisters the hook; later backward passes no longer call it.
  public func remove() { node?.hooks.remove(id) }
}

extension Tensor {
  /// Registers `hook` to run each time a backward pass computes the gradient with respect to
  /// this tensor, as PyTorch's `Tensor.register_hook`.
  ///
  /// The hook receives the gradient before it flows on (to the inputs of the op that made this
  /// tensor, or into a leaf's `grad`). Returning a tensor of the same shape and dtype replaces
  /// the gradient; returning nil keeps it. Hooks run in the order they were registered, with
  /// recording off.
  ///
  /// ```swift
  /// let h = x.matmul(w)
  /// let handle = h.registerGradientHook { gradient in gradient * 0.5 }  // halve it
  /// h.sum().backward()
  /// handle.remove()
  /// ```
  ///
  /// - Parameter hook: Reads the gradient and returns a replacement or nil.
  /// - Returns: A handle whose `remove()` unregisters the hook.
  @discardableResult
  public func registerGradientHook(_ hook: @escaping (Tensor) -> Tensor?) -> GradientHookHandle {
    guard let node else {
      stop("registerGradientHook: the tensor does not require gradients, so it never gets one")
    }
    return GradientHookHandle(node: node, id: node.hooks.add(gradientHook: hook))
  }

  /// Registers `hook` to run each time a backward pass has added a gradient into this leaf's
  /// `grad`, as PyTorch's `register_post_accumulate_grad_hook`.
  ///
  /// The hook receives the accumulated gradient (the new value of `grad`). Distributed data
  /// parallelism uses it to start sending a parameter's gradient while backward goes on.
  ///
  /// - Parameter hook: Reads the accumulated gradient.
  /// - Returns: A handle whose `remove()` unregisters the hook.
  @discardableResult
  public func registerPostAccumulateGradientHook(_ hook: @escaping (Tensor) -> Void)
    -> GradientHookHandle
  {
    guard let node, node.isLeaf else {
      stop(
        "registerPostAccumulateGradientHook: only a leaf that requires gradients accumulates "
          + "one (this tensor is \(node == nil ? "not tracked" : "the result of '\(node!.op)'"))")
    }
    return GradientHookHandle(node: node, id: node.hooks.add(accumulationHook: hook))
  }

  /// Queues `body` to run once when the backward pass now running on this thread has finished
  /// writing every gradient, as PyTorch's engine callbacks. Call it from a gradient hook.
  ///
  /// - Parameter body: Runs after the last gradient is accumulated, with recording off.
  public static func whenBackwardFinishes(_ body: @escaping () -> Void) {
    guard let queue = BackwardCallbacks.current else {
      stop("whenBackwardFinishes: no backward pass is running on this thread (call it from a hook)")
    }
    queue.callbacks.append(body)
  }
}

extension Parameter {
  /// Registers `hook` to run each time a backward pass has added a gradient into this
  /// parameter's `grad`; see `Tensor.registerPostAccumulateGradientHook(_:)`.
  ///
  /// ```swift
  /// layer.weight.registerPostAccumulateGradientHook { gradient in print(gradient.shape) }
  /// ```
  @discardableResult
  public func registerPostAccumulateGradientHook(_ hook: @escaping (Tensor) -> Void)
    -> GradientHookHandle
  {
    value.registerPostAccumulateGradientHook(hook)
  }
}

/// The callbacks queued during the backward pass running on a thread (a thread-local stack, so
/// a backward pass inside a hook keeps its own).
final class BackwardCallbacks {
  var callbacks: [() -> Void] = []

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  static var current: BackwardCallbacks? {
    pthread_getspecific(key).map {
      Unmanaged<BackwardCallbacks>.fromOpaque($0).takeUnretainedValue()
    }
  }

  /// Runs `body` (the backward pass) with recording off and a fresh queue, then the callbacks
  /// it queued, in order.
  static func run(_ body: () -> Void) {
    let queue = BackwardCallbacks()
    let previous = pthread_getspecific(key)
    pthread_setspecific(key, Unmanaged.passUnretained(queue).toOpaque())
    withExtendedLifetime(queue) {
      withoutGradients {
        body()
        var index = 0
        while index < queue.callbacks.count {  // a callback may queue another
          queue.callbacks[index]()
          index += 1
        }
      }
    }
    pthread_setspecific(key, previous)
  }
}
