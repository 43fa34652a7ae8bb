import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

@Suite struct EmbeddingTests {
  @Test func looksUpRowsAndKeepsTheIndexShape() {
    let embedding = Embedding(5, 3, dtype: .float64)
    embedding.weight.assign(tensor((0..<15).map(Double.init), [5, 3]))
    let vectors = embedding(Tensor(indices: [4, 0, 4, 2], shape: [2, 2]))
    #expect(vectors.shape == [2, 2, 3])
    expectClose([Double](vectors), [12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8])
  }

  @Test func initializesFromAStandardNormalWithThePaddingRowZeroed() {
    let embedding = Embedding(400, 50, paddingIndex: -1, generator: RandomGenerator(seed: 3))
    #expect(embedding.paddingIndex == 399)
    let values = [Double](embedding.weight.value)
    #expect(values[(399 * 50)...].allSatisfy { $0 == 0 })
    let rest = values[..<(399 * 50)]
    let mean = rest.reduce(0, +) / Double(rest.count)
    let variance = rest.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rest.count)
    #expect(Swift.abs(mean) < 0.02 && Swift.abs(variance - 1) < 0.03)
  }

  @Test func thePaddingRowGetsNoGradient() {
    let embedding = Embedding(4, 2, paddingIndex: 1, dtype: .float64)
    embedding.weight.assign(tensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]))
    let output = embedding(Tensor(indices: [1, 2, 1, 0]))
    // The padding row's values are still looked up (PyTorch does not zero them at lookup).
    expectClose([Double](output), [3, 4, 5, 6, 3, 4, 1, 2])
    (output * tensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2])).sum().backward()
    expectClose([Double](embedding.weight.grad!), [7, 8, 0, 0, 3, 4, 0, 0])
  }

  @Test func maxNormRenormalizesTheLookedUpRowsInTheWeight() {
    let embedding = Embedding(3, 2, maxNorm: 1, dtype: .float64)
    embedding.weight.assign(tensor([3, 4, 0.3, 0.4, 6, 8], [3, 2]))
    let output = embedding(Tensor(indices: [0, 1]))
    let scale = 1 / (5 + 1e-7)  // maxNorm / (norm + 1e-7), as PyTorch's embedding_renorm_
    expectClose([Double](output), [3 * scale, 4 * scale, 0.3, 0.4])
    // Row 2 was not looked up, so it keeps its norm of 10.
    expectClose([Double](embedding.weight.value), [3 * scale, 4 * scale, 0.3, 0.4, 6, 8])
  }

  @Test func gradientsOfTheTableMatchCentralDifferences() {
    let embedding = Embedding(6, 3, paddingIndex: 5)
    let indices = Tensor(indices: [0, 3, 3, 2, 4, 1], shape: [3, 2])
    let result = gradientCheck(embedding, inputs: []) { module, _ in module(indices) }
    #expect(result.passed, "\(result)")
  }
}

@Suite struct PositionalEncodingTests {
  @Test func sinusoidalTableFollowsThePaper() {
    let table = sinusoidalPositionalEncoding(length: 3, dimension: 4, dtype: .float64)
    #expect(table.shape == [3, 4])
    var expected: [Double] = []
    for p in 0..<3 {
      let position = Double(p)
      expected += [sin(position), cos(position), sin(position / 100), cos(position / 100)]
    }
    expectClose([Double](table), expected)
  }

  @Test func sinusoidalModuleAddsTheFirstRows() {
    let encode = SinusoidalPositionalEncoding(dimension: 4, maxLength: 10)
    let x = Tensor.randomNormal([2, 3, 4], dtype: .float64)
    let y = encode(x)
    #expect(y.shape == [2, 3, 4])
    let added = zip([Double](y), [Double](x)).map { $0 - $1 }
    let table = [Double](sinusoidalPositionalEncoding(length: 3, dimension: 4, dtype: .float64))
    // Both batch elements get the first three rows of the table.
    expectClose(Array(added[..<12]), table, tolerance: 1e-7)
    expectClose(Array(added[12...]), table, tolerance: 1e-7)
    #expect(encode.namedParameters().isEmpty && encode.stateDict().isEmpty)
  }

  @Test func learnedPositionalEmbeddingGradients() {
    let positions = LearnedPositionalEmbedding(maxLength: 5, dimension: 3)
    #expect(positions.namedParameters().map(\.name) == ["weight"])
    let result = gradientCheck(positions, input: Tensor.randomNormal([2, 4, 3]))
    #expect(result.passed, "\(result)")
  }
}

@Suite struct LayerNormTests {
  @Test func normalizesWithTheBiasedVariance() {
    let norm = LayerNorm([4], dtype: .float64)
    let y = norm(tensor([1, 2, 3, 4, 2, 2, 2, 6], [2, 4]))
    let s1 = (1.25 + 1e-5).squareRoot()  // mean 2.5, variance 1.25
    let s2 = (3 + 1e-5).squareRoot()  // mean 3, variance 3
    expectClose(
      [Double](y), [-1.5 / s1, -0.5 / s1, 0.5 / s1, 1.5 / s1, -1 / s2, -1 / s2, -1 / s2, 3 / s2])
    #expect(norm.namedParameters().map(\.name) == ["weight", "bias"])
  }

  @Test func normalizesOverSeveralTrailingAxes() {
    let norm = LayerNorm([2, 3], elementwiseAffine: false, dtype: .float64)
    #expect(norm.namedParameters().isEmpty)
    let x = Tensor.randomNormal([4, 2, 3], dtype: .float64, generator: RandomGenerator(seed: 7))
    let (inputs, rows) = ([Double](x), [Double](norm(x)))
    for row in 0..<4 {
      let values = rows[(row * 6)..<(row * 6 + 6)]
      // Mean 0, and variance v / (v + ε) for an input row of (biased) variance v.
      let input = inputs[(row * 6)..<(row * 6 + 6)]
      let mean = input.reduce(0, +) / 6
      let variance = input.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 6
      #expect(Swift.abs(values.reduce(0, +)) < 1e-12)
      #expect(
        Swift.abs(values.reduce(0) { $0 + $1 * $1 } / 6 - variance / (variance + 1e-5)) < 1e-12)
    }
  }

  @Test func gradientsMatchCentralDifferences() {
    let norm = LayerNorm([3, 4])
    norm.weight!.assign(Tensor.randomNormal([3, 4]))
    norm.bias!.assign(Tensor.randomNormal([3, 4]))
    let result = gradientCheck(norm, input: Tensor.randomNormal([2, 3, 4]))
    #expect(result.passed, "\(result)")
  }
}

@Suite struct RMSNormTests {
  @Test func dividesByTheRootMeanSquareWithTheDtypeEpsilon() {
    let norm = RMSNorm([2], dtype: .float64)
    let y = norm(tensor([3, 4], [1, 2]))
    let rms = (12.5 + Double.ulpOfOne).squareRoot()
    expectClose([Double](y), [3 / rms, 4 / rms])
    let float = RMSNorm([2])(Tensor([3, 4], shape: [1, 2]))
    let rms32 = (12.5 + Double(Float.ulpOfOne)).squareRoot()
    expectClose([Double](float), [3 / rms32, 4 / rms32], tolerance: 1e-6)
  }

  @Test func gradientsMatchCentralDifferences() {
    let norm = RMSNorm([5], epsilon: 1e-6)
    norm.weight!.assign(Tensor.randomNormal([5]))
    let result = gradientCheck(norm, input: Tensor.randomNormal([3, 5]))
    #expect(result.passed, "\(result)")
  }
}
