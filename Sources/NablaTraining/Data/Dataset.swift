/// A collection of samples that can be read by index, as PyTorch's map-style `Dataset`.
///
/// A dataset says how many elements it holds and reads one on demand; a `DataLoader` batches
/// and shuffles them. An element is whatever one sample is: a `Tensor`, an `(input, target)`
/// pair of tensors, or a type of your own.
///
/// Reading can fail only where the data comes from outside. `Failure` is the error an element's
/// read throws: `Never` (the default) for data in memory, which cannot fail, or an error type
/// such as `TensorFileError` for a dataset that reads files as it goes. A bad file then reaches
/// the caller as a thrown error, never stops the process. An index outside `0..<count` is a
/// programmer error and stops with a message.
///
/// ```swift
/// struct Squares: Dataset {
///   var count: Int { 100 }
///   func element(at index: Int) -> (Tensor, Tensor) {
///     (Tensor([Float(index)]), Tensor([Float(index * index)]))
///   }
/// }
/// ```
///
/// A `DataLoader` with `prefetch` above 0 reads elements on a worker thread while the training
/// loop runs: `element(at:)` must be safe to call from another thread (one call at a time).
public protocol Dataset<Element, Failure> {
  /// One sample.
  associatedtype Element
  /// The error reading an element can throw; `Never` when reading cannot fail.
  associatedtype Failure: Error = Never

  /// The number of elements.
  var count: Int { get }

  /// Reads the element at `index`.
  ///
  /// - Parameter index: A position in `0..<count`.
  /// - Throws: `Failure` when the element cannot be read (only for data from outside).
  func element(at index: Int) throws(Failure) -> Element
}

extension Dataset {
  /// Stops with a message naming `op` when `index` is not in `0..<count`.
  func requireIndex(_ index: Int, _ op: String) {
    require(
      index >= 0 && index < count,
      "\(op): index \(index) is out of range for a dataset of \(count) elements")
  }
}

/// The elements of a dataset at chosen indices, in their order, as `torch.utils.data.Subset`.
///
/// ```swift
/// let firstTen = Subset(of: dataset, indices: Array(0..<10))
/// ```
public struct Subset<Base: Dataset>: Dataset {
  /// The dataset the elements come from.
  public let base: Base
  /// The indices into `base` of this subset's elements, in order.
  public let indices: [Int]

  /// Creates the subset of `base` at `indices`.
  ///
  /// - Parameters:
  ///   - base: The dataset to take elements from.
  ///   - indices: Positions in `0..<base.count`; they may repeat.
  public init(of base: Base, indices: [Int]) {
    for index in indices { base.requireIndex(index, "Subset") }
    self.base = base
    self.indices = indices
  }

  /// The number of indices.
  public var count: Int { indices.count }

  /// The element of `base` at `indices[index]`.
  ///
  /// - Parameter index: A position in `0..<count`.
  /// - Throws: What `base` throws for that element.
  public func element(at index: Int) throws(Base.Failure) -> Base.Element {
    requireIndex(index, "Subset")
    return try base.element(at: indices[index])
  }
}

/// Splits a dataset at random into disjoint subsets of the given lengths, which together cover
/// it, as `torch.utils.data.random_split`.
///
/// The elements are put in the order `generator.permutation(count:)` draws; the first subset
/// takes the first `lengths[0]` of them, the next the following `lengths[1]`, and so on. The same
/// seed gives the same split.
///
/// ```swift
/// let parts = randomSplit(dataset, lengths: [800, 200], generator: RandomGenerator(seed: 0))
/// let (training, validation) = (parts[0], parts[1])
/// ```
///
/// - Parameters:
///   - dataset: The dataset to split.
///   - lengths: The subsets' sizes; they must not be negative and must add up to the count.
///   - generator: The source of the permutation (the global one by default).
/// - Returns: One subset per length.
public func randomSplit<Base: Dataset>(
  _ dataset: Base, lengths: [Int], generator: RandomGenerator = .global
) -> [Subset<Base>] {
  require(
    lengths.allSatisfy { $0 >= 0 } && lengths.reduce(0, +) == dataset.count,
    "randomSplit: lengths \(lengths) do not add up to the dataset's \(dataset.count) elements")
  let order = generator.permutation(count: dataset.count)
  var start = 0
  return lengths.map { length in
    defer { start += length }
    return Subset(of: dataset, indices: Array(order[start..<start + length]))
  }
}

/// Splits a dataset at random into disjoint subsets holding the given fractions of it, as
/// `torch.utils.data.random_split` with fractions.
///
/// Each subset gets `floor(count * fraction)` elements; the elements left over are given one at
/// a time to the subsets in turn, from the first, as PyTorch does.
///
/// ```swift
/// let parts = randomSplit(dataset, fractions: [0.8, 0.2])
/// ```
///
/// - Parameters:
///   - dataset: The dataset to split.
///   - fractions: Numbers in [0, 1] adding up to 1.
///   - generator: The source of the permutation (the global one by default).
/// - Returns: One subset per fraction.
public func randomSplit<Base: Dataset>(
  _ dataset: Base, fractions: [Double], generator: RandomGenerator = .global
) -> [Subset<Base>] {
  require(
    !fractions.isEmpty && fractions.allSatisfy { $0 >= 0 && $0 <= 1 }
      && abs(fractions.reduce(0, +) - 1) < 1e-9,
    "randomSplit: fractions \(fractions) must be in [0, 1] and add up to 1")
  var lengths = fractions.map { Int((Double(dataset.count) * $0).rounded(.down)) }
  let remainder = dataset.count - lengths.reduce(0, +)
  for i in 0..<remainder { lengths[i % lengths.count] += 1 }
  return randomSplit(dataset, lengths: lengths, generator: generator)
}
