#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Stops the program with `message` when `condition` is false.
///
/// Unlike `precondition`, the message is printed in optimized builds too: a user who passes the
/// wrong shapes always learns which op and which shapes.
@inline(__always)
package func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  if !condition() { stop(message()) }
}

/// Stops the program for a programmer error (wrong shapes, a wrong dtype, a NaN under
/// `detectingAnomalies`), with a first line that names the user's line where it is known.
///
/// Standard output is flushed first, so that nothing printed earlier is lost in a pipe. Then
/// `path:line: Fatal error: message` names the caller's line (found in a backtrace: see
/// `CallSite`), and Swift's own fatal error follows with its backtrace.
package func stop(_ message: String) -> Never {
  fflush(nil)  // every output stream, standard output among them
  if let caller = CallSite().userFrame {
    var line = Array("\(caller.position): Fatal error: \(message)\n".utf8)
    _ = write(2, &line, line.count)
    fatalError("Nabla stopped at the error above, called from \(caller.function)")
  }
  fatalError(message)
}

/// Formats a shape the way error messages and descriptions show it: `[2, 3]`.
package func describe(_ shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

extension Tensor {
  /// Stops unless the tensor holds numbers that arithmetic works on, float32 or float64 (`op`,
  /// for the message, is only evaluated then).
  package func requireFloatingPoint(_ op: @autoclosure () -> String) {
    guard !dtype.supportsArithmetic else { return }
    stop(
      "\(op()): expected a float32 or float64 tensor, got \(dtype) of shape \(describe(shape))"
        + (dtype.isFloatingPoint
          ? "; \(dtype) tensors are stored, not computed on: convert with converted(to: .float32)"
          : ""))
  }

  /// Stops unless both operands are floating point of the same dtype.
  static func requireMatching(_ a: Tensor, _ b: Tensor, _ op: @autoclosure () -> String) {
    a.requireFloatingPoint(op())
    b.requireFloatingPoint(op())
    require(
      a.dtype == b.dtype,
      "\(op()): dtypes \(a.dtype) and \(b.dtype) do not match (shapes \(describe(a.shape)) and "
        + "\(describe(b.shape))); convert one with converted(to:)")
  }
}
