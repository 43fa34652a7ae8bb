import Testing

@testable import NablaNN

/// The MNIST-1D CNN as a custom module that does not report its own output.
private final class CNN: Module, @unchecked Sendable {
  let conv1 = Conv1D(1, 25, kernelSize: 5, stride: 2, padding: 1)
  let conv2 = Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1)
  let conv3 = Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1)
  let output = Linear(125, 10)

  override func callAsFunction(_ x: Tensor) -> Tensor {
    let n = x.shape[0]
    let h = conv3(conv2(conv1(x.reshaped([n, 1, x.shape[1]])).relu()).relu()).relu()
    return output(h.reshaped([n, -1]))
  }
}

/// A custom module that does not report, holding a layer that does.
private final class Block: Module, @unchecked Sendable {
  let linear = Linear(4, 6)
  override func callAsFunction(_ x: Tensor) -> Tensor { linear(x).tanh() }
}

/// A model whose children run in another order than declared, with one never called.
private final class Branches: Module, @unchecked Sendable {
  let late = Linear(6, 2)
  let block = Block()
  let unused = Linear(3, 3)
  override func callAsFunction(_ x: Tensor) -> Tensor { late(block(x)) }
}

@Suite struct ModuleSummaryTests {
  let readmeModel = Sequential {
    Linear(40, 100)
    ReLU()
    Dropout(probability: 0.1)
    Linear(100, 10)
  }

  @Test func sequentialTableIsExact() {
    #expect(
      readmeModel.summary(inputShape: [2, 40]) == """
        Input: [2, 40] float32
        Module   Type        Output shape  Parameters
        -------  ----------  ------------  ----------
        (model)  Sequential  [2, 10]                0
        0        Linear      [2, 100]           4,100
        1        ReLU        [2, 100]               0
        2        Dropout     [2, 100]               0
        3        Linear      [2, 10]            1,010
        -------  ----------  ------------  ----------
        Total parameters: 5,110
        Trainable parameters: 5,110
        Frozen parameters: 0
        """)
  }

  @Test func trainingFlagsAreRestoredAndFrozenParametersCounted() {
    readmeModel.layers[3].eval()
    readmeModel.layers[0].freeze()
    let rows = readmeModel.summaryRows(input: Tensor.zeros([1, 40]))
    #expect(readmeModel.isTraining && readmeModel.layers[2].isTraining)
    #expect(!readmeModel.layers[3].isTraining)
    #expect(rows.reduce(0) { $0 + $1.parameterCount } == readmeModel.parameterCount)
    #expect(rows.reduce(0) { $0 + $1.trainableCount } == 1010)
    #expect(readmeModel.summary(inputShape: [1, 40]).contains("Frozen parameters: 4,100"))
  }

  @Test func customModelOfBuiltInLayersShowsEveryShape() {
    let model = CNN()
    let rows = model.summaryRows(input: Tensor.zeros([3, 40]))
    #expect(rows.map(\.name) == ["", "conv1", "conv2", "conv3", "output"])
    #expect(
      rows.map(\.outputShape) == [[3, 10], [3, 25, 19], [3, 25, 10], [3, 25, 5], [3, 10]])
    #expect(rows.map(\.parameterCount) == [0, 150, 1900, 1900, 1260])
    #expect(rows.reduce(0) { $0 + $1.parameterCount } == model.parameterCount)
  }

  @Test func unobservedModulesAreMarkedAndPlacedByTheirDescendants() {
    let model = Branches()
    let rows = model.summaryRows(input: Tensor.zeros([5, 4]))
    // Execution order: block (before the linear layer it called), then late; unused never ran
    // and follows the module declared before it.
    #expect(rows.map(\.name) == ["", "block", "block.linear", "unused", "late"])
    #expect(rows.map(\.outputShape) == [[5, 2], nil, [5, 6], nil, [5, 2]])
    let table = model.summary(inputShape: [5, 4])
    let blockLine = table.split(separator: "\n").first { $0.hasPrefix("block ") }
    #expect(
      blockLine?.split(separator: " ", omittingEmptySubsequences: true) == [
        "block", "Block", "?", "0",
      ])
    #expect(table.hasSuffix("?: output not observed (see Module.reportingOutput(_:))"))
    #expect(table.contains("Total parameters: \(model.parameterCount)"))
  }

  @Test func customLayerInASequentialIsReportedByTheSequential() {
    let model = Sequential {
      Block()
      Linear(6, 1)
    }
    let rows = model.summaryRows(input: Tensor.zeros([2, 4]))
    #expect(rows.map(\.name) == ["", "0", "0.linear", "1"])
    #expect(rows.map(\.outputShape) == [[2, 1], [2, 6], [2, 6], [2, 1]])
  }

  @Test func transformerEncoderRowsFollowTheCalls() {
    let layer = TransformerEncoderLayer(dModel: 8, headCount: 2, feedForwardSize: 16)
    let encoder = TransformerEncoder(layer, count: 2)
    let rows = encoder.summaryRows(input: Tensor.zeros([5, 3, 8]))
    let names = rows.map(\.name)
    #expect(rows.count == encoder.namedModules().count)
    #expect(rows.allSatisfy { $0.outputShape != nil })
    let position = { (name: String) in names.firstIndex(of: name) ?? -1 }
    #expect(position("layers.0") == 1)
    #expect(position("layers.0.self_attn") == 2 && position("layers.0.self_attn.out_proj") == 3)
    // Post-norm: the attention's dropout and norm1 run before the feed-forward block.
    #expect(position("layers.0.norm1") < position("layers.0.linear1"))
    #expect(position("layers.0.norm2") < position("layers.1"))
    #expect(rows[position("layers.1.linear1")].outputShape == [5, 3, 16])
    #expect(rows.reduce(0) { $0 + $1.parameterCount } == encoder.parameterCount)
  }

  @Test func recurrentAndEmbeddingModels() {
    let model = Sequential {
      Embedding(20, 8)
      LSTM(inputSize: 8, hiddenSize: 6, batchFirst: true, bidirectional: true)
    }
    let rows = model.summaryRows(input: Tensor.zeros([2, 7], dtype: .int64))
    #expect(rows.map(\.outputShape) == [[2, 7, 12], [2, 7, 8], [2, 7, 12]])
    #expect(model.summary(inputShape: [2, 7], dtype: .int64).hasPrefix("Input: [2, 7] int64"))
  }
}
