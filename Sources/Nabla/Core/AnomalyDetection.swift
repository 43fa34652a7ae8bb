import CNablaKernels

/// Runs `body` checking every op for NaN and infinity, as PyTorch's
/// `torch.autograd.detect_anomaly()`, and stops the program at the first op that makes one.
///
/// While it is on, the result of every op and every gradient that `backward()` computes is
/// checked. The first NaN or infinity stops the program with the op's name, its input shapes,
/// whether it came from the forward or the backward pass, and where in your code the op was
/// recorded (with the layers it was called through), as far as a backtrace tells. Put the
/// forward pass inside too, so that a backward anomaly can name the line that recorded its op.
///
/// ```swift
/// detectingAnomalies {
///   let loss = crossEntropy(model(x), classIndices: labels)
///   loss.backward()  // stops at, say: the backward of 'log' made NaN ... recorded at main.swift:12
/// }
/// ```
///
/// Checking reads every result and takes a backtrace per op, so it is for finding a NaN, not for
/// training at speed. Off, it costs one thread-local read per op. The scope is per thread.
public func detectingAnomalies<Result>(_ body: () throws -> Result) rethrows -> Result {
  let depth = nabla_anomaly_depth()
  nabla_set_anomaly_depth(depth + 1)
  defer { nabla_set_anomaly_depth(depth) }
  return try body()
}

/// Whether ops on this thread are checked for NaN and infinity (inside `detectingAnomalies`).
public var isDetectingAnomalies: Bool { nabla_anomaly_depth() > 0 }

/// What anomaly detection keeps of a recorded op, to say where it came from if its backward
/// makes a NaN or an infinity.
struct RecordedOrigin {
  /// The shapes of the op's inputs.
  let inputShapes: [[Int]]
  /// The stack when the op was recorded.
  let callSite: CallSite
}

/// The checks of `detectingAnomalies`.
enum AnomalyDetection {
  /// Runs `body` (a backward rule) with the forward checks off, so that a NaN the rule makes is
  /// reported as the rule's, not as one of the ops it is built from.
  static func suspended<Result>(_ body: () -> Result) -> Result {
    let depth = nabla_anomaly_depth()
    nabla_set_anomaly_depth(0)
    defer { nabla_set_anomaly_depth(depth) }
    return body()
  }

  /// Stops the program if `result` of the op `op` holds a NaN or an infinity; otherwise returns
  /// what the op's node keeps for the backward check.
  static func checkForward(_ op: String, _ result: Tensor, _ inputs: [Tensor]) -> RecordedOrigin {
    let callSite = CallSite()
    if let found = firstNonfinite(in: result) {
      let fromInputs = inputs.indices.filter { firstNonfinite(in: inputs[$0]) != nil }
      let cause =
        fromInputs.isEmpty
        ? "" : "; input \(fromInputs.map(String.init).joined(separator: ", ")) already held one"
      stop(
        "detectingAnomalies: '\(op)' made \(found) in its forward result (shape "
          + "\(describe(result.shape)); inputs of shapes "
          + "\(inputs.map { describe($0.shape) }.joined(separator: ", "))\(cause))"
          + context(callSite))
    }
    return RecordedOrigin(inputShapes: inputs.map(\.shape), callSite: callSite)
  }

  /// Stops the program if a gradient that the backward rule of `node` computed holds a NaN or an
  /// infinity.
  static func checkBackward(_ node: GradNode, _ gradients: [Tensor?]) {
    for (index, gradient) in gradients.enumerated() {
      guard let gradient, let found = firstNonfinite(in: gradient) else { continue }
      let shapes = node.origin.map { " (the op's inputs had shapes " + shapeList($0) + ")" } ?? ""
      let origin =
        node.origin.map { origin in
          (origin.callSite.userFrame.map {
            "; the op was recorded at \($0.position) (in \($0.function))"
          } ?? "")
            + context(origin.callSite)
        } ?? "; run the forward pass inside detectingAnomalies too to learn where it was recorded"
      stop(
        "detectingAnomalies: the backward of '\(node.op)' made \(found) in the gradient of its "
          + "input \(index) (shape \(describe(gradient.shape)))\(shapes)\(origin)")
    }
  }

  private static func shapeList(_ origin: RecordedOrigin) -> String {
    origin.inputShapes.map(describe).joined(separator: ", ")
  }

  /// The layers the op was called through, for a message.
  private static func context(_ callSite: CallSite) -> String {
    let layers = callSite.layers
    return layers.isEmpty ? "" : ", inside " + layers.joined(separator: " in ")
  }

  /// "NaN" or "infinity" for the first such element of a floating-point tensor, or nil.
  static func firstNonfinite(in tensor: Tensor) -> String? {
    func scan<Scalar: BinaryFloatingPoint>(_ type: Scalar.Type) -> String? {
      tensor.withUnsafeBufferPointer(as: type) { elements in
        guard let bad = elements.first(where: { !$0.isFinite }) else { return nil }
        return bad.isNaN ? "NaN" : "infinity"
      }
    }
    switch tensor.dtype {
    case .float32: return scan(Float.self)
    case .float64: return scan(Double.self)
    case .float16, .bfloat16: return firstNonfinite(in: tensor.converted(to: .float32))
    case .int64, .int32, .uint8, .int8, .bool: return nil
    }
  }
}
