#if os(Linux) && canImport(Runtime)
  import Runtime
#endif

/// Where the program was when it called into Nabla: a backtrace taken inside the library, read
/// for the first frame in the user's code.
///
/// Messages use it so that a user learns which of *their* lines made a bad call or a NaN. Frames
/// of the library's own sources (Nabla, NablaNN, NablaOptimizers) and frames without source
/// information (the standard library, thunks) are skipped. Where the platform gives no
/// symbolicated backtraces (or the binary has no debug information), no location is known.
struct CallSite {
  /// One frame with a known source line.
  struct Frame {
    var path: String
    var line: Int
    var function: String

    /// `path:line`, as compilers name a line.
    var position: String { "\(path):\(line)" }
    /// Whether the frame is in the library's own sources.
    var isLibrary: Bool { path.hasPrefix(CallSite.librarySources) }
    /// Whether the frame is in a layer (NablaNN), which names where in a model an op ran.
    var isLayer: Bool { path.hasPrefix(CallSite.librarySources + "NablaNN/") }
  }

  #if os(Linux) && canImport(Runtime)
    private let backtrace: Backtrace?

    /// The current stack (addresses only: symbols are looked up when a location is asked for).
    init() { backtrace = try? Backtrace.capture() }

    /// The frames with a source line, from the innermost out.
    private func frames() -> [Frame] {
      guard let symbolicated = backtrace?.symbolicated() else { return [] }
      return symbolicated.frames.compactMap { frame in
        guard let symbol = frame.symbol, let location = symbol.sourceLocation, location.line > 0,
          !location.path.contains("<compiler-generated>")
        else { return nil }
        return Frame(path: location.path, line: location.line, function: symbol.name)
      }
    }
  #else
    /// The current stack: unknown on this platform.
    init() {}

    private func frames() -> [Frame] { [] }
  #endif

  /// The folder holding the library's sources (`.../Sources/`), taken from this file's path.
  fileprivate static let librarySources: String = {
    let path = "\(#filePath)"
    guard let range = path.range(of: "/Sources/", options: .backwards) else { return path }
    return String(path[..<range.upperBound])
  }()

  /// The first frame in the user's code below the library's frames, or nil when it is not known.
  var userFrame: Frame? {
    let all = frames()
    guard let firstLibrary = all.firstIndex(where: \.isLibrary) else { return nil }
    return all[firstLibrary...].first { !$0.isLibrary }
  }

  /// The layers the call went through, innermost first, as "Linear.callAsFunction(_:)"; the
  /// wrappers through which layers run their hooks and report their outputs to a summary
  /// (`Module.forwarding`, `Module.reportingOutput`) are not layers and are left out.
  var layers: [String] {
    frames().drop { !$0.isLibrary }.prefix(while: \.isLibrary)
      .filter {
        $0.isLayer && !$0.function.hasPrefix("closure ")
          && !$0.function.hasPrefix("Module.reporting")
          && !$0.function.hasPrefix("Module.forwarding")
      }
      .map(\.function)
  }
}
