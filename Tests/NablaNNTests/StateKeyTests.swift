import Testing

@testable import NablaNN

/// A wrapper that keeps its model under PyTorch's private-looking attribute name `_model`.
private final class Wrapper: Module, @unchecked Sendable {
  let model = Linear(2, 3)
  let runningScale = Buffer(Tensor.ones([3]))
  override var stateKeys: [String: String] { ["model": "_model", "runningScale": "running_scale"] }
  override func callAsFunction(_ input: Tensor) -> Tensor { model(input) * runningScale.value }
}

/// A module whose block (and an absent extra block) are merged into it.
private final class Merged: Module, @unchecked Sendable {
  let block = Linear(2, 2)
  let extra: Linear? = nil
  let head = Linear(2, 1)
  override var stateKeys: [String: String] { ["block": "", "extra": ""] }
}

/// A model whose attributes in PyTorch are `default` (a Swift keyword, spelled with backticks)
/// and `backbone.fc` (a layer PyTorch keeps inside a container that the Swift model does not
/// have, given as a dotted key).
private final class Ported: Module, @unchecked Sendable {
  let `default` = Linear(2, 2)
  let head = Linear(2, 1)
  override var stateKeys: [String: String] { ["head": "backbone.fc"] }
}

@Suite struct StateKeyTests {
  @Test func keywordAndDottedKeys() throws {
    let ported = Ported()
    let keys = ["default.weight", "default.bias", "backbone.fc.weight", "backbone.fc.bias"]
    #expect(ported.namedParameters().map(\.name) == keys)
    // A state dict with those names, as PyTorch writes it, loads strictly.
    let state = Dictionary(
      uniqueKeysWithValues: zip(keys, [[2, 2], [2], [1, 2], [1]]).map {
        ($0, Tensor.full($1, value: 0.5))
      })
    try ported.loadStateDict(state)
    #expect(ported.head.weight.value.scalars == [0.5, 0.5])
    #expect(ported.default.bias?.value.scalars == [0.5, 0.5])
  }

  @Test func keysMayStartWithAnUnderscore() {
    let wrapper = Wrapper()
    #expect(
      Set(wrapper.stateDict().keys) == ["_model.weight", "_model.bias", "running_scale"])
    #expect(wrapper.namedParameters().map(\.name) == ["_model.weight", "_model.bias"])
    #expect(wrapper.namedBuffers().map(\.name) == ["running_scale"])
    #expect(wrapper.description.contains("(_model): Linear(in_features=2, out_features=3"))
  }

  @Test func anEmptyKeyMergesModulesIntoTheirParent() {
    let merged = Merged()
    #expect(
      merged.namedParameters().map(\.name) == ["weight", "bias", "head.weight", "head.bias"])
    #expect(merged.namedChildren().map(\.name) == ["head"])
    #expect(Set(merged.stateDict().keys) == ["weight", "bias", "head.weight", "head.bias"])
  }

  @Test func recurrentLayersNameTheirCellsWeightsAsPyTorch() {
    let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true)
    let names = lstm.namedParameters().map(\.name)
    #expect(names.count == 16)
    #expect(
      Array(names.prefix(5)) == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
      ])
    #expect(names.last == "bias_hh_l1_reverse")
    #expect(lstm.namedChildren().isEmpty)
    #expect(
      LSTMCell(inputSize: 3, hiddenSize: 4).namedParameters().map(\.name) == [
        "weight_ih", "weight_hh", "bias_ih", "bias_hh",
      ])
  }
}
