import Foundation
import Testing

@testable import NablaTraining

/// Rows `[2i, 2i + 1]` for inputs and class index `i` for targets, so a batch shows which
/// elements it holds.
func numberedPairs(_ count: Int) -> TensorDataset<(Tensor, Tensor)> {
  TensorDataset(
    Tensor.arange(0, Double(2 * count)).reshaped([count, 2]), Tensor(indices: Array(0..<count)))
}

/// The element indices of each batch of an epoch of a loader over `numberedPairs`.
func epochIndices<Source: Dataset>(
  _ loader: DataLoader<Source, (Tensor, Tensor)>
) -> [[Int]] where Source.Failure == Never {
  loader.map { _, targets in targets.scalars.map { Int($0) } }
}

/// A dataset of the numbers `0..<count` as scalar tensors, whose element `failingIndex` cannot
/// be read.
struct FlakyDataset: Dataset {
  struct ReadError: Error, Equatable { let index: Int }
  let count: Int
  let failingIndex: Int

  func element(at index: Int) throws(ReadError) -> Tensor {
    if index == failingIndex { throw ReadError(index: index) }
    return Tensor([Float(index)], shape: [])
  }
}

/// A fresh directory for one test's files, removed when the value is released.
final class DataDirectory {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "nabla-data-tests-\(UUID().uuidString)", isDirectory: true)

  init() throws {
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(at: url) }

  /// A path inside the directory.
  func file(_ name: String) -> URL { url.appendingPathComponent(name) }

  /// Writes `tensor` as a `.npy` file named `name`.
  func writeNumPy(_ tensor: Tensor, _ name: String) throws -> URL {
    let file = file(name)
    try tensor.writeNumPy(to: file)
    return file
  }

  /// Cuts the file at `url` to its first `count` bytes.
  func truncate(_ url: URL, to count: Int) throws {
    try Data(try Data(contentsOf: url).prefix(count)).write(to: url)
  }
}

// The loader tests run one at a time, so that the count of live prefetch workers is theirs.
@Suite(.serialized) struct DataLoaderTests {
  @Test func batchesHoldTheElementsInOrder() {
    let loader = DataLoader(numberedPairs(7), batchSize: 3)
    #expect(loader.count == 3)
    let batches = Array(loader)
    #expect(batches.map { $0.0.shape } == [[3, 2], [3, 2], [1, 2]])
    #expect(batches[0].0.scalars == [0, 1, 2, 3, 4, 5])
    #expect(batches[2].0.scalars == [12, 13])
    #expect(batches.map { $0.1.scalars } == [[0, 1, 2], [3, 4, 5], [6]])
    #expect(batches.allSatisfy { $0.1.dtype == .int64 })
  }

  @Test func tensorElementsStackIntoABatch() {
    let loader = DataLoader(TensorDataset(Tensor.arange(0, 6).reshaped([3, 2])), batchSize: 2)
    #expect(loader.map(\.shape) == [[2, 2], [1, 2]])
    #expect(loader.map(\.scalars) == [[0, 1, 2, 3], [4, 5]])
  }

  @Test func dropLastLeavesOutTheShortBatch() {
    let dropping = DataLoader(numberedPairs(7), batchSize: 3, dropLast: true)
    #expect(dropping.count == 2)
    #expect(epochIndices(dropping) == [[0, 1, 2], [3, 4, 5]])
    #expect(DataLoader(numberedPairs(6), batchSize: 3, dropLast: true).count == 2)
    #expect(DataLoader(numberedPairs(2), batchSize: 3, dropLast: true).map { $0 }.isEmpty)
    #expect(DataLoader(numberedPairs(0), batchSize: 3).map { $0 }.isEmpty)
  }

