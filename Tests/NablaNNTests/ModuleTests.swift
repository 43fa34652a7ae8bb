import Testing

@testable import NablaNN

/// A user-defined model: layers in stored properties, nothing registered by hand.
private final class Encoder: Module, @unchecked Sendable {
  let layers = [Linear(4, 8), Linear(8, 8)]
  let head: Linear? = Linear(8, 2, bias: false)
  let missing: Linear? = nil
  let scale = Parameter(Tensor.ones([1]))
  let statistics = Buffer(Tensor.zeros([2]))

  override func callAsFunction(_ input: Tensor) -> Tensor {
    head!(layers.reduce(input) { $1($0).relu() }) * scale.value
  }
}

private final class Wrapper: Module, @unchecked Sendable {
  let encoder = Encoder()
  let shared: Linear
  let sharedAgain: Linear
  override init() {
    shared = Linear(2, 2)
    sharedAgain = shared
  }
}

@Suite struct ModuleTests {
  /// As PyTorch's `named_parameters`: a module's own parameters first, then its submodules'.
  @Test func parametersAreFoundByNameInDeclarationOrder() {
    let model = Encoder()
    #expect(
      model.namedParameters().map(\.name) == [
        "scale", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "head.weight",
      ])
    #expect(model.namedBuffers().map(\.name) == ["statistics"])
    #expect(model.children().count == 3)
    #expect(model.parameterCount == 4 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 1)
    #expect(model.namedModules().map(\.name) == ["", "layers.0", "layers.1", "head"])
  }

  @Test func nestedAndSharedModulesAreListedOnce() {
    let model = Wrapper()
    let names = model.namedParameters().map(\.name)
    #expect(names.prefix(2) == ["encoder.scale", "encoder.layers.0.weight"])
    #expect(names.suffix(2) == ["shared.weight", "shared.bias"])
    #expect(model.parameters().count == 6 + 2)
  }

  @Test func sequentialNamesLayersByPosition() {
    let model = Sequential {
      Linear(3, 4)
      ReLU()
      Linear(4, 1)
    }
    #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
    #expect(model(Tensor.ones([5, 3])).shape == [5, 1])
  }

  @Test func trainEvalFreezeAndZeroGradientsReachEveryModule() {
    let model = Wrapper()
    model.eval()
    #expect(model.namedModules().allSatisfy { !$0.module.isTraining })
    model.train()
    #expect(model.encoder.layers[1].isTraining)
    model.encoder(Tensor.ones([1, 4])).sum().backward()
    #expect(model.encoder.layers[0].weight.grad != nil)
    model.zeroGradients()
    #expect(model.parameters().allSatisfy { $0.grad == nil })
    model.encoder.freeze()
    #expect(model.encoder.parameters().allSatisfy { $0.isFrozen })
    #expect(!model.shared.weight.isFrozen)
  }

  @Test func linearMatchesItsMatrixAndPyTorchsInit() {
    let layer = Linear(3, 2)
    #expect(layer.weight.value.shape == [2, 3])
    let bound = Float(1 / 3.0.squareRoot())
    #expect([Float](layer.weight.value).allSatisfy { abs($0) <= bound })
    layer.weight.assign(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]))
    layer.bias!.assign(Tensor([10, 20]))
    #expect([Float](layer(Tensor([1, 1, 1]))) == [16, 35])
    #expect(Linear(3, 2, bias: false).bias == nil)
  }

  @Test func gradientsOfLinear() {
    let input = Tensor.randomNormal([4, 3], dtype: .float64)
    let result = gradientCheck(Linear(3, 2), input: input)
    #expect(result.passed, "\(result)")
    let batched = gradientCheck(Linear(3, 5, bias: false), input: Tensor.randomNormal([2, 4, 3]))
    #expect(batched.passed, "\(batched)")
  }
}
