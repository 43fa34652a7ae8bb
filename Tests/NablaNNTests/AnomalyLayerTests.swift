import Testing

@testable import NablaNN

/// `detectingAnomalies` names the op and the layers that made a NaN.
@Suite struct AnomalyLayerTests {
  static func forwardWithANaNWeight() {
    let model = Sequential {
      Linear(3, 4)
      ReLU()
      Linear(4, 2)
    }
    let first = model.namedParameters()[0].parameter
    var weight = first.value.detached()
    weight.withUnsafeMutableBufferPointer(as: Float.self) { $0[5] = .nan }
    first.assign(weight)
    detectingAnomalies {
      _ = model(Tensor.ones([2, 3]))  // the line the message names
    }
  }

  @Test func aNaNWeightIsNamedWithItsLayer() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      AnomalyLayerTests.forwardWithANaNWeight()
    }
    let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    #expect(
      text.contains(
        "detectingAnomalies: 'linear' made NaN in its forward result (shape [2, 4]; inputs of "
          + "shapes [2, 3], [4, 3], [4]; input 1 already held one)"), "stderr was: \(text)")
    #if os(Linux)
      #expect(text.contains("AnomalyLayerTests.swift:18: Fatal error:"), "stderr was: \(text)")
      #expect(text.contains("inside Linear.callAsFunction"), "stderr was: \(text)")
    #endif
  }
}
