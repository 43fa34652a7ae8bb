import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// Activation and dropout layers. Expected values were worked out in NumPy from PyTorch's
/// formulas (torch.nn.ReLU, ELU, GELU, ...), not produced by Nabla.
@Suite struct LayerTests {
  /// The inputs every activation is evaluated at.
  let input = Tensor([-2, -0.5, 0, 0.5, 2], dtype: .float64)

  private func expectOutput(
    _ layer: Module, _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation
  ) {
    expectClose([Double](layer(input)), expected, sourceLocation: sourceLocation)
  }

  @Test func rectifiers() {
    expectOutput(ReLU(), [0, 0, 0, 0.5, 2])
    expectOutput(LeakyReLU(), [-0.02, -0.005, 0, 0.5, 2])
    expectOutput(LeakyReLU(negativeSlope: 0.2), [-0.4, -0.1, 0, 0.5, 2])
    expectOutput(ELU(), [-0.8646647167633873, -0.3934693402873666, 0, 0.5, 2])
    expectOutput(ELU(alpha: 0.5), [-0.43233235838169365, -0.1967346701436833, 0, 0.5, 2])
  }

  @Test func smoothActivations() {
    expectOutput(
      GELU(),
      [-0.04550026389635842, -0.15426876936299344, 0, 0.34573123063700656, 1.9544997361036416])
    expectOutput(
      GELU(approximation: .tanh),
      [-0.04540230591222494, -0.15428599017485606, 0, 0.34571400982514394, 1.954597694087775])
    expectOutput(
      Sigmoid(),
      [0.11920292202211755, 0.3775406687981454, 0.5, 0.6224593312018546, 0.8807970779778823])
    expectOutput(
      Tanh(),
      [-0.9640275800758169, -0.46211715726000974, 0, 0.46211715726000974, 0.9640275800758169])
    expectOutput(
      Softplus(),
      [
        0.1269280110429725, 0.4740769841801067, 0.6931471805599453, 0.9740769841801067,
        2.1269280110429727,
      ])
    // β = 2, threshold 3: at x = 2, βx = 4 exceeds the threshold and x itself comes out.
    expectOutput(
      Softplus(beta: 2, threshold: 3),
      [0.009074963958904869, 0.15663084375911143, 0.34657359027997264, 0.6566308437591114, 2])
  }

  @Test func softmaxLayersNormalizeAlongTheirAxis() {
    let x = Tensor([1, 2, 3, -1, 0, 4], shape: [2, 3], dtype: .float64)
    expectClose(
      [Double](Softmax()(x)),
      [
        0.09003057317038046, 0.24472847105479764, 0.6652409557748218, 0.006573263185309083,
        0.0178679818703045, 0.9755587549443865,
      ])
    expectClose(
      [Double](Softmax(axis: 0)(x)),
      [
        0.8807970779778823, 0.8807970779778823, 0.2689414213699951, 0.11920292202211755,
        0.11920292202211755, 0.7310585786300049,
      ])
    expectClose(
      [Double](LogSoftmax()(x)),
      [
        -2.40760596444438, -1.4076059644443804, -0.40760596444438046, -5.024744890138822,
        -4.024744890138823, -0.024744890138822577,
      ])
    expectClose(
      [Double](LogSoftmax(axis: 0)(x)),
      [
        -0.12692801104297263, -0.12692801104297263, -1.3132616875182228, -2.1269280110429727,
        -2.1269280110429727, -0.3132616875182228,
      ])
  }

