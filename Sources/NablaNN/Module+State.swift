import Foundation

/// Why a state dict could not be loaded into a module: the keys it lacks, the keys the module
/// does not have, and the tensors whose shapes differ, as PyTorch's `load_state_dict` reports;
/// also tensors that would need a conversion between integers and floating point, and tied
/// tensors whose copies in the state disagree.
public struct StateDictError: Error, CustomStringConvertible {
  /// A tensor whose element type in the state cannot be converted to the module's without
  /// `converting: true` (between integers and floating point).
  public struct DtypeMismatch: Sendable, Equatable {
    /// The dotted name, such as `bn.num_batches_tracked`.
    public var name: String
    /// The dtype in the module.
    public var expected: DType
    /// The dtype in the state dict.
    public var found: DType
  }

  /// A tensor whose shape in the state differs from the module's.
  public struct ShapeMismatch: Sendable, Equatable {
    /// The dotted name, such as `0.weight`.
    public var name: String
    /// The shape in the module.
    public var expected: [Int]
    /// The shape in the state dict.
    public var found: [Int]
  }

  /// The type of the module, for the message.
  public var moduleType: String
  /// Names the module has but the state lacks (an error only when loading strictly).
  public var missingKeys: [String]
  /// Names in the state the module does not have (an error only when loading strictly).
  public var unexpectedKeys: [String]
  /// Tensors whose shapes do not match (an error in every mode).
  public var shapeMismatches: [ShapeMismatch]
  /// Tensors whose dtypes cannot be converted without being asked to (an error in every mode).
  public var dtypeMismatches: [DtypeMismatch] = []
  /// Names of one tied tensor (a module or parameter used in several places) under which the
  /// state holds different values (an error in every mode).
  public var conflictingTiedKeys: [[String]] = []

  /// The problems, one clause each, as in "missing keys: 0.bias; size mismatch for ...".
  public var description: String {
    var problems: [String] = []
    if !missingKeys.isEmpty {
      problems.append("missing keys: " + missingKeys.joined(separator: ", "))
    }
    if !unexpectedKeys.isEmpty {
      problems.append("unexpected keys: " + unexpectedKeys.joined(separator: ", "))
    }
    for mismatch in shapeMismatches {
      problems.append(
        "size mismatch for \(mismatch.name): the state has shape \(describe(mismatch.found)), "
          + "the module has \(describe(mismatch.expected))")
    }
    for mismatch in dtypeMismatches {
      problems.append(
        "dtype mismatch for \(mismatch.name): the state holds \(mismatch.found), the module "
          + "\(mismatch.expected) (pass converting: true to convert)")
    }
    for names in conflictingTiedKeys {
      problems.append(
        "tied tensors differ: \(names.joined(separator: " and ")) name one tensor of the "
          + "module, but the state holds different values for them")
    }
    return "loading a state dict into \(moduleType): " + problems.joined(separator: "; ")
  }
}

/// What a non-strict `loadStateDict` skipped, as PyTorch's `load_state_dict` returns it.
public struct StateDictLoadResult: Sendable, Equatable {
  /// Names the module has but the state lacks; those tensors kept their values.
  public var missingKeys: [String]
  /// Names in the state the module does not have; those tensors were ignored.
  public var unexpectedKeys: [String]
}

extension Module {
  /// The parameters and buffers of this module and its submodules by dotted name, as PyTorch's
  /// `state_dict()` (for example `0.weight`, `encoder.layers.1.bias`).
  ///
  /// A module or parameter used in several places (tied weights) is listed under each of its
  /// names, as PyTorch lists it. The tensors are detached values: later training does not change
  /// them (tensors are copy-on-write), and changing them does not change the module.
  ///
  /// ```swift
  /// let model = Sequential { Linear(3, 4); Linear(4, 2) }
  /// model.stateDict().keys.sorted()  // ["0.bias", "0.weight", "1.bias", "1.weight"]
  /// ```
  public func stateDict() -> [String: Tensor] {
    var state: [String: Tensor] = [:]
    for (name, tensor) in namedStateTensors() { state[name] = tensor.value.detached() }
    return state
  }

