import Foundation

/// A destination for the scalars of a training run (losses, accuracies, learning rates), one
/// value of one named series at one step at a time.
///
/// `CSVLogger`, `JSONLinesLogger` and `TensorBoardLogger` conform. Writes are buffered and
/// flushed at least once a second; `close()` flushes and closes the file.
///
/// ```swift
/// let log = try CSVLogger(path: "runs/a/scalars.csv")
/// for step in 1...steps {
///   try log.log("loss", loss, step: step)
/// }
/// try log.close()
/// ```
public protocol ScalarLogger: AnyObject {
  /// Records `value` for the series `name` at `step`.
  ///
  /// - Parameters:
  ///   - name: The series, such as "loss" or "test/accuracy".
  ///   - value: Its value at `step`.
  ///   - step: The training step (or epoch) the value belongs to.
  /// - Throws: `LogFileError` when the file cannot be written or was closed.
  func log(_ name: String, _ value: Double, step: Int) throws

  /// Writes everything buffered to the file.
  func flush() throws

  /// Flushes and closes the file. Later calls do nothing; later `log` calls throw.
  func close() throws
}

extension ScalarLogger {
  /// Records several series at one step, in the order given.
  ///
  /// ```swift
  /// try log.log(["loss": 0.31, "accuracy": 91.5], step: 100)
  /// ```
  public func log(_ values: KeyValuePairs<String, Double>, step: Int) throws {
    for (name, value) in values { try log(name, value, step: step) }
  }
}

/// Writes scalars to a CSV file with the header `step,name,value`, one row per value.
///
/// A name holding a comma, a double quote or a line break is quoted, its quotes doubled
/// (RFC 4180). Values are written in the shortest form that reads back exactly (`0.1`,
/// `1e-05`, `nan`, `inf`).
public final class CSVLogger: ScalarLogger {
  private let file: LogFile

  /// Creates (or truncates) the CSV file at `url` and writes its header.
  ///
  /// - Throws: `LogFileError` when the file cannot be created.
  public init(url: URL) throws {
    file = try LogFile(url: url)
    try file.append(Array("step,name,value\n".utf8))
  }

  /// Creates (or truncates) the CSV file at `path` and writes its header.
  public convenience init(path: String) throws {
    try self.init(url: URL(fileURLWithPath: path))
  }

  /// The file written.
  public var url: URL { file.url }

  public func log(_ name: String, _ value: Double, step: Int) throws {
    try file.append(Array("\(step),\(Self.field(name)),\(value)\n".utf8))
  }

  public func flush() throws { try file.flush() }

  public func close() throws { try file.close() }

  /// `text` as one CSV field: quoted when it holds a separator, a quote or a line break.
  static func field(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

/// Writes scalars to a JSON Lines file, one object per line:
/// `{"step":100,"name":"loss","value":0.31}`.
///
/// Names are escaped as JSON strings; a value that is not finite (NaN, infinity), which JSON
/// cannot express, is written as `null`.
public final class JSONLinesLogger: ScalarLogger {
  private let file: LogFile

  /// Creates (or truncates) the JSON Lines file at `url`.
  ///
  /// - Throws: `LogFileError` when the file cannot be created.
  public init(url: URL) throws {
    file = try LogFile(url: url)
  }

  private var quotedNames: [String: String] = [:]

  /// Creates (or truncates) the JSON Lines file at `path`.
  public convenience init(path: String) throws {
    try self.init(url: URL(fileURLWithPath: path))
  }

  /// The file written.
  public var url: URL { file.url }

  public func log(_ name: String, _ value: Double, step: Int) throws {
    let number = value.isFinite ? "\(value)" : "null"
    let line = "{\"step\":\(step),\"name\":\(quoted(name)),\"value\":\(number)}\n"
    try file.append(Array(line.utf8))
  }

  public func flush() throws { try file.flush() }

  public func close() throws { try file.close() }

  /// `text` as a JSON string literal, escaped by Foundation's encoder and kept per name.
  private func quoted(_ text: String) -> String {
    if let quoted = quotedNames[text] { return quoted }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .withoutEscapingSlashes
    // Encoding a string cannot fail; the fallback keeps the line valid JSON all the same.
    let quoted = (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    quotedNames[text] = quoted
    return quoted
  }
}