  @Test func activationsKeepShapeAndFloat32() {
    let x = Tensor([-1, 0.5, 3, -0.25, 2, 0], shape: [3, 2])
    let layers: [Module] = [
      ReLU(), LeakyReLU(), ELU(), GELU(), Sigmoid(), Tanh(), Softplus(), Softmax(), LogSoftmax(),
    ]
    for layer in layers {
      let y = layer(x)
      #expect(y.shape == [3, 2] && y.dtype == .float32, "\(type(of: layer))")
    }
    #expect(
      [Float](
        Sequential {
          ReLU()
          Tanh()
        }(x))[2] == Float(Foundation.tanh(3.0)))
    #expect(ReLU().parameters().isEmpty)
  }

  @Test func gradientsOfActivations() {
    let x = Tensor.randomNormal([3, 4], dtype: .float64, generator: RandomGenerator(seed: 3))
    let layers: [Module] = [
      ReLU(), LeakyReLU(negativeSlope: 0.1), ELU(alpha: 0.7), GELU(), GELU(approximation: .tanh),
      Sigmoid(), Tanh(), Softplus(), Softplus(beta: 2, threshold: 1), Softmax(), Softmax(axis: 0),
      LogSoftmax(), LogSoftmax(axis: 0),
    ]
    for layer in layers {
      let result = gradientCheck(layer, input: x)
      #expect(result.passed, "\(type(of: layer)): \(result)")
    }
  }

  // MARK: Dropout

  @Test func dropoutMaskIsZeroOrInverseKeepProbability() {
    let dropout = Dropout(probability: 0.3, generator: RandomGenerator(seed: 11))
    let output = [Float](dropout(Tensor.ones([100_000])))
    let scale = Float(1 / 0.7)
    #expect(output.allSatisfy { $0 == 0 || $0 == scale })
    let keptFraction = Double(output.filter { $0 != 0 }.count) / Double(output.count)
    // The kept count is binomial: its standard deviation here is 0.0014, so 0.01 is 7 sigma.
    #expect(abs(keptFraction - 0.7) < 0.01, "kept \(keptFraction)")
  }

  @Test func dropoutScalesTheInputAndItsGradient() {
    let x = Tensor.randomNormal([50, 40], dtype: .float64).requiringGrad()
    let dropout = Dropout(probability: 0.6, generator: RandomGenerator(seed: 2))
    let y = dropout(x)
    y.sum().backward()
    let (inputs, outputs, gradient) = ([Double](x), [Double](y), [Double](x.grad!))
    for ((input, output), slope) in zip(zip(inputs, outputs), gradient) {
      // Kept elements are the input over 0.4 with slope 1/0.4; dropped ones are 0 with slope 0.
      #expect(slope == 0 || abs(slope - 2.5) < 1e-15)
      #expect(abs(output - input * slope) <= 1e-15 * abs(output))
    }
  }

  @Test func dropoutIsTheIdentityInEvaluationModeAndForZeroProbability() {
    let x = Tensor.randomNormal([4, 5])
    let dropout = Dropout()
    dropout.eval()
    #expect([Float](dropout(x)) == [Float](x))
    #expect([Float](Dropout(probability: 0)(x)) == [Float](x))
    let inSequence = Sequential { Dropout(probability: 0.9) }
    inSequence.eval()
    #expect([Float](inSequence(x)) == [Float](x))
  }

  @Test func dropoutWithProbabilityOneGivesZeros() {
    let x = Tensor.randomNormal([3, 3], dtype: .float64).requiringGrad()
    let y = Dropout(probability: 1)(x)
    #expect([Double](y).allSatisfy { $0 == 0 })
    y.sum().backward()
    #expect([Double](x.grad!).allSatisfy { $0 == 0 })
  }

  @Test func dropoutMasksAreFixedByTheSeed() {
    let x = Tensor.ones([1000])
    let first = Dropout(generator: RandomGenerator(seed: 42))
    let second = Dropout(generator: RandomGenerator(seed: 42))
    let other = Dropout(generator: RandomGenerator(seed: 43))
    let mask = [Float](first(x))
    #expect(mask == [Float](second(x)))
    #expect(mask != [Float](other(x)))
    #expect(mask != [Float](first(x)), "each call draws a new mask")
  }

  /// With no generator of its own, dropout draws from the global one, which `manualSeed` fixes;
  /// checked in a child process, away from the other tests drawing from it in parallel.
  @Test func manualSeedFixesTheGlobalDropoutMask() async {
    await #expect(processExitsWith: .success) {
      let x = Tensor.ones([64])
      manualSeed(5)
      let first = [Float](Dropout()(x))
      manualSeed(5)
      if first != [Float](Dropout()(x)) { exit(1) }
    }
  }

  @Test func gradientsOfDropout() {
    // Reseeding before each call makes the mask fixed, so dropout is one linear function.
    let generator = RandomGenerator(seed: 9)
    let dropout = Dropout(probability: 0.4, generator: generator)
    let x = Tensor.randomNormal([4, 6], dtype: .float64)
    let result = gradientCheck(at: [x]) { inputs in
      generator.reseed(9)
      return dropout(inputs[0])
    }
    #expect(result.passed, "\(result)")
    dropout.eval()
    let evaluation = gradientCheck(dropout, input: x)
    #expect(evaluation.passed, "\(evaluation)")
  }

  @Test func dropoutRefusesAProbabilityOutsideTheUnitInterval() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Dropout(probability: 1.5)
    }
    expectMessage(result, "Dropout: probability 1.5 is outside [0, 1]")
  }
}
