import Foundation
import NablaNN

/// One stop of the tour: what it printed and the largest difference between the matrix view and
/// the layer's own output.
struct TourStop {
  var title: String
  var lines: [String]
  var maxError: Double
}

/// `tensor` (1-D or 2-D) as rows of numbers with three decimals.
func matrixText(_ tensor: Tensor) -> [String] {
  let values = [Double](tensor)
  let columns = tensor.rank == 2 ? tensor.shape[1] : values.count
  return stride(from: 0, to: values.count, by: columns).map { start in
    "  ["
      + values[start..<start + columns].map { String(format: "%7.3f", $0) }.joined(separator: " ")
      + " ]"
  }
}

/// The largest absolute difference between two tensors of the same shape.
func maxDifference(_ a: Tensor, _ b: Tensor) -> Double { (a - b).abs().max().item }

/// A Linear layer is one matrix: y = W x + b, or with the bias folded in, y = [W | b] [x; 1].
func linearStop(seed: UInt64) -> TourStop {
  let generator = RandomGenerator(seed: seed)
  let layer = Linear(3, 2, dtype: .float64, generator: generator)
  let augmented = Tensor(
    concatenating: [layer.weight.value, layer.bias!.value.reshaped([2, 1])], alongAxis: 1)
  let x = Tensor.randomNormal([3], dtype: .float64, generator: generator)
  let byMatrix = augmented.matmul(Tensor(concatenating: [x, Tensor.ones([1], dtype: .float64)]))
  let byLayer = withoutGradients { layer(x.reshaped([1, 3])).reshaped([2]) }
  return TourStop(
    title: "Linear(3, 2) is the 2×4 matrix [W | b] acting on [x; 1]",
    lines: ["[W | b] ="] + matrixText(augmented) + ["x = "] + matrixText(x)
      + ["[W | b]·[x; 1] ="] + matrixText(byMatrix) + ["layer(x) ="] + matrixText(byLayer),
    maxError: maxDifference(byMatrix, byLayer))
}

/// ReLU multiplies by a 0/1 mask that depends on the input: relu(x) = diag(x > 0) x.
func reluStop(seed: UInt64) -> TourStop {
  let x = Tensor.randomNormal([5], dtype: .float64, generator: RandomGenerator(seed: seed))
  let mask = x .> 0
  let diagonal = Tensor.eye(5, dtype: .float64) * mask
  let byMatrix = diagonal.matmul(x)
  let byLayer = ReLU()(x)
  return TourStop(
    title: "ReLU is multiplication by the 0/1 diagonal matrix diag(x > 0)",
    lines: ["x ="] + matrixText(x) + ["diag(x > 0) ="] + matrixText(diagonal)
      + ["diag(x > 0)·x ="] + matrixText(byMatrix) + ["ReLU()(x) ="] + matrixText(byLayer),
    maxError: maxDifference(byMatrix, byLayer))
}

/// Dropout after a Linear layer zeroes whole rows of its matrix: dropout(W x) = (D W) x with
/// D = diag(mask) / (1 - p). The mask is read by running a Dropout with the same seed on ones.
func dropoutStop(seed: UInt64, probability: Double = 0.5) -> TourStop {
  let linear = Linear(3, 6, bias: false, dtype: .float64, generator: RandomGenerator(seed: seed))
  let x = Tensor.randomNormal([3], dtype: .float64, generator: RandomGenerator(seed: seed + 1))
  // Two Dropout layers with generators of the same seed draw the same mask.
  let probe = Dropout(probability: probability, generator: RandomGenerator(seed: seed + 2))
  let dropout = Dropout(probability: probability, generator: RandomGenerator(seed: seed + 2))
  let kept = withoutGradients { probe(Tensor.ones([6], dtype: .float64)) } .!= 0
  let rowMask = Tensor.eye(6, dtype: .float64) * kept / (1 - probability)
  let masked = rowMask.matmul(linear.weight.value)
  let byMatrix = masked.matmul(x)
  let byLayer = withoutGradients { dropout(linear(x.reshaped([1, 3])).reshaped([6])) }
  return TourStop(
    title: "Dropout(p: \(probability)) after Linear(3, 6) zeroes rows of W (and scales the rest)",
    lines: ["kept rows ="] + matrixText(kept) + ["D·W ="] + matrixText(masked)
      + ["(D·W)·x ="] + matrixText(byMatrix) + ["dropout(linear(x)) ="] + matrixText(byLayer),
    maxError: maxDifference(byMatrix, byLayer))
}

