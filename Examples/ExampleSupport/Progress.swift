import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reports a training run's progress: on a terminal a bar redrawn in place with the step, the
/// loss and the time left; otherwise (a pipe or a file) a plain line every `lineInterval` steps.
///
/// ```swift
/// let progress = Progress(total: 1000)
/// for step in 1...1000 { ...; progress.update(step: step, loss: loss.item) }
/// progress.finish()
/// ```
public final class Progress {
  /// The number of steps of the run.
  public let total: Int
  /// How often a plain line is printed when the output is not a terminal.
  public let lineInterval: Int
  /// Whether the output is a terminal, where the bar is redrawn in place.
  public let isTerminal: Bool
  private let start = Date()
  private var lastDraw = Date.distantPast

  /// Creates a report for `total` steps; `lineInterval` defaults to a tenth of the run.
  public init(total: Int, lineInterval: Int? = nil, isTerminal: Bool = isatty(STDOUT_FILENO) == 1) {
    self.total = max(total, 1)
    self.lineInterval = max(lineInterval ?? self.total / 10, 1)
    self.isTerminal = isTerminal
  }

  /// The seconds since the report was created.
  public var elapsed: Double { Date().timeIntervalSince(start) }

  /// Records that `step` (counted from 1) has finished with `loss`.
  public func update(step: Int, loss: Double) {
    if isTerminal {
      guard step == total || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
      lastDraw = Date()
      let width = 30
      let filled = width * step / total
      let bar =
        String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      let left = elapsed / Double(step) * Double(total - step)
      print(
        "\r[\(bar)] \(step)/\(total) loss \(String(format: "%.4f", loss)) "
          + "left \(Self.clock(left))   ", terminator: "")
      fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe in Swift 6
    } else if step % lineInterval == 0 || step == total {
      print("step \(step)/\(total) loss \(String(format: "%.4f", loss))")
      fflush(nil)  // a pipe is block-buffered: show the line now, not at exit
    }
  }

  /// Ends the bar's line on a terminal, so that later output starts on a fresh line.
  public func finish() {
    if isTerminal { print("") }
  }

  /// `seconds` as m:ss.
  static func clock(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    return String(format: "%d:%02d", whole / 60, whole % 60)
  }
}
