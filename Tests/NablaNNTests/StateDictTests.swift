import Foundation
import Testing

@testable import NablaNN

/// A model with a nested module, an array of modules, a parameter of its own and two buffers.
private final class Net: Module, @unchecked Sendable {
  let layers = [Linear(3, 4), Linear(4, 2)]
  let scale = Parameter(Tensor.ones([2]))
  let runningMean = Buffer(Tensor.zeros([2]))
  let batches = Buffer(Tensor(indices: [0], shape: []))

  override func callAsFunction(_ input: Tensor) -> Tensor {
    layers[1](layers[0](input).relu()) * scale.value + runningMean.value
  }
}

/// A fresh directory for one test's files.
final class ScratchDirectory {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nabla-nn-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(at: url) }
  func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

@Suite struct StateDictTests {
  let names = [
    "scale", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
    "runningMean", "batches",
  ]

  /// A model whose every value differs from a fresh one's.
  fileprivate func trainedNet() -> Net {
    let model = Net()
    for (index, parameter) in model.parameters().enumerated() {
      parameter.assign(Tensor.full(parameter.value.shape, value: Double(index) + 0.5))
    }
    model.runningMean.value = Tensor([0.25, -0.75])
    model.batches.value = Tensor(indices: [12], shape: [])
    return model
  }

  fileprivate func expectSameState(
    _ model: Net, _ other: Net, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let (state, expected) = (model.stateDict(), other.stateDict())
    #expect(Set(state.keys) == Set(expected.keys), sourceLocation: sourceLocation)
    for (name, tensor) in expected {
      #expect(state[name]?.shape == tensor.shape, "\(name)", sourceLocation: sourceLocation)
      #expect(state[name]?.dtype == tensor.dtype, "\(name)", sourceLocation: sourceLocation)
      #expect(state[name]?.scalars == tensor.scalars, "\(name)", sourceLocation: sourceLocation)
    }
  }

  @Test func stateDictHoldsParametersAndBuffersByName() {
    let model = Net()
    let state = model.stateDict()
    #expect(Set(state.keys) == Set(names))
    #expect(state["layers.0.weight"]?.shape == [4, 3])
    #expect(state["batches"]?.dtype == .int64)
    #expect(state["layers.1.bias"]?.scalars == model.layers[1].bias?.value.scalars)
    #expect(state.values.allSatisfy { !$0.requiresGrad })
  }

  /// The state is a snapshot: later updates of the model do not reach it.
  @Test func stateDictIsASnapshot() {
    let model = Net()
    let state = model.stateDict()
    let before = state["scale"]?.scalars
    model.scale.assign(Tensor([7, 7]))
    model.runningMean.value = Tensor([1, 1])
    #expect(state["scale"]?.scalars == before)
    #expect(state["runningMean"]?.scalars == [0, 0])
  }

  @Test func loadingCopiesEveryValueAndKeepsParameterIdentity() throws {
    let (source, target) = (trainedNet(), Net())
    let weight = target.layers[0].weight
    target.layers[1].bias?.isFrozen = true
    let result = try target.loadStateDict(source.stateDict())
    #expect(result == StateDictLoadResult(missingKeys: [], unexpectedKeys: []))
    expectSameState(target, source)
    #expect(target.layers[0].weight === weight && weight.value.requiresGrad)
    #expect(target.layers[1].bias?.isFrozen == true)
    let input = Tensor.ones([2, 3])
    #expect(target(input).scalars == source(input).scalars)
  }

  /// Floating-point values are rounded to the dtype of the parameter or buffer they replace;
  /// between integers and floating point only when asked, then as PyTorch's `copy_` converts.
  @Test func loadingConvertsFloatingPointDtypes() throws {
    let model = Net()
    var state = trainedNet().stateDict().mapValues {
      $0.dtype.isFloatingPoint ? $0.converted(to: .float64) : $0
    }
    try model.loadStateDict(state)
    #expect(model.layers[0].weight.value.dtype == .float32)
    #expect(model.scale.value.scalars == [0.5, 0.5])
    #expect(model.batches.value.dtype == .int64 && model.batches.value.item == 12)

    state["batches"] = Tensor(scalar: 2.7, dtype: .float64)
    let before = model.stateDict()
    do {
      try model.loadStateDict(state)
      Issue.record("a float loaded into an int64 buffer without converting: true")
    } catch let error as StateDictError {
      #expect(error.dtypeMismatches == [.init(name: "batches", expected: .int64, found: .float64)])
      #expect(error.description.contains("dtype mismatch for batches"))
      #expect(error.description.contains("converting: true"))
    }
    #expect(model.stateDict()["batches"]?.item == before["batches"]?.item)
    state["layers.0.weight"] = state["layers.0.weight"]!.converted(to: .int64)
    #expect(throws: StateDictError.self) { try model.loadStateDict(state, strict: false) }

    try model.loadStateDict(state, converting: true)
    #expect(model.batches.value.dtype == .int64 && model.batches.value.item == 2)
    #expect(model.layers[0].weight.value.dtype == .float32)
  }