  @Test func shuffleIsFixedBySeedAndNewEachEpoch() {
    func epochs(seed: UInt64) -> [[[Int]]] {
      let loader = DataLoader(
        numberedPairs(10), batchSize: 4, shuffle: true, generator: RandomGenerator(seed: seed))
      return (0..<3).map { _ in epochIndices(loader) }
    }
    let first = epochs(seed: 11)
    #expect(first == epochs(seed: 11))
    #expect(first != epochs(seed: 12))
    #expect(first[0] != first[1] && first[1] != first[2])
    for epoch in first {
      #expect(epoch.map(\.count) == [4, 4, 2])
      #expect(epoch.flatMap { $0 }.sorted() == Array(0..<10))
    }
    // Each epoch's order is the generator's next permutation.
    let generator = RandomGenerator(seed: 11)
    _ = generator.permutation(count: 10)
    #expect(first[1].flatMap { $0 } == generator.permutation(count: 10))
  }

  @Test func aCustomCollateGetsTheElementsInOrder() {
    let loader = DataLoader(numberedPairs(5), batchSize: 2) { pairs in
      pairs.map { Int($0.1.scalars[0]) }
    }
    #expect(Array(loader) == [[0, 1], [2, 3], [4]])
    let rows = TensorDataset([Tensor.ones([3, 2]), Tensor.zeros([3]), Tensor(indices: [7, 8, 9])])
    let arrays = Array(DataLoader(rows, batchSize: 3, collate: Collate.stacked))
    #expect(arrays.count == 1 && arrays[0].map(\.shape) == [[3, 2], [3], [3]])
    #expect(arrays[0][2].scalars == [7, 8, 9])
  }

  @Test func prefetchingGivesTheSameBatchesAsNot() {
    func epochs(prefetch: Int) -> [[Double]] {
      let loader = DataLoader(
        numberedPairs(23), batchSize: 4, shuffle: true, generator: RandomGenerator(seed: 3),
        prefetch: prefetch)
      return (0..<3).flatMap { _ in loader.map { $0.0.scalars } }
    }
    let reference = epochs(prefetch: 0)
    #expect(reference.count == 18)
    for prefetch in [1, 2, 5, 40] { #expect(epochs(prefetch: prefetch) == reference) }
    #expect(PrefetchWorkers.live.value == 0)
  }

  @Test func anEpochAbandonedPartwayStopsItsWorker() {
    let loader = DataLoader(numberedPairs(40), batchSize: 2, prefetch: 3)
    let baseline = PrefetchWorkers.live.value
    for taken in [0, 1, 5, 19] {
      do {
        var batches = loader.makeIterator()
        #expect(PrefetchWorkers.live.value == baseline + 1)
        for _ in 0..<taken { _ = batches.next() }
      }
      #expect(PrefetchWorkers.live.value == baseline)
      #expect(epochIndices(loader) == (0..<20).map { [2 * $0, 2 * $0 + 1] })
    }
    for _ in 0..<50 {  // many workers started and stopped: none left, no deadlock
      var batches = loader.makeIterator()
      _ = batches.next()
    }
    #expect(PrefetchWorkers.live.value == baseline)
  }

  @Test(arguments: [0, 2])
  func aReadErrorReachesTheCallerAndIterationGoesOn(prefetch: Int) {
    let loader = DataLoader(
      FlakyDataset(count: 8, failingIndex: 4), batchSize: 2, prefetch: prefetch)
    var batches = loader.batches()
    var read: [[Double]] = []
    var errors: [FlakyDataset.ReadError] = []
    for _ in 0..<5 {
      do {
        guard let batch = try batches.next() else { break }
        read.append(batch.scalars)
      } catch {
        errors.append(error)  // typed: a FlakyDataset.ReadError
      }
    }
    #expect(errors == [FlakyDataset.ReadError(index: 4)])
    #expect(read == [[0, 1], [2, 3], [6, 7]])
    var again = loader.batches()
    #expect((try? again.next())??.scalars == [0, 1])
  }

  @Test(arguments: [0, 2])
  func batchesAreLoadedWithoutGradients(prefetch: Int) {
    let dataset = TensorDataset(Tensor.ones([4, 2]).requiringGrad())
    let batches = Array(DataLoader(dataset, batchSize: 2, prefetch: prefetch))
    #expect(batches.count == 2 && batches.allSatisfy { !$0.requiresGrad })
  }
}

@Suite struct DatasetTests {
  @Test func tensorDatasetSlicesTheFirstAxis() {
    let dataset = numberedPairs(4)
    #expect(dataset.count == 4)
    let (x, y) = dataset.element(at: 2)
    #expect(x.shape == [2] && x.scalars == [4, 5])
    #expect(y.shape == [] && y.scalars == [2])
  }

