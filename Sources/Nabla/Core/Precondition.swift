/// Stops the program with `message` when `condition` is false.
///
/// Unlike `precondition`, the message is printed in optimized builds too: a user who passes the
/// wrong shapes always learns which op and which shapes.
@inline(__always)
package func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  if !condition() { fatalError(message()) }
}

/// Formats a shape the way error messages and descriptions show it: `[2, 3]`.
package func describe(_ shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
