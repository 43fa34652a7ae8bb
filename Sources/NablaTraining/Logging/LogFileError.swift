import Foundation

/// An error writing or reading a log file (CSV, JSON Lines, TensorBoard events) or a plot: names
/// the file and says what is wrong.
///
/// Log files live outside the program, so every problem with one (a missing directory, a full
/// disk, a corrupt record) is thrown as this error, never a crash.
///
/// ```swift
/// do {
///   let log = try CSVLogger(path: "/no/such/dir/loss.csv")
/// } catch let error as LogFileError {
///   print(error)  // "/no/such/dir/loss.csv: cannot be opened for writing: No such file ..."
/// }
/// ```
public struct LogFileError: Error, CustomStringConvertible, LocalizedError {
  /// The file concerned.
  public let url: URL
  /// What is wrong, and where in the file when that is known.
  public let problem: String

  /// Creates an error about `url`.
  ///
  /// - Parameters:
  ///   - url: The file concerned.
  ///   - problem: What is wrong, as a phrase that reads after the path.
  public init(url: URL, problem: String) {
    self.url = url
    self.problem = problem
  }

  /// The path followed by the problem: `/runs/a/loss.csv: cannot be written: No space left`.
  public var description: String { "\(url.path): \(problem)" }

  /// The same text as `description`, for `localizedDescription`.
  public var errorDescription: String? { description }
}