  @Test func tensorDatasetNamesTheShapesThatDisagree() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = TensorDataset(Tensor.zeros([4, 3]), Tensor.zeros([5]))
    }
    let printed = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(
      printed.contains(
        "TensorDataset: tensors of shapes [4, 3], [5] do not share their first axis (4 != 5)"),
      "stderr was: \(printed)")
  }

  @Test func subsetReadsTheChosenIndices() {
    let subset = Subset(of: numberedPairs(5), indices: [4, 0, 4])
    #expect(subset.count == 3)
    #expect((0..<3).map { subset.element(at: $0).1.scalars[0] } == [4, 0, 4])
  }

  @Test func randomSplitIsDisjointAndCoversTheDataset() {
    let dataset = numberedPairs(10)
    let parts = randomSplit(dataset, lengths: [6, 3, 1], generator: RandomGenerator(seed: 2))
    #expect(parts.map(\.count) == [6, 3, 1])
    let all = parts.flatMap(\.indices)
    #expect(all.sorted() == Array(0..<10))
    #expect(all == RandomGenerator(seed: 2).permutation(count: 10))
    let again = randomSplit(dataset, lengths: [6, 3, 1], generator: RandomGenerator(seed: 2))
    #expect(again.map(\.indices) == parts.map(\.indices))
  }

  @Test func randomSplitByFractionsGivesTheRemainderInTurn() {
    let seed = RandomGenerator(seed: 0)
    #expect(randomSplit(numberedPairs(10), fractions: [0.5, 0.3, 0.2]).map(\.count) == [5, 3, 2])
    #expect(randomSplit(numberedPairs(11), fractions: [0.5, 0.5]).map(\.count) == [6, 5])
    let thirds = randomSplit(numberedPairs(8), fractions: [0.34, 0.33, 0.33], generator: seed)
    #expect(thirds.map(\.count) == [3, 3, 2])  // floors 2, 2, 2 and two left over
    #expect(thirds.flatMap(\.indices).sorted() == Array(0..<8))
  }
}

