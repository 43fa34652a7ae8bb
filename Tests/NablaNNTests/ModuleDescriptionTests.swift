import Testing

@testable import NablaNN

// PyTorch's prints could not be generated here (no network to install torch), so the expected
// strings are written from PyTorch's source: `nn.Module.__repr__` and `_addindent`,
// `ModuleList.__repr__` and each layer's `extra_repr` (torch/nn/modules/*.py), with Swift's type
// names where they differ (Conv1D for Conv1d, MultiHeadAttention for MultiheadAttention, and
// its out_proj a Linear where PyTorch has NonDynamicallyQuantizableLinear).

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
  @Test func readmeModelPrintsAsPyTorchsSequential() {
    let model = Sequential {
      Linear(40, 100)
      ReLU()
      Dropout(probability: 0.1)
      Linear(100, 10)
    }
    #expect(
      model.description == """
        Sequential(
          (0): Linear(in_features=40, out_features=100, bias=True)
          (1): ReLU()
          (2): Dropout(p=0.1, inplace=False)
          (3): Linear(in_features=100, out_features=10, bias=True)
        )
        """)
  }

  @Test func mnist1DConvolutionalNetwork() {
    let model = Sequential {
      Conv1D(1, 25, kernelSize: 5, stride: 2, padding: 1)
      ReLU()
      Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1)
      ReLU()
      Conv1D(25, 25, kernelSize: 3, stride: 2, padding: 1)
      ReLU()
      Flatten()
      Linear(125, 10)
    }
    #expect(
      model.description == """
        Sequential(
          (0): Conv1D(1, 25, kernel_size=(5,), stride=(2,), padding=(1,))
          (1): ReLU()
          (2): Conv1D(25, 25, kernel_size=(3,), stride=(2,), padding=(1,))
          (3): ReLU()
          (4): Conv1D(25, 25, kernel_size=(3,), stride=(2,), padding=(1,))
          (5): ReLU()
          (6): Flatten(start_dim=1, end_dim=-1)
          (7): Linear(in_features=125, out_features=10, bias=True)
        )
        """)
  }

  @Test func recurrentLayersShowOnlyTheOptionsThatDifferFromTheDefaults() {
    #expect(
      LSTM(inputSize: 40, hiddenSize: 128, layerCount: 2, batchFirst: true, bidirectional: true)
        .description == "LSTM(40, 128, num_layers=2, batch_first=True, bidirectional=True)")
    #expect(
      LSTM(
        inputSize: 40, hiddenSize: 128, layerCount: 2, bias: false, dropout: 0.2,
        projectionSize: 64
      ).description == "LSTM(40, 128, proj_size=64, num_layers=2, bias=False, dropout=0.2)")
    #expect(GRU(inputSize: 10, hiddenSize: 20).description == "GRU(10, 20)")
    #expect(RNN(inputSize: 3, hiddenSize: 4).description == "RNN(3, 4)")
    #expect(LSTMCell(inputSize: 40, hiddenSize: 128).description == "LSTMCell(40, 128)")
    #expect(
      RNNCell(inputSize: 4, hiddenSize: 8, bias: false, nonlinearity: .relu).description
        == "RNNCell(4, 8, bias=False, nonlinearity=relu)")
    #expect(GRUCell(inputSize: 4, hiddenSize: 8).description == "GRUCell(4, 8)")
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
            (norm): LayerNorm((16,), eps=1e-05, elementwise_affine=True)
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

  @Test func multiHeadAttentionShowsItsOutputProjection() {
    #expect(
      MultiHeadAttention(embedDimension: 8, headCount: 2).description == """
        MultiHeadAttention(
          (out_proj): Linear(in_features=8, out_features=8, bias=True)
        )
        """)
  }

  @Test func transformerEncoderFoldsIdenticalLayers() {
    let layer = TransformerEncoderLayer(dModel: 8, headCount: 2, feedForwardSize: 16)
    let encoder = TransformerEncoder(layer, count: 2, norm: LayerNorm(8))
    #expect(
      encoder.description == """
        TransformerEncoder(
          (layers): ModuleList(
            (0-1): 2 x TransformerEncoderLayer(
              (self_attn): MultiHeadAttention(
                (out_proj): Linear(in_features=8, out_features=8, bias=True)
              )
              (linear1): Linear(in_features=8, out_features=16, bias=True)
              (dropout): Dropout(p=0.1, inplace=False)
              (linear2): Linear(in_features=16, out_features=8, bias=True)
              (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True)
              (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True)
              (dropout1): Dropout(p=0.1, inplace=False)
              (dropout2): Dropout(p=0.1, inplace=False)
            )
          )
          (norm): LayerNorm((8,), eps=1e-05, elementwise_affine=True)
        )
        """)
  }

  @Test func normalizationLayers() {
    #expect(
      BatchNorm1D(25).description
        == "BatchNorm1D(25, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)")
    #expect(
      BatchNorm2D(3, momentum: nil, affine: false).description
        == "BatchNorm2D(3, eps=1e-05, momentum=None, affine=False, track_running_stats=True)")
    #expect(
      GroupNorm(groupCount: 2, channelCount: 8).description
        == "GroupNorm(2, 8, eps=1e-05, affine=True)")
    #expect(
      InstanceNorm2D(3).description
        == "InstanceNorm2D(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)")
    #expect(
      LayerNorm(64).description == "LayerNorm((64,), eps=1e-05, elementwise_affine=True)")
    #expect(RMSNorm([4, 8]).description == "RMSNorm((4, 8), eps=None, elementwise_affine=True)")
  }

  @Test func convolutionsShowTheOptionsThatDifferFromTheDefaults() {
    #expect(
      Conv2D(1, 16, kernelSize: 3, padding: 1).description
        == "Conv2D(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
    #expect(
      Conv2D(16, 16, kernelSize: [3, 5], padding: .same, groups: 16, bias: false).description
        == "Conv2D(16, 16, kernel_size=(3, 5), stride=(1, 1), padding=same, groups=16, "
        + "bias=False)")
    #expect(
      Conv1D(1, 2, kernelSize: 5, dilation: 2).description
        == "Conv1D(1, 2, kernel_size=(5,), stride=(1,), dilation=(2,))")
    #expect(
      ConvTranspose1D(8, 4, kernelSize: 4, stride: 2, padding: 1).description
        == "ConvTranspose1D(8, 4, kernel_size=(4,), stride=(2,), padding=(1,))")
    #expect(
      ConvTranspose2D(16, 8, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1).description
        == "ConvTranspose2D(16, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
        + "output_padding=(1, 1))")
  }

  @Test func poolingAndResizingLayers() {
    let expected: [(Module, String)] = [
      (
        MaxPool1D(kernelSize: 2),
        "MaxPool1D(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
      ),
      (
        MaxPool2D(kernelSize: 2),
        "MaxPool2D(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
      ),
      (
        MaxPool2D(kernelSize: [2, 3], ceilMode: true),
        "MaxPool2D(kernel_size=(2, 3), stride=(2, 3), padding=0, dilation=1, ceil_mode=True)"
      ),
      (AvgPool1D(kernelSize: 3), "AvgPool1D(kernel_size=(3,), stride=(3,), padding=(0,))"),
      (AvgPool2D(kernelSize: 3, stride: 2), "AvgPool2D(kernel_size=3, stride=2, padding=0)"),
      (
        LPPool1D(power: 2, kernelSize: 3),
        "LPPool1D(norm_type=2.0, kernel_size=3, stride=3, ceil_mode=False)"
      ),
      (
        LPPool2D(power: 1.5, kernelSize: 2),
        "LPPool2D(norm_type=1.5, kernel_size=2, stride=2, ceil_mode=False)"
      ),
      (AdaptiveAvgPool1D(outputSize: 4), "AdaptiveAvgPool1D(output_size=4)"),
      (AdaptiveAvgPool2D(outputSize: 1), "AdaptiveAvgPool2D(output_size=1)"),
      (AdaptiveMaxPool2D(outputSize: [2, 3]), "AdaptiveMaxPool2D(output_size=(2, 3))"),
      (MaxUnpool1D(kernelSize: 2), "MaxUnpool1D(kernel_size=(2,), stride=(2,), padding=(0,))"),
      (
        MaxUnpool2D(kernelSize: 2), "MaxUnpool2D(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
      ),
      (Upsample(scaleFactor: 2), "Upsample(scale_factor=2.0, mode='nearest')"),
      (
        Upsample(scaleFactor: [2, 1.5], mode: .bilinear),
        "Upsample(scale_factor=(2.0, 1.5), mode='bilinear')"
      ),
      (Upsample(size: [8, 8], mode: .bilinear), "Upsample(size=(8, 8), mode='bilinear')"),
    ]
    for (layer, text) in expected { #expect(layer.description == text) }
  }

  @Test func activationsAndOtherLeaves() {
    let expected: [(Module, String)] = [
      (ReLU(), "ReLU()"),
      (LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
      (ELU(), "ELU(alpha=1.0)"),
      (GELU(), "GELU(approximate='none')"),
      (GELU(approximation: .tanh), "GELU(approximate='tanh')"),
      (Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
      (Softmax(axis: 1), "Softmax(dim=1)"),
      (LogSoftmax(axis: 1), "LogSoftmax(dim=1)"),
      (Sigmoid(), "Sigmoid()"),
      (Tanh(), "Tanh()"),
      (Identity(), "Identity()"),
      (Flatten(startAxis: 0), "Flatten(start_dim=0, end_dim=-1)"),
      (Dropout(), "Dropout(p=0.5, inplace=False)"),
      (Embedding(100, 32), "Embedding(100, 32)"),
      (
        Embedding(10, 3, paddingIndex: -1, maxNorm: 1, normType: 1),
        "Embedding(10, 3, padding_idx=9, max_norm=1.0, norm_type=1.0)"
      ),
      (
        SinusoidalPositionalEncoding(dimension: 8, maxLength: 16),
        "SinusoidalPositionalEncoding(max_length=16, dimension=8)"
      ),
      (
        LearnedPositionalEmbedding(maxLength: 16, dimension: 8),
        "LearnedPositionalEmbedding(max_length=16, dimension=8)"
      ),
    ]
    for (layer, text) in expected { #expect(layer.description == text) }
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
