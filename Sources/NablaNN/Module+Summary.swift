import Foundation

// `model.summary(inputShape:)`: a table of the modules, their output shapes and parameter counts,
// from one forward pass.
//
// Swift cannot wrap a method that subclasses override. Instead, during a summary, a recorder is
// set for the task (a task-local value) and a module reports its output by running its forward
// pass inside `reportingOutput { }` (or `forwarding(_:_:)`, which also runs the module's hooks):
// every built-in layer does, `Sequential` reports each of its layers (custom ones too), and the
// summary reports the model itself. Outside a summary, reporting costs one task-local read per
// layer call.

extension Module {
  /// Runs `forward` and, while `summary(inputShape:)` is running, reports its result as this
  /// module's output; otherwise just returns `forward()`.
  ///
  /// Every built-in layer wraps its forward pass in it, and `Sequential` wraps each of its
  /// layers. Wrap a custom module's `callAsFunction` body in it so that `summary` shows its
  /// output shape wherever it sits in a model:
  ///
  /// ```swift
  /// override func callAsFunction(_ x: Tensor) -> Tensor {
  ///   reportingOutput { output(hidden(x).relu()) }
  /// }
  /// ```
  ///
  /// - Parameter forward: The module's forward pass.
  /// - Returns: The result of `forward`, unchanged.
  public func reportingOutput(_ forward: () -> Tensor) -> Tensor {
    reportingCall(forward) { $0 }
  }

  /// Runs `forward` and, during a summary, reports `output(result)` as this module's output.
  func reportingCall<Result>(_ forward: () -> Result, output: (Result) -> Tensor) -> Result {
    guard let recorder = OutputRecorder.current else { return forward() }
    return recorder.record(self, forward, output: output)
  }

  /// A table of this module and every module below it, in the order they ran on an input of
  /// zeros of `inputShape`: each one's name (as in `stateDict()`), type, output shape and the
  /// number of parameters it holds itself, then the total, trainable and frozen parameters.
  ///
  /// The forward pass runs once, in evaluation mode (dropout off, running statistics used and
  /// not updated) and without recording gradients; each module's training flag is restored
  /// afterwards. Output shapes are those of each module's first call. A module whose output
  /// could not be observed shows `?`: a custom module that does not wrap its forward pass in
  /// `reportingOutput(_:)` (unless it is the model itself or a layer of a `Sequential`), or a
  /// module the pass did not call. Modules that never ran are placed after the module declared
  /// before them.
  ///
  /// ```swift
  /// let model = Sequential { Linear(40, 100); ReLU(); Linear(100, 10) }
  /// print(model.summary(inputShape: [1, 40]))
  /// // Input: [1, 40] float32
  /// // Module   Type        Output shape  Parameters
  /// // -------  ----------  ------------  ----------
  /// // (model)  Sequential  [1, 10]                0
  /// // 0        Linear      [1, 100]           4,100
  /// // 1        ReLU        [1, 100]               0
  /// // 2        Linear      [1, 10]            1,010
  /// // ...
  /// ```
  ///
  /// - Parameters:
  ///   - inputShape: The shape of the sample input, batch axis included.
  ///   - dtype: The input's element type: by default that of the model's first parameter, or
  ///     float32 for a model without any (pass `.int64` for a model that starts with an
  ///     `Embedding`).
  /// - Returns: The table, lines separated by newlines, to print.
  public func summary(inputShape: [Int], dtype: DType? = nil) -> String {
    let type = dtype ?? parameters().first?.value.dtype ?? .float32
    return summary(input: Tensor.zeros(inputShape, dtype: type))
  }

  /// The table of `summary(inputShape:dtype:)`, from a forward pass on `input`.
  ///
  /// ```swift
  /// print(model.summary(input: batch.x))
  /// ```
  ///
  /// - Parameter input: A sample input, batch axis included.
  /// - Returns: The table, lines separated by newlines, to print.
  public func summary(input: Tensor) -> String {
    let rows = summaryRows(input: input)
    return formatSummary(rows, input: input)
  }

  /// One row per module, in the order they first ran, from a forward pass on `input`.
  func summaryRows(input: Tensor) -> [SummaryRow] {
    let modules = namedModules()
    let wasTraining = modules.map(\.module.isTraining)
    eval()
    defer { for ((_, module), flag) in zip(modules, wasTraining) { module.isTraining = flag } }
    let recorder = OutputRecorder()
    OutputRecorder.$current.withValue(recorder) {
      _ = withoutGradients { recorder.record(self, { self(input) }, output: { $0 }) }
    }
    var counted: Set<ObjectIdentifier> = []
    var rows = modules.map { name, module -> SummaryRow in
      let own = module.directParameters().map(\.parameter).filter {
        counted.insert(ObjectIdentifier($0)).inserted
      }
      return SummaryRow(
        name: name, typeName: module.typeName,
        outputShape: recorder.call(of: module)?.shape,
        parameterCount: own.reduce(0) { $0 + $1.value.scalarCount },
        trainableCount: own.filter { !$0.isFrozen }.reduce(0) { $0 + $1.value.scalarCount })
    }
    let order = executionOrder(modules.map(\.module), recorder)
    rows = order.map { rows[$0] }
    return rows
  }
}

/// A row of a summary: a module's name, type, output shape (nil when not observed) and the
/// numbers of parameters it holds itself, all and not frozen.
struct SummaryRow: Equatable {
  var name: String
  var typeName: String
  var outputShape: [Int]?
  var parameterCount: Int
  var trainableCount: Int
}

