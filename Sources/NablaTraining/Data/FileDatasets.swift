import Foundation

// Datasets read from `.npy` and safetensors files. Files are data from outside: every problem
// with one (missing, truncated, malformed, a missing name, first axes that differ) throws a
// `TensorFileError` naming the file, never stops the process.

extension TensorDataset where Element == Tensor {
  /// A dataset of the slices along the first axis of the array in a NumPy `.npy` file.
  ///
  /// ```swift
  /// let images = try TensorDataset(numpyFile: "images.npy")
  /// ```
  ///
  /// - Parameter url: The file, as `numpy.save` writes it (see `Tensor(numpyFile:)`).
  /// - Throws: `TensorFileError` when the file cannot be read or holds a scalar.
  public init(numpyFile url: URL) throws(TensorFileError) {
    let tensor = try readingTensorFile(url) { try Tensor(numpyFile: url) }
    try self.init(loaded: [tensor], from: [url]) { $0[0] }
  }

  /// A dataset of the slices of the array in the `.npy` file at `path`.
  ///
  /// - Parameter path: The file's path.
  /// - Throws: `TensorFileError` when the file cannot be read or holds a scalar.
  public init(numpyFile path: String) throws(TensorFileError) {
    try self.init(numpyFile: URL(fileURLWithPath: path))
  }

  /// A dataset of the slices of the tensor `name` in a safetensors file.
  ///
  /// - Parameters:
  ///   - url: The file (see `SafeTensors.read(from:)`).
  ///   - name: The name of the tensor in the file.
  /// - Throws: `TensorFileError` when the file cannot be read or holds no tensor `name`.
  public init(safeTensorsFile url: URL, name: String) throws(TensorFileError) {
    let tensors = try readSafeTensors(url, names: [name])
    try self.init(loaded: tensors, from: [url]) { $0[0] }
  }

  /// A dataset of the slices of the tensor `name` in the safetensors file at `path`.
  ///
  /// - Parameters:
  ///   - path: The file's path.
  ///   - name: The name of the tensor in the file.
  /// - Throws: `TensorFileError` when the file cannot be read or holds no tensor `name`.
  public init(safeTensorsFile path: String, name: String) throws(TensorFileError) {
    try self.init(safeTensorsFile: URL(fileURLWithPath: path), name: name)
  }
}

extension TensorDataset where Element == (Tensor, Tensor) {
  /// A dataset of `(input, target)` pairs from two NumPy `.npy` files with the same first
  /// dimension.
  ///
  /// ```swift
  /// let dataset = try TensorDataset(numpyInputs: "x.npy", targets: "y.npy")
  /// ```
  ///
  /// - Parameters:
  ///   - inputs: The file of the inputs.
  ///   - targets: The file of the targets.
  /// - Throws: `TensorFileError` when a file cannot be read, or the arrays' first dimensions
  ///   differ.
  public init(numpyInputs inputs: URL, targets: URL) throws(TensorFileError) {
    let x = try readingTensorFile(inputs) { try Tensor(numpyFile: inputs) }
    let y = try readingTensorFile(targets) { try Tensor(numpyFile: targets) }
    try self.init(loaded: [x, y], from: [inputs, targets]) { ($0[0], $0[1]) }
  }

  /// A dataset of `(input, target)` pairs from the `.npy` files at two paths.
  ///
  /// - Parameters:
  ///   - inputs: The path of the inputs' file.
  ///   - targets: The path of the targets' file.
  /// - Throws: `TensorFileError` when a file cannot be read, or the first dimensions differ.
  public init(numpyInputs inputs: String, targets: String) throws(TensorFileError) {
    try self.init(numpyInputs: URL(fileURLWithPath: inputs), targets: URL(fileURLWithPath: targets))
  }

  /// A dataset of `(input, target)` pairs from two tensors of a safetensors file, named
  /// `inputs` and `targets`.
  ///
  /// ```swift
  /// let url = URL(fileURLWithPath: "mnist.safetensors")
  /// let dataset = try TensorDataset(safeTensorsFile: url, inputs: "images", targets: "labels")
  /// ```
  ///
  /// - Parameters:
  ///   - url: The file (see `SafeTensors.read(from:)`).
  ///   - inputs: The name of the inputs' tensor.
  ///   - targets: The name of the targets' tensor.
  /// - Throws: `TensorFileError` when the file cannot be read, a name is missing, or the first
  ///   dimensions differ.
  public init(safeTensorsFile url: URL, inputs: String, targets: String) throws(TensorFileError) {
    let tensors = try readSafeTensors(url, names: [inputs, targets])
    try self.init(loaded: tensors, from: [url]) { ($0[0], $0[1]) }
  }

