import NablaTestSupport
import Testing

@testable import NablaNN

/// A layer of its own that does not run its forward pass inside `forwarding`.
private final class Doubling: Module, @unchecked Sendable {
  override func callAsFunction(_ input: Tensor) -> Tensor { input * 2 }
}

/// Collects what hooks see, in order.
private final class Log: @unchecked Sendable {
  var entries: [String] = []
  var outputs: [Tensor] = []
}

@Suite struct ModuleHookTests {
  let x = Tensor.randomNormal([3, 4], dtype: .float64, generator: RandomGenerator(seed: 7))

  func model() -> Sequential {
    Sequential {
      Linear(4, 5, dtype: .float64, generator: RandomGenerator(seed: 1))
      ReLU()
      Doubling()
      Linear(5, 2, dtype: .float64, generator: RandomGenerator(seed: 2))
    }
  }

  @Test func forwardHooksSeeEveryLayerOnceInOrder() {
    let model = model()
    let log = Log()
    for (index, layer) in model.layers.enumerated() {
      layer.registerForwardHook { module, input, output in
        log.entries.append("\(index) \(type(of: module)) \(input.shape) -> \(output.shape)")
        log.outputs.append(output)
        return nil
      }
    }
    let y = model(x)
    #expect(
      log.entries == [
        "0 Linear [3, 4] -> [3, 5]", "1 ReLU [3, 5] -> [3, 5]", "2 Doubling [3, 5] -> [3, 5]",
        "3 Linear [3, 5] -> [3, 2]",
      ])
    expectClose(log.outputs[3].scalars, y.scalars, tolerance: 0)
    let first = model.layers[0] as! Linear
    let hidden = x.linear(weight: first.weight.value, bias: first.bias?.value)
    expectClose(log.outputs[0].scalars, hidden.scalars, tolerance: 0)
  }

  @Test func hooksReplaceInputsAndOutputsAndGradientsFollow() {
    let linear = Linear(4, 2, dtype: .float64, generator: RandomGenerator(seed: 3))
    let expected = linear(x * 3).relu()
    let pre = linear.registerForwardPreHook { _, input in input * 3 }
    let post = linear.registerForwardHook { _, _, output in output.relu() }
    let leaf = x.requiringGrad()
    let y = linear(leaf)
    expectClose(y.scalars, expected.scalars, tolerance: 0)
    y.sum().backward()
    // d/dx Σ relu((3x)·Wᵀ + b) = 3 · 1[z > 0] · W.
    let mask = (expected .> 0).converted(to: .float64)
    expectClose(leaf.grad!.scalars, (mask.matmul(linear.weight.value) * 3).scalars)
    pre.remove()
    post.remove()
    post.remove()
    expectClose(
      linear(x).scalars, x.linear(weight: linear.weight.value, bias: linear.bias?.value).scalars,
      tolerance: 0)
  }

  @Test func hooksRunInRegistrationOrderUntilRemoved() {
    let relu = ReLU()
    let log = Log()
    let a = relu.registerForwardHook { _, _, output in
      log.entries.append("a")
      return output + 1
    }
    relu.registerForwardHook { _, _, output in
      log.entries.append("b")
      return output * 10
    }
    let y = relu(Tensor([-1, 2], dtype: .float64))
    #expect(y.scalars == [10, 30] && log.entries == ["a", "b"])
    a.remove()
    #expect(relu(Tensor([-1, 2], dtype: .float64)).scalars == [0, 20])
    #expect(log.entries == ["a", "b", "b"])
  }

  @Test func aCustomModuleRunsItsHooksInsideForwarding() {
    let doubling = Doubling()
    let log = Log()
    doubling.registerForwardHook { _, _, _ in
      log.entries.append("called")
      return nil
    }
    // Called directly, a module that does not use `forwarding` runs no hooks; in a Sequential
    // it does.
    _ = doubling(x)
    #expect(log.entries.isEmpty)
    _ = Sequential { doubling }(x)
    #expect(log.entries == ["called"])
  }

  @Test func summaryStillSeesHookedLayers() {
    let (hooked, plain) = (model(), model())
    for layer in hooked.layers { layer.registerForwardHook { _, _, _ in nil } }
    let table = hooked.summary(inputShape: [1, 4])
    #expect(table == plain.summary(inputShape: [1, 4]))
    #expect(!table.contains("?") && table.contains("[1, 5]"))
  }
}
