import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes scalars to a TensorBoard event file, which `tensorboard --logdir DIRECTORY` shows.
///
/// The file, `events.out.tfevents.<unix time>.<hostname>` inside `directory`, starts with an
/// event that names the format (`brain.Event:2`); each `log` call appends one event holding one
/// scalar. Values are stored as 32-bit floats, as TensorBoard stores them.
///
/// ```swift
/// let board = try TensorBoardLogger(directory: "runs/cnn-seed0")
/// try board.log("train/loss", loss, step: step)
/// try board.close()
/// ```
public final class TensorBoardLogger: ScalarLogger {
  private let file: LogFile
  private let clock: () -> Double

  /// Creates `directory` (and its parents) if needed and a new event file inside it.
  ///
  /// - Parameter directory: The run's log directory; TensorBoard shows each directory under
  ///   its `--logdir` as one run.
  /// - Throws: `LogFileError` when the directory or the file cannot be created.
  public convenience init(directory: URL) throws {
    try self.init(directory: directory, clock: { Date().timeIntervalSince1970 })
  }

  /// Creates `directory` (and its parents) if needed and a new event file inside it.
  public convenience init(directory: String) throws {
    try self.init(directory: URL(fileURLWithPath: directory))
  }

  /// Creates the event file, taking wall times from `clock` (seconds since the Unix epoch).
  init(directory: URL, clock: @escaping () -> Double) throws {
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw LogFileError(
        url: directory, problem: "cannot be created: \(error.localizedDescription)")
    }
    self.clock = clock
    let start = clock()
    let name = "events.out.tfevents.\(Int(start)).\(Self.hostName())"
    file = try Self.createFile(named: name, in: directory)
    let header = TensorBoardEvent(wallTime: start, step: 0, fileVersion: "brain.Event:2")
    try file.append(EventRecord.framed(header.encoded))
    try file.flush()
  }

  /// The event file written.
  public var url: URL { file.url }

  public func log(_ name: String, _ value: Double, step: Int) throws {
    let event = TensorBoardEvent(
      wallTime: clock(), step: Int64(step), scalars: [.init(tag: name, value: Float(value))])
    try file.append(EventRecord.framed(event.encoded))
  }

  public func flush() throws { try file.flush() }

  public func close() throws { try file.close() }

  /// The events of the TensorBoard file at `url`, both checksums of every record verified.
  ///
  /// - Throws: `LogFileError` naming the file and the byte offset of what is wrong.
  static func events(inFile url: URL) throws -> [TensorBoardEvent] {
    let bytes: [UInt8]
    do {
      bytes = Array(try Data(contentsOf: url))
    } catch {
      throw LogFileError(url: url, problem: "cannot be read: \(error.localizedDescription)")
    }
    let records: [ArraySlice<UInt8>]
    do {
      records = try EventRecord.records(in: bytes)
    } catch let error as ProtobufError {
      throw LogFileError(url: url, problem: error.description)
    }
    return try records.map { record in
      do {
        return try TensorBoardEvent(decoding: record)
      } catch let error as ProtobufError {
        let start = record.startIndex - 12
        throw LogFileError(url: url, problem: "the event at byte \(start): \(error.description)")
      }
    }
  }

  /// A fresh file named `name` in `directory`, or `name.1`, `name.2`, ... when another logger
  /// took that name in the same second.
  private static func createFile(named name: String, in directory: URL) throws -> LogFile {
    for attempt in 0..<100 {
      let url = directory.appendingPathComponent(attempt == 0 ? name : "\(name).\(attempt)")
      do {
        return try LogFile(url: url, exclusive: true)
      } catch _ where FileManager.default.fileExists(atPath: url.path) {
        continue
      }
    }
    throw LogFileError(
      url: directory.appendingPathComponent(name), problem: "exists, as do 99 variants")
  }

  /// This machine's name, as TensorBoard's own writers put in their file names.
  private static func hostName() -> String {
    var name = [CChar](repeating: 0, count: 256)
    guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
    let text = String(
      decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.isEmpty ? "localhost" : text.replacingOccurrences(of: "/", with: "_")
  }
}
