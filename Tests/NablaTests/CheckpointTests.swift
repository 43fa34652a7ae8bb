import Foundation
import Testing

@testable import Nabla

/// A stand-in for a model or optimizer: it accepts exactly the names it has, as a real part does.
final class FakePart: Checkpointable {
  var tensors: [String: Tensor]
  var values: [String: Double]
  /// When set, `restore` throws this instead of restoring.
  var refusal: String?

  init(tensors: [String: Tensor] = [:], values: [String: Double] = [:]) {
    self.tensors = tensors
    self.values = values
  }

  struct Refused: Error, CustomStringConvertible { var description: String }

  func checkpointState() -> TrainingState { TrainingState(tensors: tensors, values: values) }

  func restore(from state: TrainingState) throws {
    if let refusal { throw Refused(description: refusal) }
    guard Set(state.tensors.keys) == Set(tensors.keys), Set(state.values.keys) == Set(values.keys)
    else {
      throw Refused(description: "names differ: \(state.tensors.keys.sorted())")
    }
    tensors = state.tensors
    values = state.values
  }
}

@Suite struct CheckpointTests {
  func model() -> FakePart {
    FakePart(tensors: [
      "layers.0.weight": sampleTensor([3, 2], dtype: .float32),
      "layers.0.bias": sampleTensor([3], dtype: .float64),
      "count": sampleTensor([], dtype: .int64),
      "empty": Tensor.zeros([0, 4]),
    ])
  }

  func optimizer() -> FakePart {
    FakePart(
      tensors: ["0.exp_avg": Tensor([1, 2, 3])],
      values: [
        "step": 1000, "learning_rate": 1e-3, "tiny": .leastNonzeroMagnitude, "third": 1.0 / 3,
        "big": 9.0e15,
        "negative_zero": -0.0, "nan": .nan, "inf": .infinity, "minus_inf": -.infinity,
      ])
  }

  /// A fresh part with the same names as `part` but other values.
  func blank(like part: FakePart) -> FakePart {
    FakePart(
      tensors: part.tensors.mapValues { Tensor.zeros([1], dtype: $0.dtype) },
      values: part.values.mapValues { _ in 0 })
  }

  @Test func roundTripsEveryPart() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("run.ckpt")
    let (model, optimizer, schedule) = (model(), optimizer(), FakePart(values: ["epoch": 4]))
    try Checkpoint.save(
      ["model": model, "optimizer": optimizer, "schedule": schedule], step: 1234, to: url)

