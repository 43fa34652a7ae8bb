import Foundation

/// Why a state dict could not be loaded into a module: the keys it lacks, the keys the module
/// does not have, and the tensors whose shapes differ, as PyTorch's `load_state_dict` reports.
public struct StateDictError: Error, CustomStringConvertible {
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
  /// The tensors are detached values: later training does not change them (tensors are
  /// copy-on-write), and changing them does not change the module.
  ///
  /// ```swift
  /// let model = Sequential { Linear(3, 4); Linear(4, 2) }
  /// model.stateDict().keys.sorted()  // ["0.bias", "0.weight", "1.bias", "1.weight"]
  /// ```
  public func stateDict() -> [String: Tensor] {
    var state: [String: Tensor] = [:]
    for (name, parameter) in namedParameters() { state[name] = parameter.value.detached() }
    for (name, buffer) in namedBuffers() { state[name] = buffer.value.detached() }
    return state
  }

  /// Copies tensors from a state dict into the parameters and buffers of the same names, as
  /// PyTorch's `load_state_dict`.
  ///
  /// Everything is checked before anything is assigned, so a failed load changes nothing.
  /// Values are converted to each parameter's or buffer's dtype; parameters keep their identity
  /// (optimizers holding them still see them), gradient and frozen state.
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
  /// - Returns: The missing and unexpected keys (both empty after a strict load).
  /// - Throws: `StateDictError` listing every problem: shape mismatches always, missing and
  ///   unexpected keys when `strict`.
  @discardableResult
  public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws
    -> StateDictLoadResult
  {
    let parameters = namedParameters()
    let buffers = namedBuffers()
    var expectedShapes: [String: [Int]] = [:]
    for (name, parameter) in parameters { expectedShapes[name] = parameter.value.shape }
    for (name, buffer) in buffers { expectedShapes[name] = buffer.value.shape }

    let missing = (parameters.map(\.name) + buffers.map(\.name)).filter { state[$0] == nil }
    let unexpected = state.keys.filter { expectedShapes[$0] == nil }.sorted()
    var mismatches: [StateDictError.ShapeMismatch] = []
    for (name, shape) in parameters.map({ ($0.name, $0.parameter.value.shape) })
      + buffers.map({ ($0.name, $0.buffer.value.shape) })
    {
      if let tensor = state[name], tensor.shape != shape {
        mismatches.append(.init(name: name, expected: shape, found: tensor.shape))
      }
    }
    if !mismatches.isEmpty || (strict && !(missing.isEmpty && unexpected.isEmpty)) {
      throw StateDictError(
        moduleType: "\(type(of: self))", missingKeys: strict ? missing : [],
        unexpectedKeys: strict ? unexpected : [], shapeMismatches: mismatches)
    }

    for (name, parameter) in parameters {
      if let tensor = state[name] { parameter.assign(tensor) }
    }
    for (name, buffer) in buffers {
      if let tensor = state[name] {
        buffer.value = tensor.detached().converted(to: buffer.value.dtype)
      }
    }
    return StateDictLoadResult(missingKeys: missing, unexpectedKeys: unexpected)
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

  /// Loads a state dict from a safetensors file, such as one saved by `save(to:)` or by
  /// PyTorch's `safetensors.torch.save_file(model.state_dict(), ...)`.
  ///
  /// ```swift
  /// try model.load(from: URL(fileURLWithPath: "model.safetensors"))
  /// ```
  ///
  /// - Parameters:
  ///   - url: The file to read.
  ///   - strict: Whether missing and unexpected names are errors (see `loadStateDict`).
  /// - Returns: The missing and unexpected keys a non-strict load skipped.
  /// - Throws: `TensorFileError` naming the file, for a file that cannot be read and for a state
  ///   that does not fit the module (then its `underlyingError` is the `StateDictError`).
  @discardableResult
  public func load(from url: URL, strict: Bool = true) throws -> StateDictLoadResult {
    let (tensors, _) = try SafeTensors.read(from: url)
    do {
      return try loadStateDict(tensors, strict: strict)
    } catch {
      throw TensorFileError(
        url: url, problem: "does not fit the module: \(error)", underlyingError: error)
    }
  }
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
