import Foundation

/// An error reading or writing a file of tensors (`.npy`, `.safetensors`, checkpoints): names
/// the file and says what is wrong and where.
///
/// Files are data from outside the program, so every problem with one (missing, truncated,
/// malformed, written for another model) is reported by throwing this error, never by stopping
/// the process.
///
/// ```swift
/// do {
///   let weights = try Tensor(numpyFile: url)
/// } catch let error as TensorFileError {
///   print(error)  // "/data/w.npy: header byte 21: expected ':' after a key, found 'x'"
/// }
/// ```
public struct TensorFileError: Error, CustomStringConvertible, LocalizedError {
  /// The file that could not be read or written.
  public let url: URL
  /// What is wrong, and where in the file when that is known.
  public let problem: String
  /// The error that caused this one, such as a `StateDictError`, or nil.
  public let underlyingError: (any Error)?

  /// Creates an error about `url`.
  ///
  /// - Parameters:
  ///   - url: The file concerned.
  ///   - problem: What is wrong and where, as a phrase that reads after the path.
  ///   - underlyingError: The error that caused this one, if any.
  public init(url: URL, problem: String, underlyingError: (any Error)? = nil) {
    self.url = url
    self.problem = problem
    self.underlyingError = underlyingError
  }

  /// The path followed by the problem: `/data/model.safetensors: truncated: ...`.
  public var description: String { "\(url.path): \(problem)" }

  /// The same text as `description`, for `localizedDescription`.
  public var errorDescription: String? { description }
}

/// `text` in single quotes for an error message, cut to its first `limit` characters with a
/// count of the rest, so that a hostile file cannot make a message as long as itself:
/// `'abc…' (and 10485757 more characters)`.
package func quotedForError(_ text: some StringProtocol, limit: Int = 100) -> String {
  guard text.count > limit else { return "'\(text)'" }
  return "'\(text.prefix(limit))…' (and \(text.count - limit) more characters)"
}

/// The byte at `index` of a header for an error message: `'x'` when it is printable ASCII,
/// `byte 0xff` otherwise, or `the end of the header` past its end.
func describeByte(in bytes: [UInt8], at index: Int) -> String {
  guard index < bytes.count else { return "the end of the header" }
  let byte = bytes[index]
  return (0x21...0x7E).contains(byte)
    ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
}
