import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The text of a C library error code, as in "No such file or directory".
func systemErrorText(_ code: Int32) -> String {
  guard let text = strerror(code) else { return "error \(code)" }
  return String(cString: text)
}

/// The C library's `write`, which `AtomicFileWriter.write` would otherwise shadow.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  write(descriptor, bytes, count)
}

/// Runs `body` with the file-system representation of `url`'s path, throwing when it has none.
private func withPath<Result>(
  of url: URL, _ body: (UnsafePointer<CChar>) throws -> Result
) throws -> Result {
  try url.withUnsafeFileSystemRepresentation { path in
    guard let path else {
      throw TensorFileError(url: url, problem: "has no file-system path")
    }
    return try body(path)
  }
}

/// Reads byte ranges of a regular file, checking every range against the file's length before
/// reading or allocating anything, so a lying header cannot make it read past the end or allocate
/// more than the file holds.
final class FileReader {
  /// The file being read.
  let url: URL
  /// The length of the file when it was opened.
  let byteCount: Int
  private let descriptor: Int32

  /// Opens `url` for reading; throws when it is missing, unreadable or not a regular file.
  init(url: URL) throws {
    self.url = url
    guard url.isFileURL else {
      throw TensorFileError(url: url, problem: "is not a file URL")
    }
    // Non-blocking, so that opening a FIFO by mistake does not hang; it is refused below.
    let descriptor = try withPath(of: url) { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
    guard descriptor >= 0 else {
      throw TensorFileError(url: url, problem: "cannot be opened: \(systemErrorText(errno))")
    }
    var information = stat()
    guard fstat(descriptor, &information) == 0 else {
      let code = errno
      close(descriptor)
      throw TensorFileError(url: url, problem: "cannot be examined: \(systemErrorText(code))")
    }
    let kind = information.st_mode & S_IFMT
    guard kind == S_IFREG, let size = Int(exactly: information.st_size) else {
      close(descriptor)
      let problem = kind == S_IFDIR ? "is a directory, not a file" : "is not a regular file"
      throw TensorFileError(url: url, problem: problem)
    }
    self.descriptor = descriptor
    self.byteCount = size
  }

  deinit { close(descriptor) }

  /// An error about this file.
  func error(_ problem: String) -> TensorFileError { TensorFileError(url: url, problem: problem) }

  /// Throws unless `count` bytes starting at `offset` lie inside the file.
  func checkRange(_ count: Int, at offset: Int, for what: String) throws {
    guard offset >= 0, count >= 0, offset <= byteCount, count <= byteCount - offset else {
      let available = max(0, byteCount - max(offset, 0))
      throw error(
        "truncated: \(what) needs \(count) bytes at byte \(offset), but the file has "
          + "\(byteCount) bytes (\(available) from there)")
    }
  }

  /// Reads `count` bytes at `offset` into `buffer`, which must have room for them.
  func read(
    _ count: Int, at offset: Int, into buffer: UnsafeMutableRawPointer, for what: String
  ) throws {
    try checkRange(count, at: offset, for: what)
    var done = 0
    while done < count {
      let chunk = min(count - done, 1 << 30)
      let result = pread(descriptor, buffer + done, chunk, off_t(offset + done))
      if result < 0 {
        if errno == EINTR { continue }
        throw error("cannot be read at byte \(offset + done): \(systemErrorText(errno))")
      }
      if result == 0 {
        throw error(
          "truncated: the file ended at byte \(offset + done) while reading \(what) "
            + "(it shrank while being read)")
      }
      done += result
    }
  }

  /// Reads `count` bytes at `offset`.
  func bytes(_ count: Int, at offset: Int, for what: String) throws -> [UInt8] {
    try checkRange(count, at: offset, for: what)
    var result = [UInt8](repeating: 0, count: count)
    try result.withUnsafeMutableBytes { buffer in
      if let base = buffer.baseAddress { try read(count, at: offset, into: base, for: what) }
    }
    return result
  }
}

/// Writes a file so that it is either completely written or not changed at all: the bytes go to a
/// temporary file beside the target, which is flushed to disk and then renamed over the target.
/// A failure (a full disk, a crash, an error thrown while encoding) leaves the previous file as it
/// was.
final class AtomicFileWriter {
  /// The file being replaced.
  let url: URL
  /// The number of bytes written so far.
  private(set) var byteCount = 0
  private let descriptor: Int32

  private init(url: URL, descriptor: Int32) {
    self.url = url
    self.descriptor = descriptor
  }

  /// Replaces `url` by what `body` writes, or leaves it unchanged when anything fails.
  static func write(to url: URL, _ body: (AtomicFileWriter) throws -> Void) throws {
    func failure(_ problem: String) -> TensorFileError {
      TensorFileError(url: url, problem: "cannot be saved: \(problem)")
    }
    guard url.isFileURL else { throw TensorFileError(url: url, problem: "is not a file URL") }
    guard !url.hasDirectoryPath, !url.lastPathComponent.isEmpty else {
      throw failure("the path names a directory, not a file")
    }
    let random = UInt64.random(in: 0...UInt64.max)
    let temporaryURL = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).\(getpid()).\(String(random, radix: 16)).tmp")
    let descriptor = try withPath(of: temporaryURL) {
      open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    }
    guard descriptor >= 0 else {
      throw failure(
        "cannot create a temporary file in \(temporaryURL.deletingLastPathComponent().path): "
          + systemErrorText(errno))
    }
    var isOpen = true
    do {
      // Keep the permissions of the file being replaced.
      var existing = stat()
      let exists = try withPath(of: url) { stat($0, &existing) } == 0
      if exists && existing.st_mode & S_IFMT == S_IFREG {
        _ = fchmod(descriptor, existing.st_mode & 0o777)
      }
      let writer = AtomicFileWriter(url: url, descriptor: descriptor)
      try body(writer)
      guard fsync(descriptor) == 0 else {
        throw failure("flushing to disk failed: \(systemErrorText(errno))")
      }
      isOpen = false
      guard close(descriptor) == 0 else {
        throw failure("closing the temporary file failed: \(systemErrorText(errno))")
      }
      let renamed = try withPath(of: temporaryURL) { from in
        try withPath(of: url) { to in rename(from, to) }
      }
      guard renamed == 0 else {
        throw failure("cannot replace the file: \(systemErrorText(errno))")
      }
    } catch {
      if isOpen { close(descriptor) }
      _ = try? withPath(of: temporaryURL) { unlink($0) }
      throw error
    }
    // Make the rename itself durable; failing here cannot undo it, so errors are ignored.
    _ = try? withPath(of: url.deletingLastPathComponent()) { directory in
      let handle = open(directory, O_RDONLY | O_CLOEXEC)
      if handle >= 0 {
        fsync(handle)
        close(handle)
      }
    }
  }

  /// Appends `bytes` to the file.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress else { return }
    var done = 0
    while done < bytes.count {
      let result = systemWrite(descriptor, base + done, min(bytes.count - done, 1 << 30))
      if result < 0 {
        if errno == EINTR { continue }
        throw TensorFileError(
          url: url,
          problem: "cannot be saved: writing failed after \(byteCount + done) bytes: "
            + systemErrorText(errno))
      }
      done += result
    }
    byteCount += done
  }

  /// Appends `bytes` to the file.
  func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }
}