/// The positions of `modules` (in `namedModules()` order) sorted by when each started running.
///
/// A module that did not report starts just before the first of its descendants that did (it
/// must have called them), or, when none did, right after the module declared before it.
private func executionOrder(_ modules: [Module], _ recorder: OutputRecorder) -> [Int] {
  // In declaration order, a module's descendants are the modules after it that sit deeper.
  let depths = treeDepths(modules)
  var keys: [(start: Int, tier: Int)] = Array(repeating: (0, 0), count: modules.count)
  for index in modules.indices {
    if let start = recorder.call(of: modules[index])?.order {
      keys[index] = (start, 1)
      continue
    }
    var firstDescendant: Int?
    var next = index + 1
    while next < modules.count && depths[next] > depths[index] {
      if let start = recorder.call(of: modules[next])?.order {
        firstDescendant = min(firstDescendant ?? start, start)
      }
      next += 1
    }
    keys[index] = firstDescendant.map { ($0, 0) } ?? (index == 0 ? 0 : keys[index - 1].start, 2)
  }
  return modules.indices.sorted {
    (keys[$0].start, keys[$0].tier, $0) < (keys[$1].start, keys[$1].tier, $1)
  }
}

/// How deep each of `modules` (in `namedModules()` order) sits below the model: one more than
/// the first module before it that lists it as a child, which is where the walk reached it.
private func treeDepths(_ modules: [Module]) -> [Int] {
  var position: [ObjectIdentifier: Int] = [:]
  for (index, module) in modules.enumerated() { position[ObjectIdentifier(module)] = index }
  var depths = Array(repeating: 0, count: modules.count)
  var placed = Set([0])
  for (index, module) in modules.enumerated() {
    for child in module.children() {
      guard let childIndex = position[ObjectIdentifier(child)], childIndex > index,
        placed.insert(childIndex).inserted
      else { continue }
      depths[childIndex] = depths[index] + 1
    }
  }
  return depths
}

/// The summary table: a column per field, the parameters right-aligned, then the totals.
private func formatSummary(_ rows: [SummaryRow], input: Tensor) -> String {
  let header = ["Module", "Type", "Output shape", "Parameters"]
  let cells = rows.map { row in
    [
      row.name.isEmpty ? "(model)" : row.name, row.typeName,
      row.outputShape.map { describe($0) } ?? "?", groupingThousands(row.parameterCount),
    ]
  }
  let widths = header.indices.map { column in
    ([header] + cells).map { $0[column].count }.max() ?? 0
  }
  func line(_ fields: [String]) -> String {
    fields.enumerated().map { column, field in
      let padding = String(repeating: " ", count: widths[column] - field.count)
      return column == fields.count - 1 ? padding + field : field + padding
    }.joined(separator: "  ")
  }
  let rule = line(widths.map { String(repeating: "-", count: $0) })
  let total = rows.reduce(0) { $0 + $1.parameterCount }
  let trainable = rows.reduce(0) { $0 + $1.trainableCount }
  var lines = ["Input: \(describe(input.shape)) \(input.dtype)", line(header), rule]
  lines += cells.map(line)
  lines += [
    rule, "Total parameters: \(groupingThousands(total))",
    "Trainable parameters: \(groupingThousands(trainable))",
    "Frozen parameters: \(groupingThousands(total - trainable))",
  ]
  if rows.contains(where: { $0.outputShape == nil }) {
    lines.append("?: output not observed (see Module.reportingOutput(_:))")
  }
  return lines.joined(separator: "\n")
}

/// `1234567` as `1,234,567`.
private func groupingThousands(_ value: Int) -> String {
  let digits = String(value.magnitude)
  let groups = stride(from: digits.count, to: 0, by: -3).reversed().map { end in
    let start = max(end - 3, 0)
    return digits.dropFirst(start).prefix(end - start)
  }
  return (value < 0 ? "-" : "") + groups.joined(separator: ",")
}

/// What a summary's forward pass observed: for each module reported, when its first call began
/// (its order among all calls) and the shape of that call's output.
///
/// A summary runs its forward pass on one thread; a lock keeps the record consistent should a
/// model's forward pass run modules in tasks of its own (they inherit the task-local recorder).
final class OutputRecorder: @unchecked Sendable {
  /// The recorder of the summary running in this task, if any.
  @TaskLocal static var current: OutputRecorder?

  private let lock = NSLock()
  private var calls: [ObjectIdentifier: (order: Int, shape: [Int]?)] = [:]
  private var running: [ObjectIdentifier] = []

  /// The first call of `module`, if it was reported.
  func call(of module: Module) -> (order: Int, shape: [Int]?)? {
    lock.withLock { calls[ObjectIdentifier(module)] }
  }

  /// Runs `forward` for `module`, noting when its first call began and its output's shape. A
  /// report nested directly in a report of the same module (a `Sequential` reporting a layer
  /// that reports itself) counts once.
  func record<Result>(
    _ module: Module, _ forward: () -> Result, output: (Result) -> Tensor
  ) -> Result {
    let id = ObjectIdentifier(module)
    let isNew = lock.withLock { () -> Bool in
      guard running.last != id else { return false }
      running.append(id)
      if calls[id] == nil { calls[id] = (calls.count, nil) }
      return true
    }
    guard isNew else { return forward() }
    let result = forward()
    let shape = output(result).shape
    lock.withLock {
      running.removeLast()
      if calls[id]?.shape == nil { calls[id]?.shape = shape }
    }
    return result
  }
}