  /// Copies tensors from a state dict into the parameters and buffers of the same names, as
  /// PyTorch's `load_state_dict`.
  ///
  /// Everything is checked before anything is assigned, so a failed load changes nothing.
  /// Parameters keep their identity (optimizers holding them still see them), gradient and
  /// frozen state.
  ///
  /// - Conversions: a floating-point tensor is rounded to the dtype of a floating-point
  ///   parameter or buffer (float64 into float32, say). Between integers and floating point
  ///   (a float into an int64 buffer, which would drop the fraction) the load fails unless
  ///   `converting` is true; then values convert as PyTorch's `copy_` converts them (toward
  ///   zero).
  /// - Tied tensors: a tensor with several names (a module used twice) is loaded from any of
  ///   them that the state holds; when the state holds more than one, they must be equal.
  ///
  /// ```swift
  /// try model.loadStateDict(pretrained.stateDict())
  /// let skipped = try model.loadStateDict(partial, strict: false)
  /// print(skipped.missingKeys)
  /// ```
  ///
  /// - Parameters:
  ///   - state: Tensors by dotted name, as `stateDict()` returns them.
  ///   - strict: When true, names the module lacks or the state lacks are errors; when false,
  ///     they are skipped and returned.
  ///   - converting: Whether tensors may convert between integers and floating point.
  /// - Returns: The missing and unexpected keys (both empty after a strict load).
  /// - Throws: `StateDictError` listing every problem: shape and dtype mismatches and tied
  ///   tensors that disagree always, missing and unexpected keys when `strict`.
  @discardableResult
  public func loadStateDict(
    _ state: [String: Tensor], strict: Bool = true, converting: Bool = false
  ) throws -> StateDictLoadResult {
    var error = StateDictError(
      moduleType: "\(type(of: self))", missingKeys: [], unexpectedKeys: [], shapeMismatches: [])
    var missing: [String] = []
    var assignments: [(target: StateTensor, value: Tensor)] = []
    let groups = tiedGroups()
    for (target, names) in groups {
      let present = names.filter { state[$0] != nil }
      guard let first = present.first else {
        missing += names
        continue
      }
      var fits = true
      for name in present {
        let (tensor, expected) = (state[name]!, target.value)
        if tensor.shape != expected.shape {
          error.shapeMismatches.append(
            .init(name: name, expected: expected.shape, found: tensor.shape))
          fits = false
        } else if !converting && tensor.dtype.isFloatingPoint != expected.dtype.isFloatingPoint {
          error.dtypeMismatches.append(
            .init(name: name, expected: expected.dtype, found: tensor.dtype))
          fits = false
        }
      }
      guard fits else { continue }
      if let other = present.dropFirst().first(where: {
        !haveEqualValues(state[$0]!, state[first]!)
      }) {
        error.conflictingTiedKeys.append([first, other])
        continue
      }
      assignments.append((target, state[first]!))
    }
    let known = Set(groups.flatMap(\.names))
    let unexpected = state.keys.filter { !known.contains($0) }.sorted()
    if strict {
      error.missingKeys = missing
      error.unexpectedKeys = unexpected
    }
    guard error.missingKeys.isEmpty, error.unexpectedKeys.isEmpty, error.shapeMismatches.isEmpty,
      error.dtypeMismatches.isEmpty, error.conflictingTiedKeys.isEmpty
    else { throw error }
    for (target, value) in assignments { target.assign(value) }
    return StateDictLoadResult(missingKeys: missing, unexpectedKeys: unexpected)
  }

  /// Each parameter and buffer once, with all of its names: parameters first, then buffers, in
  /// the order `namedParameters()` and `namedBuffers()` give.
  private func tiedGroups() -> [(target: StateTensor, names: [String])] {
    var groups: [(target: StateTensor, names: [String])] = []
    var index: [ObjectIdentifier: Int] = [:]
    let entries = namedStateTensors()
    let parametersFirst =
      entries.filter { if case .parameter = $0.tensor { true } else { false } }
      + entries.filter { if case .buffer = $0.tensor { true } else { false } }
    for (name, tensor) in parametersFirst {
      if let position = index[tensor.identity] {
        groups[position].names.append(name)
      } else {
        index[tensor.identity] = groups.count
        groups.append((tensor, [name]))
      }
    }
    return groups
  }