    let restored = (blank(like: model), blank(like: optimizer), FakePart(values: ["epoch": 0]))
    let step = try Checkpoint.load(
      from: url, into: ["model": restored.0, "optimizer": restored.1, "schedule": restored.2])
    #expect(step == 1234)
    for (name, tensor) in model.tensors { expectIdentical(restored.0.tensors[name], tensor) }
    expectIdentical(restored.1.tensors["0.exp_avg"], optimizer.tensors["0.exp_avg"]!)
    for (name, value) in optimizer.values {
      let back = try #require(restored.1.values[name])
      #expect(back.bitPattern == value.bitPattern || (back.isNaN && value.isNaN), "\(name)")
    }
    #expect(restored.2.values == ["epoch": 4])
  }

  /// The file is an ordinary safetensors file: prefixed tensor names and readable metadata.
  @Test func writesASafeTensorsFileWithPrefixedNames() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("run.safetensors")
    try Checkpoint.save(
      ["model": FakePart(tensors: ["w": Tensor([1])]), "opt": FakePart(values: ["step": 3])],
      step: 7, to: url)
    let (tensors, metadata) = try SafeTensors.read(from: url)
    #expect(Array(tensors.keys) == ["model.w"])
    #expect(metadata["format"] == "nabla.checkpoint")
    #expect(metadata["format_version"] == "1")
    #expect(metadata["step"] == "7")
    #expect(metadata["values"] == #"{"model":{},"opt":{"step":3}}"#)
  }

  @Test func missingAndUnexpectedPartsAreListedAndNothingChanges() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("run.ckpt")
    try Checkpoint.save(["model": model(), "optimizer": optimizer()], step: 1, to: url)
    let target = blank(like: model())
    let before = target.tensors
    expectFileError(url, "missing parts: schedule", "unexpected parts: optimizer") {
      try Checkpoint.load(from: url, into: ["model": target, "schedule": FakePart()])
    }
    for (name, tensor) in before { expectIdentical(target.tensors[name], tensor) }
  }

  /// When a part refuses its state, the parts restored before it are put back.
  @Test func aRefusedPartRollsBackTheOthers() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("run.ckpt")
    try Checkpoint.save(
      ["a": FakePart(values: ["x": 1]), "b": FakePart(values: ["y": 2])], step: 1, to: url)
    let (first, second) = (FakePart(values: ["x": 10]), FakePart(values: ["y": 20]))
    second.refusal = "wrong shapes"
    let error = expectFileError(url, "part 'b' cannot be restored: wrong shapes") {
      try Checkpoint.load(from: url, into: ["a": first, "b": second])
    }
    #expect(error?.underlyingError is FakePart.Refused)
    #expect(first.values == ["x": 10])
    #expect(second.values == ["y": 20])
  }

  /// A checkpoint whose metadata was damaged or written by something else throws a clear error.
  @Test func rejectsBadMetadata() throws {
    let directory = try TemporaryDirectory()
    let good = [
      "format": "nabla.checkpoint", "format_version": "1", "step": "5",
      "values": #"{"model":{"n":2}}"#,
    ]
    func check(
      _ change: (inout [String: String]) -> Void, tensors: [String: Tensor] = [:],
      _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
      var metadata = good
      change(&metadata)
      let url = directory.file("bad.ckpt")
      try SafeTensors.write(tensors, metadata: metadata, to: url)
      expectFileError(url, fragment, sourceLocation: sourceLocation) {
        try Checkpoint.load(from: url, into: ["model": FakePart(values: ["n": 0])])
      }
    }
    let url = directory.file("good.ckpt")
    try SafeTensors.write([:], metadata: good, to: url)
    let part = FakePart(values: ["n": 0])
    #expect(try Checkpoint.load(from: url, into: ["model": part]) == 5 && part.values == ["n": 2])

    try check({ $0 = [:] }, "is not a Nabla checkpoint")
    try check({ $0["format"] = "other" }, "is not a Nabla checkpoint")
    try check(
      { $0["format_version"] = nil },
      "'format_version' is missing or not a positive integer: absent")
    try check({ $0["format_version"] = "one" }, "not a positive integer: 'one'")
    try check({ $0["format_version"] = "0" }, "not a positive integer: '0'")
    try check(
      { $0["format_version"] = "2" }, "format version 2; this library reads versions up to 1")
    try check({ $0["step"] = nil }, "'step' is missing or not an integer")
    try check({ $0["step"] = "1.5" }, "'step' is missing or not an integer: '1.5'")
    try check({ $0["step"] = "99999999999999999999" }, "not an integer")
    try check({ $0["values"] = nil }, "metadata 'values' is missing")
    try check({ $0["values"] = "{" }, "metadata 'values' is not valid JSON")
    try check({ $0["values"] = "[1]" }, "metadata 'values' is not a JSON object")
    try check({ $0["values"] = #"{"model": 3}"# }, "part 'model' is not an object")
    try check({ $0["values"] = #"{"model": {"n": true}}"# }, "'model'.'n' is not a number")
    try check({ $0["values"] = #"{"model": {"n": "two"}}"# }, "'model'.'n' is not a number")
    try check({ $0["values"] = #"{"model": {"n": null}}"# }, "'model'.'n' is not a number")
    try check({ $0["values"] = #"{"a.b": {}}"# }, "'a.b' is not a valid part name")
    try check(
      { _ in }, tensors: ["nodot": Tensor([1])], "tensor 'nodot' does not belong to any part")
    try check(
      { _ in }, tensors: ["other.w": Tensor([1])], "tensor 'other.w' does not belong to any part")
    try check({ _ in }, tensors: ["model.w": Tensor([1])], "part 'model' cannot be restored")
  }

  @Test func failedSaveKeepsThePreviousCheckpoint() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("run.ckpt")
    try Checkpoint.save(["model": model()], step: 1, to: url)
    let before = try Data(contentsOf: url)
    let folder = directory.file("folder")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
    expectFileError(folder, "cannot be saved") {
      try Checkpoint.save(["model": model()], step: 2, to: folder)
    }
    expectFileError(url.appendingPathComponent("x"), "cannot be saved") {
      try Checkpoint.save(["model": model()], step: 2, to: url.appendingPathComponent("x"))
    }
    #expect(try Data(contentsOf: url) == before)
    #expect(try Checkpoint.load(from: url, into: ["model": blank(like: model())]) == 1)
  }
}