  @Test func strictLoadingListsMissingAndUnexpectedKeysAndChangesNothing() throws {
    let model = Net()
    let before = model.stateDict()
    var state = trainedNet().stateDict()
    state["layers.0.bias"] = nil
    state["runningMean"] = nil
    state["layers.2.weight"] = Tensor([1])
    state["extra"] = Tensor([1])
    do {
      try model.loadStateDict(state)
      Issue.record("expected a StateDictError")
    } catch let error as StateDictError {
      #expect(error.missingKeys == ["layers.0.bias", "runningMean"])
      #expect(error.unexpectedKeys == ["extra", "layers.2.weight"])
      #expect(error.shapeMismatches.isEmpty)
      #expect(
        error.description
          == "loading a state dict into Net: missing keys: layers.0.bias, runningMean; "
          + "unexpected keys: extra, layers.2.weight")
    }
    for (name, tensor) in before { #expect(model.stateDict()[name]?.scalars == tensor.scalars) }
  }

  @Test func nonStrictLoadingLoadsWhatMatchesAndReportsTheRest() throws {
    let (source, model) = (trainedNet(), Net())
    let untouched = model.layers[0].bias?.value.scalars
    var state = source.stateDict()
    state["layers.0.bias"] = nil
    state["extra"] = Tensor([1])
    let result = try model.loadStateDict(state, strict: false)
    #expect(result.missingKeys == ["layers.0.bias"])
    #expect(result.unexpectedKeys == ["extra"])
    #expect(model.layers[0].bias?.value.scalars == untouched)
    #expect(model.layers[0].weight.value.scalars == source.layers[0].weight.value.scalars)
    #expect(model.batches.value.item == 12)
  }

  /// A shape mismatch is an error in both modes, and nothing is assigned, not even what fits.
  @Test(arguments: [true, false])
  func shapeMismatchesAlwaysThrow(strict: Bool) throws {
    let model = Net()
    let before = model.stateDict()
    var state = trainedNet().stateDict()
    state["layers.0.weight"] = Tensor.zeros([3, 4])
    state["runningMean"] = Tensor.zeros([3])
    state["extra"] = Tensor([1])
    do {
      try model.loadStateDict(state, strict: strict)
      Issue.record("expected a StateDictError")
    } catch let error as StateDictError {
      #expect(
        error.shapeMismatches == [
          .init(name: "layers.0.weight", expected: [4, 3], found: [3, 4]),
          .init(name: "runningMean", expected: [2], found: [3]),
        ])
      #expect(error.unexpectedKeys == (strict ? ["extra"] : []))
      #expect(
        error.description.contains(
          "size mismatch for layers.0.weight: the state has shape [3, 4], the module has [4, 3]"))
    }
    for (name, tensor) in before { #expect(model.stateDict()[name]?.scalars == tensor.scalars) }
  }

  @Test func savesAndLoadsThroughSafeTensors() throws {
    let directory = try ScratchDirectory()
    let url = directory.file("net.safetensors")
    let source = trainedNet()
    try source.save(to: url, metadata: ["epoch": "9"])
    let (tensors, metadata) = try SafeTensors.read(from: url)
    #expect(Set(tensors.keys) == Set(names) && metadata == ["epoch": "9"])
    let model = Net()
    try model.load(from: url)
    expectSameState(model, source)
  }

  @Test func loadingAFileThatDoesNotFitNamesTheFile() throws {
    let directory = try ScratchDirectory()
    let url = directory.file("other.safetensors")
    try Linear(3, 4).save(to: url)
    let model = Net()
    do {
      try model.load(from: url)
      Issue.record("expected an error")
    } catch let error as TensorFileError {
      #expect(error.url == url)
      #expect(error.description.hasPrefix("\(url.path): does not fit the module: "))
      #expect(error.description.contains("unexpected keys: bias, weight"))
      let cause = try #require(error.underlyingError as? StateDictError)
      #expect(cause.missingKeys.count == names.count)
    }
    let result = try model.load(from: url, strict: false)
    #expect(result.unexpectedKeys == ["bias", "weight"])
    let missing = directory.file("missing.safetensors")
    #expect(throws: TensorFileError.self) { try model.load(from: missing) }
  }

  /// Modules are `Checkpointable`: a checkpoint of two models restores both.
  @Test func modulesRoundTripThroughCheckpoints() throws {
    let directory = try ScratchDirectory()
    let url = directory.file("run.ckpt")
    let (model, teacher) = (trainedNet(), Sequential([Linear(2, 2)]))
    try Checkpoint.save(["model": model, "teacher": teacher], step: 77, to: url)
    let (restoredModel, restoredTeacher) = (Net(), Sequential([Linear(2, 2)]))
    let step = try Checkpoint.load(
      from: url, into: ["model": restoredModel, "teacher": restoredTeacher])
    #expect(step == 77)
    expectSameState(restoredModel, model)
    #expect(
      restoredTeacher.stateDict()["0.weight"]?.scalars == teacher.stateDict()["0.weight"]?.scalars)

    // A checkpoint of another architecture is refused, and neither model changes.
    let before = restoredModel.stateDict()["scale"]?.scalars
    let wrong = Sequential([Linear(3, 3)])
    let other = Net()
    let otherBefore = other.stateDict()["scale"]?.scalars
    #expect(throws: TensorFileError.self) {
      try Checkpoint.load(from: url, into: ["model": other, "teacher": wrong])
    }
    #expect(other.stateDict()["scale"]?.scalars == otherBefore)
    #expect(restoredModel.stateDict()["scale"]?.scalars == before)
  }

  @Test func modulesRefuseNumbersInTheirState() {
    let model = Linear(2, 2)
    let state = TrainingState(tensors: model.stateDict(), values: ["step": 1])
    #expect(throws: StateDictError.self) { try model.restore(from: state) }
  }
}

