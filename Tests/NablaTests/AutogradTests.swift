import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

@Suite struct AutogradTests {
  @Test func gradientsAccumulateUntilZeroed() {
    let w = Tensor([1, 2, 3]).requiringGrad()
    let loss = (w * w).sum()
    loss.backward(retainingGraph: true)
    #expect([Float](w.grad!) == [2, 4, 6])
    loss.backward()
    #expect([Float](w.grad!) == [4, 8, 12])
    w.zeroGradient()
    #expect(w.grad == nil)
    (w * 3).sum().backward()
    #expect([Float](w.grad!) == [3, 3, 3])
  }

  @Test func backwardWithAnExplicitGradient() {
    let x = Tensor([1, 2], dtype: .float64).requiringGrad()
    let y = x * x
    y.backward(gradient: Tensor([10, 100], dtype: .float64))
    #expect([Double](x.grad!) == [20, 400])
  }

  @Test func sharedSubexpressionsAddTheirGradients() {
    // y = a·b + a: dy/da = b + 1, dy/db = a; `a` is used twice.
    let a = Tensor([2], dtype: .float64).requiringGrad()
    let b = Tensor([5], dtype: .float64).requiringGrad()
    let product = a * b
    (product + a + product).sum().backward()
    #expect(a.grad!.item == 11)
    #expect(b.grad!.item == 4)
  }

  @Test func detachedAndWithoutGradientsRecordNothing() {
    let x = Tensor([1, 2]).requiringGrad()
    #expect(x.isLeaf && x.requiresGrad)
    let y = x * 2
    #expect(y.requiresGrad && !y.isLeaf)
    #expect(!y.detached().requiresGrad)
    let z = withoutGradients { x * 2 }
    #expect(!z.requiresGrad)
    #expect(isRecordingGradients)  // back on once the block that made z returned
    withoutGradients { #expect(!isRecordingGradients) }
    #expect(isRecordingGradients)
    // Gradient stops at a detached value: d/dx (x · detached(x)) = detached(x).
    (x * x.detached()).sum().backward()
    #expect([Float](x.grad!) == [1, 2])
  }

  @Test func assignKeepsTheParameterIdentity() {
    var w = Tensor([1, 1]).requiringGrad()
    (w * 2).sum().backward()
    withoutGradients { w.assign(w - 0.5 * w.grad!) }
    #expect([Float](w) == [0, 0])
    #expect(w.requiresGrad && w.grad != nil)
  }

  @Test func copyOnWriteKeepsCopiesIndependent() {
    let original = Tensor([1, 2, 3])
    var copy = original
    copy.withUnsafeMutableBufferPointer(as: Float.self) { $0[0] = 42 }
    #expect([Float](original) == [1, 2, 3])
    #expect([Float](copy) == [42, 2, 3])
  }

  @Test func aHundredThousandStepChainRunsBackward() {
    let x = Tensor([0.5], dtype: .float64).requiringGrad()
    var h = x
    for _ in 0..<100_000 { h = h * 0.99999 + 0.00001 }
    h.sum().backward()
    expectClose([x.grad!.item], [Foundation.pow(0.99999, 100_000)], tolerance: 1e-9)
  }

  @Test func aDeepGraphDroppedWithoutBackwardIsFreed() {
    weak var first: GradNode?
    do {
      var h = Tensor([1], dtype: .float64).requiringGrad() * 1
      first = h.node
      for _ in 0..<100_000 { h = h * 1.0 }
      #expect(first != nil)
    }
    #expect(first == nil)
  }

  @Test func backwardFreesIntermediateTensors() {
    weak var intermediate: TensorStorage?
    weak var intermediateNode: GradNode?
    let x = Tensor.randomNormal([16]).requiringGrad()
    var loss: Tensor
    do {
      let hidden = x.exp()
      intermediate = hidden.storage
      intermediateNode = hidden.node
      loss = (hidden * 2).tanh().sum()
    }
    #expect(intermediate != nil, "the graph keeps intermediates alive until backward")
    loss.backward()
    #expect(intermediate == nil, "backward released the intermediate's memory")
    #expect(intermediateNode == nil)
    #expect(x.grad != nil)
  }

  @Test func aGraphThatIsDroppedIsFreed() {
    weak var intermediate: TensorStorage?
    let x = Tensor.randomNormal([16]).requiringGrad()
    do {
      let hidden = x.sigmoid()
      intermediate = hidden.storage
      _ = (hidden * hidden).sum()
    }
    #expect(intermediate == nil)
  }

  /// The resident set size of this process in bytes (Linux), or the peak elsewhere.
  private static func residentBytes() -> Int {
    #if os(Linux)
      if let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
        let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
      {
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
      }
      return 0
    #else
      var usage = rusage()
      getrusage(RUSAGE_SELF, &usage)
      return usage.ru_maxrss
    #endif
  }

  /// Trains a small MLP for 10 000 steps and exits with status 1 if the resident memory grew
  /// by 8 MiB or more after the first 1000 steps, or if the loss did not fall.
  static func trainTenThousandStepsWatchingMemory() {
    manualSeed(3)
    let inputs = Tensor.randomNormal([16, 32])
    let targets = Tensor.randomNormal([16, 1])
    var parameters = [
      Tensor.randomNormal([32, 32], standardDeviation: 0.1), Tensor.zeros([32]),
      Tensor.randomNormal([32, 1], standardDeviation: 0.1), Tensor.zeros([1]),
    ].map { $0.requiringGrad() }
    func step() -> Double {
      let hidden = (inputs.matmul(parameters[0]) + parameters[1]).tanh()
      let loss = (hidden.matmul(parameters[2]) + parameters[3] - targets).squared().mean()
      loss.backward()
      withoutGradients {
        for index in parameters.indices {
          parameters[index].assign(parameters[index] - 0.01 * parameters[index].grad!)
          parameters[index].zeroGradient()
        }
      }
      return loss.item
    }
    let firstLoss = step()
    for _ in 0..<1000 { _ = step() }
    let baseline = residentBytes()
    var lastLoss = 0.0
    for _ in 0..<9000 { lastLoss = step() }
    let growth = residentBytes() - baseline
    if growth >= 8 << 20 || !(lastLoss < firstLoss) {
      FileHandle.standardError.write(
        Data("memory grew by \(growth) bytes; loss \(firstLoss) -> \(lastLoss)\n".utf8))
      exit(1)
    }
  }

  /// Runs in a child process of its own, so tests running in parallel do not move the figure.
  @Test func trainingLoopMemoryStaysFlat() async {
    await #expect(processExitsWith: .success) {
      AutogradTests.trainTenThousandStepsWatchingMemory()
    }
  }
}

