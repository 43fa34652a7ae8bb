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
///
/// - On Linux the temporary file has no name while it is written (`O_TMPFILE`): a process killed
///   mid-save leaves nothing behind. It gets a short name (`.nabla-…tmp`) only for the instant
///   between linking it into the directory and renaming it over the target.
/// - Elsewhere, or on a file system without `O_TMPFILE`, it is named from the start. Each save
///   first removes the temporary files that dead processes left for the same target.
/// - A target that is a symbolic link is written through: the file it points to (following a
///   chain of links) is replaced and the link stays a link, as most tools do.
final class AtomicFileWriter {
  /// The file being replaced.
  let url: URL
  /// The number of bytes written so far.
  private(set) var byteCount = 0
  private let descriptor: Int32

  /// Whether saves may use unnamed temporary files where the system has them; tests turn it off
  /// to exercise the named fallback.
  nonisolated(unsafe) static var usesUnnamedFiles = true

  private init(url: URL, descriptor: Int32) {
    self.url = url
    self.descriptor = descriptor
  }

  /// Replaces `url` by what `body` writes, or leaves it unchanged when anything fails.
  static func write(to url: URL, _ body: (AtomicFileWriter) throws -> Void) throws {
    guard url.isFileURL else { throw TensorFileError(url: url, problem: "is not a file URL") }
    guard !url.hasDirectoryPath, !url.lastPathComponent.isEmpty else {
      throw saveError(url, "the path names a directory, not a file")
    }
    let target = try resolvingSymbolicLinks(url)
    let directory = target.deletingLastPathComponent()
    let family = TemporaryName(target: target)
    family.removeStale(in: directory)
    let temporaryURL = directory.appendingPathComponent(family.fresh())

    var isUnnamed = false
    var descriptor: Int32 = -1
    #if os(Linux)
      if usesUnnamedFiles {
        descriptor = try withPath(of: directory) {
          open($0, unnamedFileFlag | O_WRONLY | O_CLOEXEC, 0o644)
        }
        isUnnamed = descriptor >= 0
      }
    #endif
    if descriptor < 0 {
      descriptor = try withPath(of: temporaryURL) {
        open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      }
    }
    guard descriptor >= 0 else {
      throw saveError(
        url, "cannot create a temporary file in \(directory.path): \(systemErrorText(errno))")
    }
    var isOpen = true
    var isNamed = !isUnnamed
    do {
      // Keep the permissions of the file being replaced.
      var existing = stat()
      let exists = try withPath(of: target) { stat($0, &existing) } == 0
      if exists && existing.st_mode & S_IFMT == S_IFREG {
        _ = fchmod(descriptor, existing.st_mode & 0o777)
      }
      try body(AtomicFileWriter(url: url, descriptor: descriptor))
      guard fsync(descriptor) == 0 else {
        throw saveError(url, "flushing to disk failed: \(systemErrorText(errno))")
      }
      if isUnnamed {
        try link(descriptor, to: temporaryURL, for: url)
        isNamed = true
      }
      isOpen = false
      guard close(descriptor) == 0 else {
        throw saveError(url, "closing the temporary file failed: \(systemErrorText(errno))")
      }
      let renamed = try withPath(of: temporaryURL) { from in
        try withPath(of: target) { to in rename(from, to) }
      }
      guard renamed == 0 else {
        throw saveError(url, "cannot replace the file: \(systemErrorText(errno))")
      }
    } catch {
      if isOpen { close(descriptor) }
      if isNamed { _ = try? withPath(of: temporaryURL) { unlink($0) } }
      throw error
    }
    // Make the rename itself durable; failing here cannot undo it, so errors are ignored.
    _ = try? withPath(of: directory) { path in
      let handle = open(path, O_RDONLY | O_CLOEXEC)
      if handle >= 0 {
        fsync(handle)
        close(handle)
      }
    }
  }

  #if os(Linux)
    /// Linux's `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`), which Swift does not import.
    private static let unnamedFileFlag: Int32 = 0o20000000 | O_DIRECTORY

    /// Gives the unnamed file open as `descriptor` the name `temporaryURL`.
    private static func link(_ descriptor: Int32, to temporaryURL: URL, for url: URL) throws {
      let linked = try withPath(of: temporaryURL) { path in
        linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, path, AT_SYMLINK_FOLLOW)
      }
      guard linked == 0 else {
        throw saveError(url, "cannot link the temporary file: \(systemErrorText(errno))")
      }
    }
  #else
    private static func link(_ descriptor: Int32, to temporaryURL: URL, for url: URL) throws {}
  #endif

  /// The error for a save of `url` that failed.
  private static func saveError(_ url: URL, _ problem: String) -> TensorFileError {
    TensorFileError(url: url, problem: "cannot be saved: \(problem)")
  }

  /// The file that `url` names once symbolic links in its last component are followed (the
  /// file a link points to may not exist yet: saving creates it).
  private static func resolvingSymbolicLinks(_ url: URL) throws -> URL {
    var current = url
    for _ in 0..<40 {
      var information = stat()
      let found = try withPath(of: current) { lstat($0, &information) } == 0
      guard found, information.st_mode & S_IFMT == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let length = try withPath(of: current) { readlink($0, &buffer, buffer.count - 1) }
      guard length > 0 else {
        throw saveError(url, "cannot read the symbolic link: \(systemErrorText(errno))")
      }
      let destination = String(
        decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current =
        destination.hasPrefix("/")
        ? URL(fileURLWithPath: destination)
        : current.deletingLastPathComponent().appendingPathComponent(destination)
    }
    throw saveError(url, "too many levels of symbolic links")
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

/// The names of a target's temporary files: `.nabla-TAG-PID-RANDOM.tmp`, short enough that a
/// target name of 255 bytes still leaves room, where `TAG` is a hash of the target's name so that
/// the leftovers of one target can be told from another's.
struct TemporaryName {
  /// Eight hex digits of the FNV-1a hash of the target's file name.
  let tag: String
  /// The target's file name, for the names of earlier versions of Nabla.
  let targetName: String

  init(target: URL) {
    targetName = target.lastPathComponent
    var hash: UInt32 = 0x811C_9DC5
    for byte in targetName.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
    let digits = String(hash, radix: 16)
    tag = String(repeating: "0", count: 8 - digits.count) + digits
  }

  /// A new name for this process.
  func fresh() -> String {
    ".nabla-\(tag)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16)).tmp"
  }

  /// The process that made the temporary file `name` for this target, if it is one.
  func owner(of name: String) -> pid_t? {
    // This version's names, then those of earlier ones: `.TARGET.PID.RANDOM.tmp`.
    let parts: [Substring]
    if name.hasPrefix(".nabla-\(tag)-") {
      parts = name.dropFirst(16).split(separator: "-", omittingEmptySubsequences: false)
    } else if name.hasPrefix(".\(targetName).") {
      parts = name.dropFirst(targetName.count + 2).split(
        separator: ".", omittingEmptySubsequences: false)
    } else {
      return nil
    }
    guard name.hasSuffix(".tmp"), parts.count >= 2 else { return nil }
    return pid_t(parts[0])
  }

  /// Removes this target's temporary files in `directory` whose process has ended, as a killed
  /// save leaves them; files of live processes (another save under way) are left alone.
  func removeStale(in directory: URL) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
      return
    }
    for name in names {
      guard let process = owner(of: name), process > 0, process != getpid(),
        kill(process, 0) != 0, errno == ESRCH
      else { continue }
      _ = try? withPath(of: directory.appendingPathComponent(name)) { unlink($0) }
    }
  }
}
