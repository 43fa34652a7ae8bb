// The models of ../shared/bench/torch_inference.py and of torch_workloads.py's
// resnet18_cifar_step, rebuilt layer by layer with Nabla's public layers.

import Nabla
import NablaNN

/// The pitch-tracking convnet of `audio_conv1d` and `audio_conv2d`: five convolutions (1→128
/// k512 s4, then four k64 with 'same' padding 31/32) each followed by ReLU, BatchNorm and a max
/// pool of 2, then Linear 512→360 and a sigmoid, over [N, 1024] frames. With `twoD`, every
/// layer is the 2-D one with kernels (k, 1) over [N, 1, 1024, 1], as published models are.
final class AudioConv: Module, @unchecked Sendable {
  let twoD: Bool
  let convolutions: [Module]
  let norms: [Module]
  let classifier = Linear(64 * 8, 360)

  init(twoD: Bool) {
    self.twoD = twoD
    let channels = [1, 128, 32, 32, 32, 64]
    var convolutions: [Module] = []
    var norms: [Module] = []
    for i in 0..<5 {
      let (kernel, stride) = i == 0 ? (512, 4) : (64, 1)
      if twoD {
        convolutions.append(
          Conv2D(
            channels[i], channels[i + 1], kernelSize: Size2D(kernel, 1),
            stride: Size2D(stride, 1)))
        norms.append(BatchNorm2D(channels[i + 1]))
      } else {
        convolutions.append(
          Conv1D(channels[i], channels[i + 1], kernelSize: kernel, stride: stride))
        norms.append(BatchNorm1D(channels[i + 1]))
      }
    }
    self.convolutions = convolutions
    self.norms = norms
  }

  override func callAsFunction(_ input: Tensor) -> Tensor {
    var x = twoD ? input.reshaped([input.shape[0], 1, input.shape[1], 1]) : input.unsqueezed(at: 1)
    for (i, (convolution, norm)) in zip(convolutions, norms).enumerated() {
      let padding = i == 0 ? (254, 254) : (31, 32)
      x = twoD ? x.padded([padding, (0, 0)]) : x.padded([padding])
      x = norm(convolution(x).relu())
      x = twoD ? x.maxPool2d(kernelSize: Size2D(2, 1)) : x.maxPool1d(kernelSize: 2)
    }
    return classifier(x.reshaped([x.shape[0], -1])).sigmoid()
  }
}

/// ResNet's basic block: two 3×3 convolutions with BatchNorm, and a 1×1 convolution on the
/// shortcut where the shape changes.
final class BasicBlock: Module, @unchecked Sendable {
  let conv1: Conv2D
  let bn1: BatchNorm2D
  let conv2: Conv2D
  let bn2: BatchNorm2D
  let down: Sequential?

  init(_ input: Int, _ output: Int, stride: Int) {
    conv1 = Conv2D(input, output, kernelSize: 3, stride: Size2D(stride), padding: 1, bias: false)
    bn1 = BatchNorm2D(output)
    conv2 = Conv2D(output, output, kernelSize: 3, padding: 1, bias: false)
    bn2 = BatchNorm2D(output)
    down =
      stride != 1 || input != output
      ? Sequential {
        Conv2D(input, output, kernelSize: 1, stride: Size2D(stride), bias: false)
        BatchNorm2D(output)
      } : nil
  }

  override func callAsFunction(_ x: Tensor) -> Tensor {
    let y = bn2(conv2(bn1(conv1(x)).relu()))
    return (y + (down.map { $0(x) } ?? x)).relu()
  }
}

/// ResNet-18: the ImageNet form (7×7 stem of stride 2 and a max pool, 1000 classes) or the
/// CIFAR form (3×3 stem of stride 1, no max pool, 10 classes).
final class ResNet18: Module, @unchecked Sendable {
  let imageNet: Bool
  let conv1: Conv2D
  let bn1: BatchNorm2D
  let layers: Sequential
  let fc: Linear

  init(imageNet: Bool) {
    self.imageNet = imageNet
    conv1 =
      imageNet
      ? Conv2D(3, 64, kernelSize: 7, stride: 2, padding: 3, bias: false)
      : Conv2D(3, 64, kernelSize: 3, padding: 1, bias: false)
    bn1 = BatchNorm2D(64)
    var blocks: [Module] = []
    var input = 64
    for (output, stride) in [(64, 1), (128, 2), (256, 2), (512, 2)] {
      blocks += [BasicBlock(input, output, stride: stride), BasicBlock(output, output, stride: 1)]
      input = output
    }
    layers = Sequential(blocks)
    fc = Linear(512, imageNet ? 1000 : 10)
  }

  override func callAsFunction(_ input: Tensor) -> Tensor {
    var x = bn1(conv1(input)).relu()
    if imageNet { x = x.maxPool2d(kernelSize: 3, stride: 2, padding: 1) }
    return fc(layers(x).adaptiveAvgPool2d(outputSize: 1).flattened(from: 1))
  }
}

/// The speaker encoder of `lstm_encoder`: a 3-layer LSTM 40→256 (batch first), its last layer's
/// final hidden state through Linear 256→256 and ReLU, scaled to unit length.
final class LSTMEncoder: Module, @unchecked Sendable {
  let lstm = LSTM(inputSize: 40, hiddenSize: 256, layerCount: 3, batchFirst: true)
  let linear = Linear(256, 256)

  override func callAsFunction(_ input: Tensor) -> Tensor {
    let hidden = lstm(input, initialState: nil).state.hidden
    let embedding = linear(hidden[hidden.shape[0] - 1]).relu()
    return embedding / embedding.norm(alongAxis: 1, keepingDims: true)
  }
}