  /// Saves the state dict to a safetensors file that PyTorch users can load with
  /// `safetensors.torch.load_file` and `load_state_dict`.
  ///
  /// The file is replaced atomically: if saving fails, a previous file at `url` is left intact.
  ///
  /// - Parameters:
  ///   - url: The file to write.
  ///   - metadata: Free-form strings to store in the file's `__metadata__`.
  /// - Throws: `TensorFileError` when the file cannot be written.
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try SafeTensors.write(stateDict(), metadata: metadata, to: url)
  }

  /// Saves the state dict to the safetensors file at `path`, as `save(to:metadata:)` with a URL
  /// does.
  ///
  /// - Parameters:
  ///   - path: The file's path, absolute or relative to the working directory.
  ///   - metadata: Free-form strings to store in the file's `__metadata__`.
  /// - Throws: `TensorFileError` when the file cannot be written.
  public func save(to path: String, metadata: [String: String] = [:]) throws {
    try save(to: URL(fileURLWithPath: path), metadata: metadata)
  }

  /// Loads a state dict from a safetensors file, such as one saved by `save(to:)` or by
  /// PyTorch's `safetensors.torch.save_file(model.state_dict(), ...)`, or from a file written by
  /// `torch.save(model.state_dict(), ...)`; the format is told from the file's contents.
  ///
  /// ```swift
  /// try model.load(from: URL(fileURLWithPath: "model.safetensors"))
  /// try model.load(from: URL(fileURLWithPath: "model.pt"))
  /// ```
  ///
  /// A `torch.save` file that holds more than a state dict, such as a training checkpoint, is
  /// refused with its keys listed; read it with `PyTorchFile` and load the part that is one:
  /// `try model.loadStateDict(PyTorchFile.read(from: url)["model"]!.tensors!)`.
  ///
  /// - Parameters:
  ///   - url: The file to read.
  ///   - strict: Whether missing and unexpected names are errors (see `loadStateDict`).
  ///   - converting: Whether tensors may convert between integers and floating point (see
  ///     `loadStateDict`).
  /// - Returns: The missing and unexpected keys a non-strict load skipped.
  /// - Throws: `TensorFileError` naming the file, for a file that cannot be read and for a state
  ///   that does not fit the module (then its `underlyingError` is the `StateDictError`).
  @discardableResult
  public func load(
    from url: URL, strict: Bool = true, converting: Bool = false
  ) throws -> StateDictLoadResult {
    let tensors =
      try PyTorchFile.isZipArchive(url) ? pyTorchStateDict(url) : SafeTensors.read(from: url).0
    do {
      return try loadStateDict(tensors, strict: strict, converting: converting)
    } catch {
      throw TensorFileError(
        url: url, problem: "does not fit the module: \(error)", underlyingError: error)
    }
  }

  /// Loads a state dict from the safetensors or `torch.save` file at `path`, as
  /// `load(from:strict:converting:)` with a URL does.
  ///
  /// - Parameters:
  ///   - path: The file's path, absolute or relative to the working directory.
  ///   - strict: Whether missing and unexpected names are errors.
  ///   - converting: Whether tensors may convert between integers and floating point.
  /// - Returns: The missing and unexpected keys a non-strict load skipped.
  /// - Throws: `TensorFileError` naming the file.
  @discardableResult
  public func load(
    from path: String, strict: Bool = true, converting: Bool = false
  ) throws -> StateDictLoadResult {
    try load(from: URL(fileURLWithPath: path), strict: strict, converting: converting)
  }
}

/// The state dict a `torch.save` file holds, or an error saying what it holds instead.
private func pyTorchStateDict(_ url: URL) throws -> [String: Tensor] {
  let value = try PyTorchFile.read(from: url)
  if let tensors = value.tensors { return tensors }
  guard let entries = value.entries else {
    let kind =
      switch value {
      case .list: "a list"
      case .tuple: "a tuple"
      case .tensor: "a single tensor"
      default: quotedForError(value.description)
      }
    throw TensorFileError(url: url, problem: "holds \(kind), not a state dict")
  }
  var keys = entries.prefix(20).map { quotedForError($0.key.description) }.joined(separator: ", ")
  if entries.count > 20 { keys += " and \(entries.count - 20) more" }
  let parts = entries.filter { $0.value.tensors != nil }.prefix(20).map { "[\($0.key)]" }
  throw TensorFileError(
    url: url,
    problem: "holds a dictionary with keys \(keys), not a state dict"
      + (parts.isEmpty
        ? ""
        : "; the state dicts in it are \(parts.joined(separator: " and ")): read the file with "
          + "PyTorchFile.read(from:) and load one with loadStateDict"))
}

extension Module: Checkpointable {
  /// The state dict as a checkpoint state (tensors only; a module has no numbers).
  public func checkpointState() -> TrainingState { TrainingState(tensors: stateDict()) }

  /// Loads the tensors of `state` strictly; throws a `StateDictError` without changing anything
  /// when they do not fit, or when the state holds numbers (a module has none).
  public func restore(from state: TrainingState) throws {
    guard state.values.isEmpty else {
      throw StateDictError(
        moduleType: "\(type(of: self))", missingKeys: [],
        unexpectedKeys: state.values.keys.sorted(), shapeMismatches: [])
    }
    try loadStateDict(state.tensors, strict: true)
  }
}

/// Whether two tensors of one shape hold the same values (NaNs count as equal).
private func haveEqualValues(_ a: Tensor, _ b: Tensor) -> Bool {
  zip([Double](a), [Double](b)).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
}
