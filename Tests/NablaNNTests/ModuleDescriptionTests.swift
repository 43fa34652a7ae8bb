import Foundation
import Testing

@testable import NablaNN

// The built-in layers are compared with PyTorch's own prints, in Fixtures/descriptions.json
// (written by make_description_fixtures.py). Custom modules, which PyTorch cannot build, are
// checked against the rules of `nn.Module.__repr__`: children under their names, indented by two,
// an option of its own first, a leaf without children on one line.

/// A custom model with named children, an array of modules and an option of its own.
private final class Encoder: Module, @unchecked Sendable {
  let embedding = Embedding(100, 32, paddingIndex: 0)
  let blocks = [Linear(32, 32), Linear(32, 32), Linear(32, 16, bias: false)]
  let norm = LayerNorm(16)
  let unused: Linear? = nil

  override var extraDescription: String { "vocabulary=100" }

  override func callAsFunction(_ input: Tensor) -> Tensor {
    norm(blocks.reduce(embedding(input)) { $1($0) })
  }
}

/// A model holding a custom model, so that its lines are indented twice.
private final class Classifier: Module, @unchecked Sendable {
  let encoder = Encoder()
  let head = Linear(16, 4)
}

@Suite struct ModuleDescriptionTests {
  /// The modules of descriptions.json (make_description_fixtures.py builds the same in PyTorch).
  static let pytorchCases: [String: @Sendable () -> Module] = [
    "readme": {
      Sequential {
        Linear(40, 100)
        ReLU()
        Dropout(probability: 0.1)
        Linear(100, 10)
      }
    },
    "mnist1dCNN": {
      Sequential {
        Conv1D(1, 25, kernelSize: 5, stride: 2, padding: 1)
        ReLU()
        Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1)
        ReLU()
        Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1)
        ReLU()
        Flatten()
        Linear(125, 10)
      }
    },
    "lstmBidirectional": { LSTM(40, 128, layerCount: 2, batchFirst: true, bidirectional: true) },
    "lstmProjected": {
      LSTM(40, 128, layerCount: 2, bias: false, dropout: 0.2, projectionSize: 64)
    },
    "gru": { GRU(10, 20) },
    "rnn": { RNN(3, 4) },
    "rnnRelu": { RNN(3, 4, nonlinearity: .relu, bias: false) },
    "lstmCell": { LSTMCell(40, 128) },
    "rnnCell": { RNNCell(4, 8, bias: false, nonlinearity: .relu) },
    "gruCell": { GRUCell(4, 8) },
    "attention": { MultiHeadAttention(8, 2) },
    "encoder": {
      TransformerEncoder(
        TransformerEncoderLayer(dModel: 8, headCount: 2, feedForwardSize: 16), count: 2,
        norm: LayerNorm(8))
    },
    "batchNorm1d": { BatchNorm1D(25) },
    "batchNorm2dPlain": { BatchNorm2D(3, momentum: nil, affine: false) },
    "groupNorm": { GroupNorm(groupCount: 2, channelCount: 8) },
    "groupNormPlain": { GroupNorm(groupCount: 2, channelCount: 8, affine: false) },
    "instanceNorm": { InstanceNorm2D(3) },
    "instanceNormAffine": { InstanceNorm2D(3, affine: true) },
    "layerNorm": { LayerNorm(64) },
    "layerNormNoBias": { LayerNorm([4, 8], bias: false) },
    "layerNormPlain": { LayerNorm(4, elementwiseAffine: false) },
    "rmsNorm": { RMSNorm([4, 8]) },
    "conv2d": { Conv2D(1, 16, kernelSize: 3, padding: 1) },
    "conv2dDepthwise": {
      Conv2D(16, 16, kernelSize: [3, 5], padding: .same, groups: 16, bias: false)
    },
    "conv1dDilated": { Conv1D(1, 2, kernelSize: 5, dilation: 2) },
    "convTranspose1d": { ConvTranspose1D(8, 4, kernelSize: 4, stride: 2, padding: 1) },
    "convTranspose2d": {
      ConvTranspose2D(16, 8, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)
    },
    "maxPool1d": { MaxPool1D(kernelSize: 2) },
    "maxPool2d": { MaxPool2D(kernelSize: 2) },
    "maxPool2dCeil": { MaxPool2D(kernelSize: [2, 3], ceilMode: true) },
    "avgPool1d": { AvgPool1D(kernelSize: 3) },
    "avgPool2d": { AvgPool2D(kernelSize: 3, stride: 2) },
    "lpPool1d": { LPPool1D(power: 2, kernelSize: 3) },
    "lpPool1dStrided": { LPPool1D(power: 2, kernelSize: 3, stride: 1) },
    "lpPool2d": { LPPool2D(power: 1.5, kernelSize: 2) },
    "adaptiveAvgPool1d": { AdaptiveAvgPool1D(outputSize: 4) },
    "adaptiveAvgPool2d": { AdaptiveAvgPool2D(outputSize: 1) },
    "adaptiveMaxPool1d": { AdaptiveMaxPool1D(outputSize: 3) },
    "adaptiveMaxPool2d": { AdaptiveMaxPool2D(outputSize: [2, 3]) },
    "maxUnpool1d": { MaxUnpool1D(kernelSize: 2) },
    "maxUnpool2d": { MaxUnpool2D(kernelSize: 2) },
    "upsample": { Upsample(scaleFactor: 2) },
    "upsampleBilinear": { Upsample(scaleFactor: [2, 1.5], mode: .bilinear) },
    "upsampleSize": { Upsample(size: [8, 8], mode: .bilinear) },
    "relu": { ReLU() },
    "leakyReLU": { LeakyReLU() },
    "elu": { ELU() },
    "gelu": { GELU() },
    "geluTanh": { GELU(approximation: .tanh) },
    "softplus": { Softplus() },
    "softmax": { Softmax(axis: 1) },
    "logSoftmax": { LogSoftmax(axis: 1) },
    "sigmoid": { Sigmoid() },
    "tanh": { Tanh() },
    "identity": { Identity() },
    "flatten": { Flatten(startAxis: 0) },
    "dropout": { Dropout() },
    "embedding": { Embedding(100, 32) },
    "embeddingOptions": { Embedding(10, 3, paddingIndex: -1, maxNorm: 1, normType: 1) },
  ]

  /// PyTorch's class names where Nabla's differ: Swift capitalizes the D of Conv1D and the H of
  /// MultiHeadAttention, and attention's output projection is a plain Linear.
  static func nablaNames(_ text: String) -> String {
    var text = text.replacingOccurrences(of: "MultiheadAttention", with: "MultiHeadAttention")
      .replacingOccurrences(of: "NonDynamicallyQuantizableLinear", with: "Linear")
    for base in [
      "Conv", "ConvTranspose", "MaxPool", "AvgPool", "LPPool", "AdaptiveAvgPool",
      "AdaptiveMaxPool", "MaxUnpool", "BatchNorm", "InstanceNorm",
    ] {
      for rank in 1...2 {
        text = text.replacingOccurrences(of: "\(base)\(rank)d(", with: "\(base)\(rank)D(")
      }
    }
    return text
  }

  @Test func everyBuiltInLayerPrintsAsPyTorchPrintsIt() throws {
    let resources = try #require(Bundle.module.resourceURL)
    let data = try Data(contentsOf: resources.appendingPathComponent("Fixtures/descriptions.json"))
    let texts = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
    #expect(Set(texts.keys).subtracting(["_torch_version"]) == Set(Self.pytorchCases.keys))
    for (name, make) in Self.pytorchCases.sorted(by: { $0.key < $1.key }) {
      let expected = try #require(texts[name], "no PyTorch text for \(name)")
      #expect(make().description == Self.nablaNames(expected), "\(name)")
    }
  }

  @Test func customModuleShowsItsOptionChildrenAndArrayAsModuleList() {
    let model = Classifier()
    #expect(
      model.description == """
        Classifier(
          (encoder): Encoder(
            vocabulary=100
            (embedding): Embedding(100, 32, padding_idx=0)
            (blocks): ModuleList(
              (0-1): 2 x Linear(in_features=32, out_features=32, bias=True)
              (2): Linear(in_features=32, out_features=16, bias=False)
            )
            (norm): LayerNorm((16,), eps=1e-05, elementwise_affine=True, bias=True)
          )
          (head): Linear(in_features=16, out_features=4, bias=True)
        )
        """)
    // The names in the tree are those of the state dict.
    let keys = Set(model.stateDict().keys)
    #expect(keys.contains("encoder.blocks.2.weight") && keys.contains("encoder.norm.bias"))
    #expect(!keys.contains("encoder.blocks.2.bias"))
  }

  @Test func leafWithOnlyAnOptionOfItsOwnFitsOnOneLine() {
    final class Scale: Module, @unchecked Sendable {
      override var extraDescription: String { "factor=\(pythonRepr(2.0))" }
    }
    #expect(Scale().description == "Scale(factor=2.0)")
    final class Empty: Module, @unchecked Sendable {}
    #expect(Empty().description == "Empty()")
  }

  @Test func positionalEncodingsShowTheirSizes() {
    #expect(
      SinusoidalPositionalEncoding(dimension: 8, maxLength: 16).description
        == "SinusoidalPositionalEncoding(max_length=16, dimension=8)")
    #expect(
      LearnedPositionalEmbedding(maxLength: 16, dimension: 8).description
        == "LearnedPositionalEmbedding(max_length=16, dimension=8)")
  }

  @Test func numbersAreSpelledAsPythonsRepr() {
    let expected: [(Double, String)] = [
      (1e-5, "1e-05"), (0.1, "0.1"), (1, "1.0"), (20, "20.0"), (0.0001, "0.0001"),
      (1.5e-7, "1.5e-07"), (9.1e15, "9100000000000000.0"), (-9.1e15, "-9100000000000000.0"),
      (1e16, "1e+16"), (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"),
    ]
    for (value, text) in expected { #expect(pythonRepr(value) == text) }
    #expect(pythonTuple([5]) == "(5,)" && pythonTuple([3, 3]) == "(3, 3)")
  }
}
