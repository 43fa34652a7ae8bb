import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// The torch.nn.init formulas: gains and fans exactly, the random initializations by their
/// bounds and statistics over large tensors, and orthogonality.
@Suite struct InitializerTests {
  @Test func gainsFollowCalculateGain() {
    for linear in [
      Nonlinearity.linear, .conv1d, .conv2d, .conv3d, .convTranspose1d,
      .convTranspose2d, .convTranspose3d, .sigmoid,
    ] {
      #expect(Initializer.calculateGain(linear) == 1)
    }
    #expect(Initializer.calculateGain(.tanh) == 5.0 / 3)
    #expect(Initializer.calculateGain(.relu) == 2.0.squareRoot())
    #expect(Initializer.calculateGain(.selu) == 0.75)
    #expect(Initializer.calculateGain(.leakyReLU) == (2 / 1.0001).squareRoot())
    #expect(Initializer.calculateGain(.leakyReLU, parameter: 0.2) == (2 / 1.04).squareRoot())
    #expect(Initializer.calculateGain(.leakyReLU, parameter: 0) == 2.0.squareRoot())
    // The parameter only matters for the leaky rectifier.
    #expect(Initializer.calculateGain(.tanh, parameter: 0.2) == 5.0 / 3)
  }

  @Test func fansUseTheReceptiveField() {
    #expect(Initializer.fans(of: [4, 3]) == (fanIn: 3, fanOut: 4))
    #expect(Initializer.fans(of: [16, 3, 5, 5]) == (fanIn: 75, fanOut: 400))
    #expect(Initializer.fans(of: [5, 2, 3]) == (fanIn: 6, fanOut: 15))
    #expect(Initializer.fans(of: [8, 4, 2, 3, 2]) == (fanIn: 48, fanOut: 96))
  }

