import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The text of a C library error code, as in "No such file or directory".
private func errorText(_ code: Int32) -> String {
  guard let text = strerror(code) else { return "error \(code)" }
  return String(cString: text)
}

/// A file that a log appends bytes to: buffered in memory, written out when the buffer grows
/// large or a second has passed since the last write, and on `flush` and `close`.
///
/// Every failure throws a `LogFileError` naming the file. A file not closed is flushed and
/// closed when the last reference goes, ignoring errors that no one could catch there.
final class LogFile {
  /// The file being written.
  let url: URL
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private var lastWrite: Date
  private let flushInterval: TimeInterval
  private static let bufferLimit = 1 << 16

  /// Creates (or truncates) the file at `url`; with `exclusive`, throws if it exists already.
  init(url: URL, exclusive: Bool = false, flushInterval: TimeInterval = 1) throws {
    guard url.isFileURL else {
      throw LogFileError(url: url, problem: "is not a file URL")
    }
    let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
    let descriptor = url.withUnsafeFileSystemRepresentation { path in
      path.map { open($0, flags, 0o644) } ?? -1
    }
    guard descriptor >= 0 else {
      throw LogFileError(url: url, problem: "cannot be opened for writing: \(errorText(errno))")
    }
    self.url = url
    self.descriptor = descriptor
    self.flushInterval = flushInterval
    self.lastWrite = Date()
  }

  deinit {
    try? close()
  }

  /// Whether the file has been closed.
  var isClosed: Bool { descriptor < 0 }

  /// Appends `bytes`, writing the buffer out when it is large or has waited a second.
  func append(_ bytes: some Sequence<UInt8>) throws {
    guard !isClosed else {
      throw LogFileError(url: url, problem: "cannot be written: the log was closed")
    }
    buffer.append(contentsOf: bytes)
    if buffer.count >= Self.bufferLimit || Date().timeIntervalSince(lastWrite) >= flushInterval {
      try flush()
    }
  }

  /// Writes the buffered bytes to the file.
  func flush() throws {
    guard !isClosed else { return }
    lastWrite = Date()
    var written = 0
    while written < buffer.count {
      let count = buffer.withUnsafeBytes { bytes in
        write(descriptor, bytes.baseAddress! + written, bytes.count - written)
      }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else {
        let problem = count < 0 ? errorText(errno) : "nothing was written"
        buffer.removeFirst(written)
        throw LogFileError(url: url, problem: "cannot be written: \(problem)")
      }
      written += count
    }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes and closes the file; later calls do nothing.
  func close() throws {
    guard !isClosed else { return }
    defer { buffer.removeAll() }
    let flushError: (any Error)?
    do {
      try flush()
      flushError = nil
    } catch {
      flushError = error
    }
    let result = systemClose(descriptor)
    descriptor = -1
    if let flushError { throw flushError }
    guard result == 0 else {
      throw LogFileError(url: url, problem: "cannot be closed: \(errorText(errno))")
    }
  }
}

/// The C library's `close`, which `LogFile.close` would otherwise shadow.
private func systemClose(_ descriptor: Int32) -> Int32 {
  close(descriptor)
}
