import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reports a training loop's progress on standard output.
///
/// On a terminal, a line redrawn in place (at most ten times a second) that fits the terminal's
/// width, read again at each redraw: the percentage, a bar, the step, your values, the rate and
/// the time left (see `ProgressLine`). Otherwise (a pipe, a file, a CI log) a plain line every
/// `lineInterval` steps and at the last, flushed at once.
///
/// ```swift
/// let progress = ProgressBar(total: 1000)
/// for step in 1...1000 {
///   let loss = trainStep()
///   progress.update(step: step, values: ["loss": loss])
/// }
/// progress.finish()
/// ```
public final class ProgressBar {
  /// The number of steps of the run.
  public let total: Int
  /// The name of a step in the rate, as in "steps/s" or "it/s".
  public let unit: String
  /// How often a plain line is printed when the output is not a terminal.
  public let lineInterval: Int
  /// Whether the output is a terminal, where the line is redrawn in place.
  public let isTerminal: Bool
  private let width: () -> Int
  private let clock: () -> Double
  private let output: (String) -> Void
  private let start: Double
  private var lastDraw = -Double.infinity
  private var drawnLength = 0
  private var step = 0
  private var values: [(name: String, value: Double)] = []
  private var printedStep: Int?
  private var isFinished = false

  /// Creates a report for `total` steps, written to standard output.
  ///
  /// - Parameters:
  ///   - total: The number of steps of the run.
  ///   - unit: The name of a step in the rate: "steps" gives "210 steps/s", "it" "210 it/s".
  ///   - lineInterval: How often a plain line is printed when the output is not a terminal;
  ///     a tenth of the run by default.
  ///   - isTerminal: Whether to redraw a line in place; by default, whether standard output is
  ///     a terminal.
  public convenience init(
    total: Int, unit: String = "steps", lineInterval: Int? = nil, isTerminal: Bool? = nil
  ) {
    self.init(
      total: total, unit: unit, lineInterval: lineInterval,
      isTerminal: isTerminal ?? (isatty(STDOUT_FILENO) == 1), width: { terminalWidth() },
      clock: { Date().timeIntervalSinceReferenceDate },
      output: { text in
        print(text, terminator: "")
        fflush(nil)  // every stream: `stdout` itself is not concurrency-safe in Swift 6
      })
  }

  /// Creates a report that asks `width` for the terminal's width, `clock` for the time in
  /// seconds, and hands its text to `output`.
  init(
    total: Int, unit: String, lineInterval: Int?, isTerminal: Bool, width: @escaping () -> Int,
    clock: @escaping () -> Double, output: @escaping (String) -> Void
  ) {
    self.total = max(total, 1)
    self.unit = unit
    self.lineInterval = max(lineInterval ?? self.total / 10, 1)
    self.isTerminal = isTerminal
    self.width = width
    self.clock = clock
    self.output = output
    start = clock()
  }

  /// The seconds since the report was created.
  public var elapsed: Double { clock() - start }

  /// Records that `step` (counted from 1) is done, with values to show such as the loss.
  ///
  /// - Parameters:
  ///   - step: The steps done so far.
  ///   - values: Named values, shown in the order given: `["loss": 0.51, "lr": 0.01]`.
  public func update(step: Int, values: KeyValuePairs<String, Double> = [:]) {
    self.step = step
    self.values = values.map { ($0.key, $0.value) }
    if isTerminal {
      let now = clock()
      guard step >= total || now - lastDraw >= 0.1 else { return }
      lastDraw = now
      redraw()
    } else if step % lineInterval == 0 || step >= total {
      printPlainLine()
    }
  }

  /// Ends the report: on a terminal, draws the last line and moves to a fresh line; otherwise
  /// prints the last step's line if it was not printed. Later calls do nothing.
  public func finish() {
    guard !isFinished else { return }
    isFinished = true
    if isTerminal {
      redraw()
      output("\n")
    } else if printedStep != step {
      printPlainLine()
    }
  }

  /// Writes the current line over the previous one, padded with spaces to cover it.
  private func redraw() {
    let columns = width()
    let line = ProgressLine.terminal(
      step: step, total: total, elapsed: elapsed, width: columns, values: values, unit: unit)
    let padding = max(min(drawnLength, columns - 2) - line.count, 0)
    output("\r" + line + String(repeating: " ", count: padding))
    drawnLength = line.count
  }

  /// Prints the current step's plain line.
  private func printPlainLine() {
    printedStep = step
    output(
      ProgressLine.plain(step: step, total: total, elapsed: elapsed, values: values, unit: unit)
        + "\n")
  }
}
