import Foundation

/// The command-line options of an example: `--name value` pairs and bare `--flag`s.
///
/// ```swift
/// var arguments = Arguments(usage: "spirals [--steps N] [--plot PATH.svg]")
/// let steps = arguments.integer("steps", default: 2000)
/// let plot = arguments.string("plot")
/// arguments.finish()  // stops with a message on an unknown option
/// ```
public struct Arguments {
  /// The program's name, used in error messages.
  public let program: String
  /// The usage line printed by `--help`.
  public let usage: String
  private var values: [String: String] = [:]
  private var flags: Set<String> = []
  private var consumed: Set<String> = []

  /// Parses `arguments` (the process's own by default); `--help` prints `usage` and exits.
  public init(usage: String, arguments: [String] = CommandLine.arguments) {
    self.usage = usage
    program = arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "example"
    var rest = arguments.dropFirst()[...]
    while let item = rest.popFirst() {
      if item == "--help" || item == "-h" {
        print("usage: \(usage)")
        exit(0)
      }
      guard item.hasPrefix("--") else { Self.fail(program, "unexpected argument \(item)") }
      let name = String(item.dropFirst(2))
      if let next = rest.first, !next.hasPrefix("--") {
        values[name] = next
        rest.removeFirst()
      } else {
        flags.insert(name)
      }
    }
  }

  /// The value of `--name`, or nil when it is absent.
  public mutating func string(_ name: String) -> String? {
    consumed.insert(name)
    if flags.contains(name) { fail("--\(name) needs a value") }
    return values[name]
  }

  /// The value of `--name`, or `defaultValue` when it is absent.
  public mutating func string(_ name: String, default defaultValue: String) -> String {
    string(name) ?? defaultValue
  }

  /// The whole number given with `--name`, or `defaultValue` when it is absent.
  public mutating func integer(_ name: String, default defaultValue: Int) -> Int {
    guard let text = string(name) else { return defaultValue }
    guard let value = Int(text) else { fail("--\(name) needs a whole number, got \(text)") }
    return value
  }

  /// The number given with `--name`, or `defaultValue` when it is absent.
  public mutating func double(_ name: String, default defaultValue: Double) -> Double {
    guard let text = string(name) else { return defaultValue }
    guard let value = Double(text) else { fail("--\(name) needs a number, got \(text)") }
    return value
  }

  /// Whether the bare flag `--name` was given.
  public mutating func flag(_ name: String) -> Bool {
    consumed.insert(name)
    if values[name] != nil { fail("--\(name) takes no value") }
    return flags.contains(name)
  }

  /// Stops with a message if an option was given that no one asked for.
  public func finish() {
    let unknown = Set(values.keys).union(flags).subtracting(consumed)
    if let name = unknown.sorted().first { fail("unknown option --\(name) (try --help)") }
  }

  /// The result of `body`, or, if it throws (a missing file, a bad checkpoint), a stop with the
  /// error's message.
  public func orFail<Result>(_ body: () throws -> Result) -> Result {
    do { return try body() } catch { fail("\(error)") }
  }

  /// Prints `message` to standard error, prefixed with the program's name, and exits with 2.
  public func fail(_ message: String) -> Never { Self.fail(program, message) }

  private static func fail(_ program: String, _ message: String) -> Never {
    FileHandle.standardError.write(Data("\(program): \(message)\n".utf8))
    exit(2)
  }
}

/// The one-line `key=value` summary an example ends with, for scripts to read.
///
/// ```swift
/// print(summaryLine([("model", "mlp"), ("test_acc", "68.0")]))  // model=mlp test_acc=68.0
/// ```
public func summaryLine(_ pairs: [(key: String, value: String)]) -> String {
  pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
}

/// `value` with `digits` digits after the decimal point, as in a summary line.
public func formatted(_ value: Double, digits: Int = 2) -> String {
  String(format: "%.\(digits)f", value)
}