  @Test func fansNeedTwoDimensions() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Initializer.xavierUniform([5])
    }
    expectMessage(
      result, "Initializer: fan in and fan out cannot be computed for shape [5] with fewer than 2")
  }

  @Test func constants() {
    #expect([Float](Initializer.zeros([2, 3])) == [Float](repeating: 0, count: 6))
    #expect([Double](Initializer.ones([4], dtype: .float64)) == [1, 1, 1, 1])
    let filled = Initializer.constant([2, 2], value: 0.25, dtype: .float64)
    #expect(filled.shape == [2, 2] && [Double](filled) == [0.25, 0.25, 0.25, 0.25])
  }

  @Test func xavierUniformStaysWithinItsBoundWithTheUniformDeviation() {
    // gain 2, fans 300 and 200: a = 2·√(6/500).
    let w = Initializer.xavierUniform(
      [200, 300], gain: 2, dtype: .float64, generator: RandomGenerator(seed: 1))
    expectUniform([Double](w), bound: 2 * (6.0 / 500).squareRoot())
  }

  @Test func xavierNormalHasTheGlorotDeviation() {
    // A convolution weight: fan in 64·9 = 576, fan out 128·9 = 1152.
    let w = Initializer.xavierNormal(
      [128, 64, 3, 3], gain: 1.5, dtype: .float64, generator: RandomGenerator(seed: 2))
    expectNormal([Double](w), deviation: 1.5 * (2.0 / 1728).squareRoot())
  }

  @Test func kaimingUniformUsesTheGainOfItsNonlinearityAndFan() {
    let shape = [256, 64, 3, 3]  // fan in 576, fan out 2304
    let generator = RandomGenerator(seed: 3)
    // The default is a leaky rectifier with slope 0, i.e. the ReLU gain √2, and fan in.
    let byDefault = Initializer.kaimingUniform(shape, dtype: .float64, generator: generator)
    expectUniform([Double](byDefault), bound: 3.0.squareRoot() * 2.0.squareRoot() / 24)
    let fanOut = Initializer.kaimingUniform(
      shape, mode: .fanOut, nonlinearity: .relu, dtype: .float64, generator: generator)
    expectUniform([Double](fanOut), bound: 6.0.squareRoot() / 48)
    let leaky = Initializer.kaimingUniform(
      [300, 200], a: 0.2, dtype: .float64, generator: generator)
    expectUniform(
      [Double](leaky), bound: 3.0.squareRoot() * (2 / 1.04).squareRoot() / 200.0.squareRoot())
    let tanh = Initializer.kaimingUniform(
      [300, 200], nonlinearity: .tanh, dtype: .float64, generator: generator)
    expectUniform([Double](tanh), bound: 3.0.squareRoot() * (5.0 / 3) / 200.0.squareRoot())
  }

  @Test func kaimingNormalHasTheHeDeviation() {
    let generator = RandomGenerator(seed: 4)
    // Fan out 128·10 = 1280.
    let w = Initializer.kaimingNormal(
      [128, 64, 10], mode: .fanOut, nonlinearity: .relu, dtype: .float64, generator: generator)
    expectNormal([Double](w), deviation: (2.0 / 1280).squareRoot())
    let selu = Initializer.kaimingNormal(
      [400, 150], nonlinearity: .selu, dtype: .float64, generator: generator)
    expectNormal([Double](selu), deviation: 0.75 / 150.0.squareRoot())
  }

  @Test func pytorchsLinearDefaultIsWhatLinearDoes() {
    // kaiming_uniform_(a=√5) gives the bound √3·√(2/6)/√fanIn = 1/√fanIn that Linear uses.
    let layer = Linear(7, 5, bias: false, generator: RandomGenerator(seed: 8))
    let expected = Initializer.kaimingUniform(
      [5, 7], a: 5.0.squareRoot(), generator: RandomGenerator(seed: 8))
    let actual = [Float](layer.weight.value)
    for (a, e) in zip(actual, [Float](expected)) { #expect(abs(a - e) <= 1e-7, "\(a) != \(e)") }
    #expect(actual.allSatisfy { abs($0) <= Float(1 / 7.0.squareRoot()) })
  }

  @Test func aSeedFixesTheValues() {
    let first = Initializer.kaimingNormal([10, 10], generator: RandomGenerator(seed: 6))
    let second = Initializer.kaimingNormal([10, 10], generator: RandomGenerator(seed: 6))
    #expect([Float](first) == [Float](second))
    #expect(first.dtype == .float32)
    let third = Initializer.orthogonal([4, 4], generator: RandomGenerator(seed: 6))
    #expect(
      [Float](third)
        == [Float](Initializer.orthogonal([4, 4], generator: RandomGenerator(seed: 6))))
  }

  @Test func householderFactorMatchesNumpysQRWithPositiveDiagonal() {
    // numpy: q, r = np.linalg.qr(a); q *= np.sign(np.diag(r)).
    let tall = Initializer.orthonormalFactor([2, -1, 1, 3, -2, 0.5], rows: 3, columns: 2)
    expectClose(
      tall,
      [
        0.6666666666666667, -0.31234752377721214, 0.33333333333333337, 0.9370425713316364,
        -0.6666666666666667, 0.1561737618886061,
      ])
    let square = Initializer.orthonormalFactor(
      [-3, 1, 2, 0.5, -2, 1, 1, 1, -1], rows: 3, columns: 3)
    expectClose(
      square,
      [
        -0.9370425713316364, 0.0538850671761303, 0.3450327796711771, 0.15617376188860607,
        -0.8190530210771806, 0.5520524474738835, 0.31234752377721214, 0.5711817120669812,
        0.7590721152765897,
      ])
  }

  @Test func orthogonalIsTheSignCorrectedQOfANormalMatrix() {
    for shape in [[6, 4], [5, 5], [3, 5], [4, 2, 3]] {
      let rows = shape[0]
      let columns = shape.dropFirst().reduce(1, *)
      let w = Initializer.orthogonal(
        shape, dtype: .float64, generator: RandomGenerator(seed: 21))
      #expect(w.shape == shape)
      // The normal matrix the initializer factored: the same seed draws it again.
      let a = [Double](
        Tensor.randomNormal([rows, columns], dtype: .float64, generator: RandomGenerator(seed: 21)))
      let q = [Double](w)
      if rows >= columns {
        // Columns orthonormal, and R = Qᵀ·A upper triangular with a positive diagonal.
        expectIdentity(product(q, transposing: true, q, rows: rows, columns: columns))
        expectUpperTriangularPositive(
          product(q, transposing: true, a, rows: rows, columns: columns), size: columns)
      } else {
        // Rows orthonormal, and R = Q·Aᵀ for the transposed matrix PyTorch factors.
        expectIdentity(product(q, transposing: false, q, rows: rows, columns: columns))
        expectUpperTriangularPositive(
          product(q, transposing: false, a, rows: rows, columns: columns), size: rows)
      }
    }
  }

  @Test func orthogonalScalesByTheGain() {
    let w = Initializer.orthogonal([8, 8], gain: 2, dtype: .float64)
    let q = [Double](w)
    let gram = product(q, transposing: true, q, rows: 8, columns: 8)
    expectIdentity(gram.map { $0 / 4 })
  }

  @Test func parametersCanBeReinitializedInPlace() {
    let layer = Linear(6, 6)
    let weight = layer.weight
    layer.weight.initialize { shape, dtype in Initializer.orthogonal(shape, gain: 3, dtype: dtype) }
    #expect(layer.weight === weight && layer.weight.value.requiresGrad)
    let q = [Double](layer.weight.value)
    let gram = product(q, transposing: true, q, rows: 6, columns: 6)
    for i in 0..<6 { #expect(abs(gram[i * 6 + i] - 9) < 1e-4) }
    layer.bias!.initialize { shape, dtype in Initializer.zeros(shape, dtype: dtype) }
    #expect([Float](layer.bias!.value) == [0, 0, 0, 0, 0, 0])
  }

  // MARK: Helpers

  /// Uniform in ±bound: inside the bound, reaching close to it, with mean 0 and deviation b/√3.
  private func expectUniform(
    _ values: [Double], bound: Double, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let largest = values.map(abs).max()!
    #expect(
      largest <= bound && largest > 0.99 * bound, "max \(largest) vs bound \(bound)",
      sourceLocation: sourceLocation)
    expectMoments(values, deviation: bound / 3.0.squareRoot(), sourceLocation: sourceLocation)
  }

  private func expectNormal(
    _ values: [Double], deviation: Double, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    expectMoments(values, deviation: deviation, sourceLocation: sourceLocation)
    // Beyond 3 deviations lies 0.27% of a normal sample.
    let tails = Double(values.filter { abs($0) > 3 * deviation }.count) / Double(values.count)
    #expect(tails > 0.001 && tails < 0.005, "tails \(tails)", sourceLocation: sourceLocation)
  }

  /// Mean within 5 standard errors of 0; standard deviation within 2% (over 6 standard errors
  /// for these sizes).
  private func expectMoments(
    _ values: [Double], deviation: Double, sourceLocation: SourceLocation
  ) {
    let count = Double(values.count)
    let mean = values.reduce(0, +) / count
    let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)).squareRoot()
    #expect(
      abs(mean) < 5 * deviation / count.squareRoot(), "mean \(mean)",
      sourceLocation: sourceLocation)
    #expect(
      abs(spread / deviation - 1) < 0.02, "std \(spread) vs \(deviation)",
      sourceLocation: sourceLocation)
  }

  /// For row-major `rows` x `columns` matrices x and y: xᵀ·y when `transposing`, else x·yᵀ.
  private func product(
    _ x: [Double], transposing: Bool, _ y: [Double], rows: Int, columns: Int
  ) -> [Double] {
    let size = transposing ? columns : rows
    let inner = transposing ? rows : columns
    var result = [Double](repeating: 0, count: size * size)
    for i in 0..<size {
      for j in 0..<size {
        for k in 0..<inner {
          result[i * size + j] +=
            transposing
            ? x[k * columns + i] * y[k * columns + j] : x[i * columns + k] * y[j * columns + k]
        }
      }
    }
    return result
  }

  private func expectIdentity(
    _ matrix: [Double], sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let size = Int(Double(matrix.count).squareRoot())
    let identity = (0..<matrix.count).map { $0 / size == $0 % size ? 1.0 : 0.0 }
    expectClose(matrix, identity, tolerance: 1e-12, sourceLocation: sourceLocation)
  }

  private func expectUpperTriangularPositive(
    _ matrix: [Double], size: Int, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    for i in 0..<size {
      #expect(matrix[i * size + i] > 0, sourceLocation: sourceLocation)
      for j in 0..<i {
        #expect(abs(matrix[i * size + j]) < 1e-12, "R[\(i), \(j)]", sourceLocation: sourceLocation)
      }
    }
  }
}