/// Operations users define with their own backward rule.
@Suite struct CustomOperationTests {
  /// x³ with its derivative 3x², as a user would write it.
  private func cube(_ x: Tensor) -> Tensor {
    Tensor.customOperation(
      "cube", inputs: [x], forward: { $0[0] * $0[0] * $0[0] },
      backward: { gradient, inputs, _ in [gradient * 3 * inputs[0] * inputs[0]] })
  }

  @Test func aCustomOperationTakesPartInBackward() {
    let x = Tensor([1, 2, -3], dtype: .float64).requiringGrad()
    let y = cube(x)
    #expect([Double](y) == [1, 8, -27])
    #expect(y.requiresGrad && !y.isLeaf)
    y.sum().backward()
    #expect([Double](x.grad!) == [3, 12, 27])
    expectGradients([randomDouble([3, 4], seed: 41)]) { cube($0[0]).tanh() }
  }

  @Test func aWrongBackwardRuleIsCaughtByTheGradientCheck() {
    let wrong = { (x: Tensor) in
      Tensor.customOperation(
        "cube", inputs: [x], forward: { $0[0] * $0[0] * $0[0] },
        backward: { gradient, inputs, _ in [gradient * 2 * inputs[0] * inputs[0]] })
    }
    let result = gradientCheck(at: [randomDouble([5], seed: 42)]) { wrong($0[0]) }
    #expect(!result.passed)
  }

  @Test func twoInputsGetTheirOwnGradients() {
    // f(a, b) = a·b² with ∂f/∂a = b², ∂f/∂b = 2ab.
    let product = { (a: Tensor, b: Tensor) in
      Tensor.customOperation(
        "ab2", inputs: [a, b], forward: { $0[0] * $0[1] * $0[1] },
        backward: { gradient, inputs, _ in
          [gradient * inputs[1] * inputs[1], gradient * 2 * inputs[0] * inputs[1]]
        })
    }
    expectGradients([randomDouble([4], seed: 43), randomDouble([4], seed: 44)]) {
      product($0[0], $0[1])
    }
  }
}

extension AutogradTests {
  @Test func releasingTheBufferCacheKeepsTensorsIntact() {
    let kept = Tensor.arange(0, 100_000, dtype: .float64)
    do { _ = Tensor.ones([200_000]) * 2 }  // freed into the cache
    BufferCache.release()
    #expect(kept.sum().item == 4_999_950_000)
    #expect([Float](Tensor.ones([3]) * 2) == [2, 2, 2])
  }
}