/// A 1-D convolution is a fully connected layer with a constrained matrix: row (o, t) holds the
/// kernel of output channel o, shifted to start at input position t·stride − padding, and zeros
/// elsewhere (a band of repeated weights). The matrix is built here from the kernel by hand,
/// compared with the layer's own `denseMatrix(inputLength:)`, and, plus the bias repeated over
/// the positions, applied to an input and compared with the layer's output.
func convolutionStop(
  seed: UInt64, inputChannels: Int = 1, outputChannels: Int = 2, kernelSize: Int = 3,
  stride: Int = 1, padding: Int = 1, length: Int = 6
) -> TourStop {
  let generator = RandomGenerator(seed: seed)
  let conv = Conv1D(
    inputChannels, outputChannels, kernelSize: kernelSize, stride: stride,
    padding: .explicit([padding]), dtype: .float64, generator: generator)
  let x = Tensor.randomNormal([inputChannels, length], dtype: .float64, generator: generator)
  let outputLength = (length + 2 * padding - kernelSize) / stride + 1
  let kernel = [Double](conv.weight.value)  // [out, in, k]
  let columns = inputChannels * length
  var values = [Double](repeating: 0, count: outputChannels * outputLength * columns)
  for o in 0..<outputChannels {
    for t in 0..<outputLength {
      for i in 0..<inputChannels {
        for k in 0..<kernelSize {
          let position = t * stride + k - padding
          guard (0..<length).contains(position) else { continue }  // a padding zero
          let row = o * outputLength + t
          values[row * columns + i * length + position] =
            kernel[(o * inputChannels + i) * kernelSize + k]
        }
      }
    }
  }
  let matrix = Tensor(values, shape: [outputChannels * outputLength, columns], dtype: .float64)
  let bias = conv.bias!.value.reshaped([outputChannels, 1]).expanded(to: [
    outputChannels, outputLength,
  ])
  let byMatrix = matrix.matmul(x.reshaped([columns])) + bias.reshaped([-1])
  let byLayer = withoutGradients { conv(x).reshaped([-1]) }
  let matrixError = maxDifference(matrix, conv.denseMatrix(inputLength: length))
  return TourStop(
    title: "Conv1D(\(inputChannels), \(outputChannels), kernelSize: \(kernelSize), padding: "
      + "\(padding)) on length \(length) is a banded \(matrix.shape[0])×\(columns) matrix",
    lines: ["kernels ="] + matrixText(conv.weight.value.reshaped([outputChannels, -1]))
      + ["M (built from the kernels) ="] + matrixText(matrix) + ["M·x + b ="]
      + matrixText(byMatrix) + ["conv(x) ="] + matrixText(byLayer),
    maxError: max(matrixError, maxDifference(byMatrix, byLayer)))
}

/// Multi-head attention with h heads works on all E features at once: the heads are the blocks
/// of a block-diagonal split of the feature axis. With P_h the E×E diagonal 0/1 projection onto
/// head h's features (one block of the identity), Q = X W_qᵀ + b_q and so on,
///
///   A_h = softmax(Q P_h Kᵀ / √(E/h)),   output = (Σ_h A_h V P_h) W_oᵀ + b_o,
///
/// since Q P_h Kᵀ = Q_h K_hᵀ and the P_h add up to the identity (the heads' outputs side by side).
func attentionStop(seed: UInt64, embed: Int = 4, heads: Int = 2, length: Int = 3) -> TourStop {
  let generator = RandomGenerator(seed: seed)
  let attention = MultiHeadAttention(
    embedDimension: embed, headCount: heads, batchFirst: true, dtype: .float64,
    generator: generator)
  // Zero biases at initialization, as PyTorch: make them non-zero so they are checked too.
  withoutGradients {
    attention.inProjectionBias!.value.assign(
      Tensor.randomNormal([3 * embed], dtype: .float64, generator: generator))
  }
  let x = Tensor.randomNormal([length, embed], dtype: .float64, generator: generator)
  let weight = attention.inProjectionWeight!.value
  let bias = attention.inProjectionBias!.value
  func project(_ part: Int) -> Tensor {
    let rows = weight.narrowed(alongAxis: 0, start: part * embed, length: embed)
    return x.matmul(rows.transposed())
      + bias.narrowed(alongAxis: 0, start: part * embed, length: embed)
  }
  let (q, k, v) = (project(0), project(1), project(2))
  let headSize = embed / heads
  var lines: [String] = []
  var sum = Tensor.zeros([length, embed], dtype: .float64)
  for head in 0..<heads {
    let diagonal = (0..<embed).map { $0 / headSize == head ? 1.0 : 0.0 }
    let projection = Tensor.eye(embed, dtype: .float64) * Tensor(diagonal, dtype: .float64)
    if head < 2 { lines += ["P_\(head) ="] + matrixText(projection) }
    let scores = q.matmul(projection).matmul(k.transposed()) / Double(headSize).squareRoot()
    sum = sum + scores.softmax(alongAxis: -1).matmul(v.matmul(projection))
  }
  let out = attention.outputProjection
  let byMatrix = sum.matmul(out.weight.value.transposed()) + out.bias!.value
  let byLayer = withoutGradients {
    attention(query: x.unsqueezed(at: 0), key: x.unsqueezed(at: 0), value: x.unsqueezed(at: 0))
      .output.reshaped([length, embed])
  }
  return TourStop(
    title: "MultiHeadAttention(E: \(embed), heads: \(heads)): heads are blocks P_h of the identity",
    lines: lines + ["Σ_h softmax(Q P_h Kᵀ/√d) V P_h, then W_o ="] + matrixText(byMatrix)
      + ["attention(x, x, x) ="] + matrixText(byLayer),
    maxError: maxDifference(byMatrix, byLayer))
}
