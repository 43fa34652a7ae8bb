// `print(model)`: the module tree in the layout of PyTorch's `nn.Module.__repr__`, with Swift's
// type names, each layer's `extraDescription` and the children under their state-dict names.

extension Module: CustomStringConvertible {
  /// The module tree as PyTorch prints it: the type name, then `extraDescription` and each child
  /// as `(name): description`, indented by two spaces per level.
  ///
  /// Children are named as in `stateDict()`. An array of modules (state-dict names `layers.0`,
  /// `layers.1`, ...) is shown as PyTorch shows an `nn.ModuleList`, with runs of identical
  /// consecutive modules folded into one line (`(0-5): 6 x TransformerEncoderLayer(...)`).
  ///
  /// ```swift
  /// let model = Sequential { Linear(40, 100); ReLU(); Linear(100, 10) }
  /// print(model)
  /// // Sequential(
  /// //   (0): Linear(in_features=40, out_features=100, bias=True)
  /// //   (1): ReLU()
  /// //   (2): Linear(in_features=100, out_features=10, bias=True)
  /// // )
  /// ```
  public var description: String { describeTree(ancestors: []) }

  /// The type name of the module, as `description` shows it (`Conv1D`, `BatchNorm1D`).
  var typeName: String { String(describing: type(of: self)) }

  /// The description, stopping where a module would contain itself.
  private func describeTree(ancestors: Set<ObjectIdentifier>) -> String {
    guard !ancestors.contains(ObjectIdentifier(self)) else { return "\(typeName)(<cycle>)" }
    let inside = ancestors.union([ObjectIdentifier(self)])
    let childLines = childEntries().map { entry -> String in
      switch entry {
      case .single(let name, let module):
        "(\(name)): " + module.describeTree(ancestors: inside)
      case .list(let name, let modules):
        "(\(name)): " + describeList(modules.map { $0.describeTree(ancestors: inside) })
      }
    }
    return describeNode(typeName, extra: extraDescription, children: childLines)
  }

  /// The children, with arrays of modules (`name.0`, `name.1`, ...) gathered into lists.
  private func childEntries() -> [ChildEntry] {
    var entries: [ChildEntry] = []
    for (name, module) in namedChildren() {
      if let dot = name.lastIndex(of: "."), let index = Int(name[name.index(after: dot)...]) {
        let base = String(name[..<dot])
        if case .list(base, let modules) = entries.last, modules.count == index {
          entries[entries.count - 1] = .list(base, modules + [module])
          continue
        }
        if index == 0 {
          entries.append(.list(base, [module]))
          continue
        }
      }
      entries.append(.single(name, module))
    }
    return entries
  }
}

/// A child in the description: one module, or an array of them shown as a `ModuleList`.
private enum ChildEntry {
  case single(String, Module)
  case list(String, [Module])
}

/// PyTorch's layout of one module: `Name(extra)` on one line when there are no children,
/// otherwise every line of `extra` and every child on its own line, indented by two spaces.
private func describeNode(_ name: String, extra: String, children: [String]) -> String {
  let extraLines =
    extra.isEmpty
    ? [] : extra.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  if children.isEmpty && extraLines.count <= 1 { return "\(name)(\(extraLines.first ?? ""))" }
  let lines = extraLines + children.map { indentingContinuationLines($0) }
  return "\(name)(\n  " + lines.joined(separator: "\n  ") + "\n)"
}

/// The description of an array of modules as PyTorch's `nn.ModuleList` prints itself: one line
/// per run of identical consecutive descriptions, `(i): ...` or `(i-j): n x ...`.
private func describeList(_ descriptions: [String]) -> String {
  guard !descriptions.isEmpty else { return "ModuleList()" }
  var runs: [(start: Int, end: Int, text: String)] = []
  for (index, text) in descriptions.enumerated() {
    if let last = runs.last, last.text == text {
      runs[runs.count - 1].end = index
    } else {
      runs.append((index, index, text))
    }
  }
  let lines = runs.map { run in
    indentingContinuationLines(
      run.start == run.end
        ? "(\(run.start)): \(run.text)"
        : "(\(run.start)-\(run.end)): \(run.end - run.start + 1) x \(run.text)")
  }
  return "ModuleList(\n  " + lines.joined(separator: "\n  ") + "\n)"
}

/// `text` with every line after the first indented by two spaces (PyTorch's `_addindent`).
private func indentingContinuationLines(_ text: String) -> String {
  text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    .map { $0.offset == 0 ? String($0.element) : "  " + $0.element }
    .joined(separator: "\n")
}

// Python's spelling of values, so that the options read as in PyTorch's `extra_repr`.

/// A number as Python's `repr` writes a float: `0.1`, `1.0`, `1e-05`, `2e+16`, `inf`, `nan`.
func pythonRepr(_ value: Double) -> String {
  if value.isNaN { return "nan" }
  if value.isInfinite { return value < 0 ? "-inf" : "inf" }
  // Both write the shortest digits that round-trip and use an exponent below 1e-4; Python from
  // 1e16 on, Swift already from 2^53 on, where every double is an integer.
  let magnitude = Swift.abs(value)
  if magnitude >= 9_007_199_254_740_992 && magnitude < 1e16 { return "\(Int64(value)).0" }
  return value.description
}

/// `True` or `False`.
func pythonRepr(_ value: Bool) -> String { value ? "True" : "False" }

/// A Python tuple of integers: `(5,)`, `(3, 3)`.
func pythonTuple(_ values: [Int]) -> String {
  values.count == 1
    ? "(\(values[0]),)" : "(" + values.map(String.init).joined(separator: ", ") + ")"
}

/// A size as PyTorch keeps an argument it does not convert: one number when both are equal
/// (the user may have passed one), otherwise a tuple.
func pythonValue(_ size: Size2D) -> String {
  size.height == size.width ? "\(size.height)" : pythonTuple(size.values)
}