  /// A dataset of `(input, target)` pairs from two tensors of the safetensors file at `path`.
  ///
  /// - Parameters:
  ///   - path: The file's path.
  ///   - inputs: The name of the inputs' tensor.
  ///   - targets: The name of the targets' tensor.
  /// - Throws: `TensorFileError` when the file cannot be read, a name is missing, or the first
  ///   dimensions differ.
  public init(safeTensorsFile path: String, inputs: String, targets: String)
    throws(TensorFileError)
  {
    try self.init(safeTensorsFile: URL(fileURLWithPath: path), inputs: inputs, targets: targets)
  }
}

extension TensorDataset {
  /// A dataset of tensors read from `urls`, throwing when they do not share their first axis.
  init(loaded tensors: [Tensor], from urls: [URL], makeElement: @escaping ([Tensor]) -> Element)
    throws(TensorFileError)
  {
    if let problem = Self.firstAxisProblem(tensors.map(\.shape)) {
      let others = urls.dropFirst().map(\.path)
      throw TensorFileError(
        url: urls[0],
        problem: (others.isEmpty ? "" : "with \(others.joined(separator: ", ")): ") + problem)
    }
    self.init(checked: tensors, makeElement: makeElement)
  }
}

/// A dataset of NumPy `.npy` files, one element a file, read when the element is asked for (as
/// a folder of samples too large to hold in memory).
///
/// Reading can fail: a missing or damaged file throws a `TensorFileError` for that element, and
/// the other elements can still be read.
///
/// ```swift
/// let samples = try NumPyFilesDataset(directory: URL(fileURLWithPath: "samples"))
/// var batches = DataLoader(samples, batchSize: 16).batches()
/// while let batch = try batches.next() { print(batch.shape) }
/// ```
public struct NumPyFilesDataset: Dataset {
  /// The files, one per element, in order.
  public let files: [URL]

  /// A dataset of `files`, one element each, in order.
  ///
  /// - Parameter files: The `.npy` files; they are not opened until read.
  public init(files: [URL]) {
    self.files = files
  }

  /// A dataset of the files at `paths`, one element each, in order.
  ///
  /// - Parameter paths: The paths of the `.npy` files.
  public init(paths: [String]) {
    self.init(files: paths.map { URL(fileURLWithPath: $0) })
  }

  /// A dataset of the `.npy` files in `directory`, ordered by name (by Unicode scalars, the same
  /// on every platform); subdirectories are not searched.
  ///
  /// - Parameter directory: The folder of files.
  /// - Throws: `TensorFileError` when the folder cannot be listed.
  public init(directory: URL) throws(TensorFileError) {
    let contents = try readingTensorFile(directory) {
      try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
    }
    let files = contents.filter { $0.pathExtension == "npy" }
    self.init(
      files: files.sorted {
        $0.lastPathComponent.unicodeScalars.lexicographicallyPrecedes(
          $1.lastPathComponent.unicodeScalars)
      })
  }

  /// The number of files.
  public var count: Int { files.count }

  /// The tensor in the file at `index`.
  ///
  /// - Parameter index: A position in `0..<count`.
  /// - Throws: `TensorFileError` when the file cannot be read.
  public func element(at index: Int) throws(TensorFileError) -> Tensor {
    requireIndex(index, "NumPyFilesDataset")
    let url = files[index]
    return try readingTensorFile(url) { try Tensor(numpyFile: url) }
  }
}

/// The tensors `names` of the safetensors file at `url`, in the order of `names`.
func readSafeTensors(_ url: URL, names: [String]) throws(TensorFileError) -> [Tensor] {
  let tensors = try readingTensorFile(url) { try SafeTensors.read(from: url).tensors }
  return try names.map { name throws(TensorFileError) in
    guard let tensor = tensors[name] else {
      let held = tensors.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
      throw TensorFileError(
        url: url,
        problem: "no tensor named '\(name)' (the file holds \(held.isEmpty ? "none" : held))")
    }
    return tensor
  }
}

/// The result of `body`, which reads `url`; an error other than a `TensorFileError` is wrapped
/// in one about `url`.
func readingTensorFile<Result>(_ url: URL, _ body: () throws -> Result) throws(TensorFileError)
  -> Result
{
  do {
    return try body()
  } catch let error as TensorFileError {
    throw error
  } catch {
    throw TensorFileError(url: url, problem: error.localizedDescription, underlyingError: error)
  }
}
