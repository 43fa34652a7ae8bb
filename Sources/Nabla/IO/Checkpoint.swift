import Foundation

/// Saves the state of a training run (model, optimizer, schedule, ...) into one safetensors
/// file, and restores it, so that training continues exactly where it stopped.
///
/// Each part's tensors are stored as `<part>.<name>` (for example `model.0.weight`); its numbers,
/// the step and a format marker go into the file's `__metadata__`. The file is therefore a valid
/// safetensors file that Python can open.
///
/// ```swift
/// let parts: [String: any Checkpointable] = ["model": model, "optimizer": optimizer]
/// try Checkpoint.save(parts, step: 1000, to: url)
/// // ... later, or in another process, with freshly made objects:
/// let step = try Checkpoint.load(from: url, into: parts)
/// ```
public enum Checkpoint {
  /// The value of the `format` metadata entry that marks a Nabla checkpoint.
  public static let formatName = "nabla.checkpoint"
  /// The version of the layout this library writes, and the newest it reads.
  public static let formatVersion = 1

  enum MetadataKey {
    static let format = "format"
    static let version = "format_version"
    static let step = "step"
    static let values = "values"
  }

  /// Writes the state of every part, and the step, to `url`.
  ///
  /// The file is replaced atomically: if saving fails, a previous checkpoint at `url` is left
  /// intact.
  ///
  /// - Parameters:
  ///   - parts: The objects to save, by a name without dots (such as `model`, `optimizer`).
  ///   - step: The training step reached, returned by `load(from:into:)`.
  ///   - url: The file to write.
  /// - Throws: `TensorFileError` when the file cannot be written.
  public static func save(_ parts: [String: any Checkpointable], step: Int, to url: URL) throws {
    var tensors: [String: Tensor] = [:]
    var values: [String: [String: Any]] = [:]
    for (part, object) in parts {
      require(
        !part.isEmpty && !part.contains("."),
        "Checkpoint.save: part names must be non-empty and contain no '.', got '\(part)'")
      let state = object.checkpointState()
      for (name, tensor) in state.tensors { tensors["\(part).\(name)"] = tensor }
      values[part] = state.values.mapValues(encode)
    }
    let valuesJSON = try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
    let metadata = [
      MetadataKey.format: formatName,
      MetadataKey.version: String(formatVersion),
      MetadataKey.step: String(step),
      MetadataKey.values: String(decoding: valuesJSON, as: UTF8.self),
    ]
    try SafeTensors.write(tensors, metadata: metadata, to: url)
  }

  /// Saves `parts` at `step` to the file at `path`, as `save(_:step:to:)` with a URL does.
  ///
  /// - Parameters:
  ///   - parts: The objects to save, by part name.
  ///   - step: The training step the checkpoint belongs to.
  ///   - path: The file's path, absolute or relative to the working directory.
  /// - Throws: `TensorFileError` when the file cannot be written.
  public static func save(_ parts: [String: any Checkpointable], step: Int, to path: String)
    throws
  {
    try save(parts, step: step, to: URL(fileURLWithPath: path))
  }

  /// Restores every part from a checkpoint written by `save(_:step:to:)`.
  ///
  /// Everything is checked before any part is changed: the format marker and version, the step,
  /// the numbers, and that the file holds exactly the parts given (the error lists the missing
  /// and unexpected ones). If a part's own `restore(from:)` then refuses its state, the parts
  /// already restored are put back as they were, so a failed load leaves every part unchanged.
  ///
  /// - Parameters:
  ///   - url: The checkpoint file.
  ///   - parts: The objects to restore, by the names they were saved under.
  /// - Returns: The step stored in the checkpoint.
  /// - Throws: `TensorFileError` naming the file and the problem.
  @discardableResult
  public static func load(from url: URL, into parts: [String: any Checkpointable]) throws -> Int {
    for part in parts.keys {
      require(
        !part.isEmpty && !part.contains("."),
        "Checkpoint.load: part names must be non-empty and contain no '.', got '\(part)'")
    }
    let (tensors, metadata) = try SafeTensors.read(from: url)
    func failure(_ problem: String, _ underlying: (any Error)? = nil) -> TensorFileError {
      TensorFileError(url: url, problem: problem, underlyingError: underlying)
    }

    guard metadata[MetadataKey.format] == formatName else {
      throw failure(
        "is not a Nabla checkpoint: its metadata has no '\(MetadataKey.format)': "
          + "'\(formatName)' entry (a plain state dict loads with Module.load(from:))")
    }
    guard let versionText = metadata[MetadataKey.version], let version = Int(versionText),
      version >= 1
    else {
      throw failure(
        "metadata '\(MetadataKey.version)' is missing or not a positive integer: "
          + "\(metadata[MetadataKey.version].map { quotedForError($0) } ?? "absent")")
    }
    guard version <= formatVersion else {
      throw failure(
        "was written in checkpoint format version \(version); this library reads versions up "
          + "to \(formatVersion)")
    }
    guard let stepText = metadata[MetadataKey.step], let step = Int(stepText) else {
      throw failure(
        "metadata '\(MetadataKey.step)' is missing or not an integer: "
          + "\(metadata[MetadataKey.step].map { quotedForError($0) } ?? "absent")")
    }
    var states = try decodeValues(metadata[MetadataKey.values], failure: failure)

    let missing = parts.keys.filter { states[$0] == nil }.sorted()
    let unexpected = states.keys.filter { parts[$0] == nil }.sorted()
    guard missing.isEmpty && unexpected.isEmpty else {
      var problems: [String] = []
      if !missing.isEmpty { problems.append("missing parts: " + missing.joined(separator: ", ")) }
      if !unexpected.isEmpty {
        problems.append("unexpected parts: " + unexpected.joined(separator: ", "))
      }
      throw failure(
        "the checkpoint's parts (\(states.keys.sorted().joined(separator: ", "))) do not match "
          + "the parts to restore (\(parts.keys.sorted().joined(separator: ", "))): "
          + problems.joined(separator: "; "))
    }
    for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
      guard let dot = name.firstIndex(of: "."), states[String(name[..<dot])] != nil else {
        throw failure("tensor '\(name)' does not belong to any part of the checkpoint")
      }
      states[String(name[..<dot])]?.tensors[String(name[name.index(after: dot)...])] = tensor
    }