/// A module used twice (tied weights), as PyTorch's `Sequential(l, l)`.
@Suite struct TiedStateDictTests {
  /// `Sequential { shared; ReLU(); shared }` and its shared layer.
  func tiedModel() -> (Sequential, Linear) {
    let shared = Linear(2, 2)
    return (
      Sequential {
        shared
        ReLU()
        shared
      }, shared
    )
  }

  @Test func everyNameOfATiedModuleIsListed() {
    let (model, shared) = tiedModel()
    let state = model.stateDict()
    #expect(state.keys.sorted() == ["0.bias", "0.weight", "2.bias", "2.weight"])
    #expect(state["2.weight"]?.scalars == shared.weight.value.scalars)
    // Parameters are still listed once, for optimizers.
    #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias"])
  }

  /// The file PyTorch writes for `Sequential(l, ReLU(), l).state_dict()` lists both names;
  /// Nabla's strict load takes it, and a file with one of the names too.
  @Test func aTiedModuleLoadsFromAnyOfItsNames() throws {
    let (model, shared) = tiedModel()
    let (source, _) = tiedModel()
    try model.loadStateDict(source.stateDict())
    #expect(shared.weight.value.scalars == source.stateDict()["0.weight"]?.scalars)

    let (other, _) = tiedModel()
    var state = other.stateDict()
    state["0.weight"] = nil
    state["0.bias"] = nil
    let result = try model.loadStateDict(state)
    #expect(result == StateDictLoadResult(missingKeys: [], unexpectedKeys: []))
    #expect(shared.bias?.value.scalars == state["2.bias"]?.scalars)
  }

  @Test func tiedNamesHoldingDifferentValuesAreAnErrorAndChangeNothing() throws {
    let (model, shared) = tiedModel()
    let before = shared.weight.value.scalars
    var state = tiedModel().0.stateDict()
    state["2.weight"] = state["0.weight"]! + 1
    do {
      try model.loadStateDict(state)
      Issue.record("tied names with different values loaded")
    } catch let error as StateDictError {
      #expect(error.conflictingTiedKeys == [["0.weight", "2.weight"]])
      #expect(error.description.contains("tied tensors differ: 0.weight and 2.weight"))
    }
    #expect(shared.weight.value.scalars == before)
  }

  @Test func aTiedModuleWithNoneOfItsNamesIsMissingUnderAll() {
    let (model, _) = tiedModel()
    var state = model.stateDict()
    for key in ["0.weight", "2.weight"] { state[key] = nil }
    #expect {
      try model.loadStateDict(state)
    } throws: { error in
      (error as? StateDictError)?.missingKeys == ["0.weight", "2.weight"]
    }
  }

  @Test func tiedModulesRoundTripThroughSafeTensors() throws {
    let directory = try ScratchDirectory()
    let url = directory.file("tied.safetensors")
    let (source, _) = tiedModel()
    try source.save(to: url)
    #expect(try SafeTensors.read(from: url).tensors.count == 4)
    let (model, _) = tiedModel()
    try model.load(from: url)
    #expect(model.stateDict().mapValues(\.scalars) == source.stateDict().mapValues(\.scalars))
  }
}

/// Every function that takes a file URL also takes a path.
@Suite struct FilePathTests {
  @Test func pathsWorkWhereURLsDo() throws {
    let directory = try ScratchDirectory()
    let model = Sequential { Linear(2, 3) }
    let modelPath = directory.file("model.safetensors").path
    try model.save(to: modelPath, metadata: ["epoch": "1"])
    let copy = Sequential { Linear(2, 3) }
    try copy.load(from: modelPath)
    #expect(copy.stateDict().mapValues(\.scalars) == model.stateDict().mapValues(\.scalars))
    #expect(try SafeTensors.read(from: modelPath).metadata == ["epoch": "1"])

    let arrayPath = directory.file("x.npy").path
    try Tensor([1, 2, 3]).writeNumPy(to: arrayPath)
    #expect(try Tensor(numpyFile: arrayPath).scalars == [1, 2, 3])
    try SafeTensors.write(["x": Tensor([4])], to: directory.file("x.safetensors").path)
    #expect(try SafeTensors.read(from: directory.file("x.safetensors")).tensors["x"]?.item == 4)

    let checkpointPath = directory.file("run.ckpt").path
    try Checkpoint.save(["model": model], step: 7, to: checkpointPath)
    #expect(try Checkpoint.load(from: checkpointPath, into: ["model": copy]) == 7)
  }
}