@Suite struct FileDatasetTests {
  @Test func numpyFilesGiveTheSameDatasetAsTheTensors() throws {
    let directory = try DataDirectory()
    let memory = numberedPairs(5)
    let x = try directory.writeNumPy(memory.tensors[0], "x.npy")
    let y = try directory.writeNumPy(memory.tensors[1], "y.npy")
    for dataset in [
      try TensorDataset(numpyInputs: x, targets: y),
      try TensorDataset(numpyInputs: x.path, targets: y.path),
    ] {
      #expect(dataset.count == 5)
      #expect(
        epochIndices(DataLoader(dataset, batchSize: 2))
          == epochIndices(DataLoader(memory, batchSize: 2)))
      #expect(dataset.element(at: 3).0.scalars == [6, 7])
    }
    #expect(try TensorDataset(numpyFile: x.path).element(at: 1).scalars == [2, 3])
  }

  @Test func badNumPyFilesThrow() throws {
    let directory = try DataDirectory()
    let x = try directory.writeNumPy(Tensor.zeros([4, 3]), "x.npy")
    let short = try directory.writeNumPy(Tensor.zeros([5]), "short.npy")
    let cut = try directory.writeNumPy(Tensor.zeros([4]), "cut.npy")
    try directory.truncate(cut, to: 140)
    let truncated = #expect(throws: TensorFileError.self) {
      try TensorDataset(numpyInputs: x, targets: cut)
    }
    #expect(truncated?.url == cut)
    let mismatch = #expect(throws: TensorFileError.self) {
      try TensorDataset(numpyInputs: x, targets: short)
    }
    #expect(mismatch?.url == x)
    #expect(mismatch?.description.contains("[4, 3], [5] do not share their first axis") == true)
    let missing = #expect(throws: TensorFileError.self) {
      try TensorDataset(numpyFile: directory.file("none.npy").path)
    }
    #expect(missing?.url.lastPathComponent == "none.npy")
  }

  @Test func safeTensorsAreReadByName() throws {
    let directory = try DataDirectory()
    let file = directory.file("data.safetensors")
    let memory = numberedPairs(3)
    try SafeTensors.write(["images": memory.tensors[0], "labels": memory.tensors[1]], to: file)
    let dataset = try TensorDataset(safeTensorsFile: file.path, inputs: "images", targets: "labels")
    #expect(dataset.element(at: 2).0.scalars == [4, 5] && dataset.element(at: 2).1.scalars == [2])
    #expect(try TensorDataset(safeTensorsFile: file, name: "labels").count == 3)
    let missing = #expect(throws: TensorFileError.self) {
      try TensorDataset(safeTensorsFile: file, inputs: "images", targets: "targets")
    }
    #expect(missing?.problem == "no tensor named 'targets' (the file holds 'images', 'labels')")
  }

  @Test func aDamagedFileInAFolderFailsOnlyItsBatch() throws {
    let directory = try DataDirectory()
    for i in 0..<6 { _ = try directory.writeNumPy(Tensor([Float(i), 0]), "sample\(i).npy") }
    try directory.truncate(directory.file("sample3.npy"), to: 20)
    let dataset = try NumPyFilesDataset(directory: directory.url)
    #expect(dataset.files.map(\.lastPathComponent) == (0..<6).map { "sample\($0).npy" })
    var batches = DataLoader(dataset, batchSize: 2).batches()
    var results: [String] = []
    while true {
      do {
        guard let batch = try batches.next() else { break }
        results.append("\(batch.scalars)")
      } catch {
        results.append(error.url.lastPathComponent)  // typed: a TensorFileError
      }
    }
    #expect(results == ["[0.0, 0.0, 1.0, 0.0]", "sample3.npy", "[4.0, 0.0, 5.0, 0.0]"])
  }
}

/// A TensorDataset under the default collate is read a batch at a time (one copy per tensor),
/// giving exactly the batches that reading element by element and stacking gives.
@Suite struct GatheredBatchTests {
  @Test(arguments: [false, true])
  func gatheredBatchesEqualStackedElements(shuffle: Bool) {
    let inputs = Tensor((0..<70).map { Float($0) }, shape: [10, 7])
    let labels = Tensor(indices: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    let dataset = TensorDataset(inputs, labels)
    let gathered = DataLoader(
      dataset, batchSize: 4, shuffle: shuffle, generator: RandomGenerator(seed: 5), prefetch: 0)
    let stacked = DataLoader(
      dataset, batchSize: 4, shuffle: shuffle, generator: RandomGenerator(seed: 5), prefetch: 0,
      collate: Collate.stacked)
    let (a, b) = (Array(gathered), Array(stacked))
    #expect(a.count == 3 && b.count == 3)
    for ((x, y), (u, v)) in zip(a, b) {
      #expect(x.shape == u.shape && x.scalars == u.scalars)
      #expect(y.dtype == .int64)
      #expect(y.shape == v.shape)
      #expect(y.scalars == v.scalars)
    }
    let single = DataLoader(TensorDataset(inputs), batchSize: 3, shuffle: shuffle, prefetch: 0)
    let shapes: [[Int]] = single.map { (batch: Tensor) in batch.shape }
    #expect(shapes == [[3, 7], [3, 7], [3, 7], [1, 7]])
  }
}