    // Every part's current state, to put back if a later part refuses its state.
    let order = parts.keys.sorted()
    var restored: [(object: any Checkpointable, previous: TrainingState)] = []
    for part in order {
      guard let object = parts[part], let state = states[part] else { continue }
      let previous = object.checkpointState()
      do {
        try object.restore(from: state)
      } catch {
        for (earlier, previousState) in restored.reversed() {
          try? earlier.restore(from: previousState)
        }
        throw failure("part '\(part)' cannot be restored: \(error)", error)
      }
      restored.append((object, previous))
    }
    return step
  }

  /// Restores `parts` from the checkpoint file at `path`, as `load(from:into:)` with a URL does.
  ///
  /// - Parameters:
  ///   - path: The file's path, absolute or relative to the working directory.
  ///   - parts: The objects to restore, by the part names they were saved under.
  /// - Returns: The step the checkpoint was saved at.
  /// - Throws: `TensorFileError` naming the file and what is wrong.
  @discardableResult
  public static func load(from path: String, into parts: [String: any Checkpointable]) throws
    -> Int
  {
    try load(from: URL(fileURLWithPath: path), into: parts)
  }

  /// A number as JSON: itself, or its text (`nan`, `inf`, `-inf`, `-0.0`) when a JSON number
  /// cannot hold it exactly.
  static func encode(_ value: Double) -> Any {
    value.isFinite && !(value == 0 && value.sign == .minus) ? value : String(value)
  }

  /// The number `encode` made (a JSON number or a string holding one), or nil.
  static func decode(_ value: Any) -> Double? {
    if let text = value as? String { return Double(text) }
    guard let number = value as? NSNumber,
      !["c", "C", "B"].contains(String(cString: number.objCType))
    else { return nil }
    return number.doubleValue
  }

  /// The parts' numbers from the `values` metadata entry, each part with an empty tensor list.
  private static func decodeValues(
    _ text: String?, failure: (String, (any Error)?) -> TensorFileError
  ) throws -> [String: TrainingState] {
    guard let text else {
      throw failure("metadata '\(MetadataKey.values)' is missing", nil)
    }
    let json: Any
    do {
      json = try JSONSerialization.jsonObject(with: Data(text.utf8))
    } catch {
      let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
      throw failure("metadata '\(MetadataKey.values)' is not valid JSON: \(detail)", error)
    }
    guard let object = json as? [String: Any] else {
      throw failure("metadata '\(MetadataKey.values)' is not a JSON object", nil)
    }
    var states: [String: TrainingState] = [:]
    for (part, entry) in object {
      guard !part.isEmpty, !part.contains(".") else {
        throw failure("metadata '\(MetadataKey.values)': '\(part)' is not a valid part name", nil)
      }
      guard let numbers = entry as? [String: Any] else {
        throw failure("metadata '\(MetadataKey.values)': part '\(part)' is not an object", nil)
      }
      var values: [String: Double] = [:]
      for (name, number) in numbers {
        guard let value = decode(number) else {
          throw failure(
            "metadata '\(MetadataKey.values)': '\(part)'.'\(name)' is not a number "
              + "(or a string holding one, such as \"nan\")", nil)
        }
        values[name] = value
      }
      states[part] = TrainingState(values: values)
    }
    return states
  }
}
