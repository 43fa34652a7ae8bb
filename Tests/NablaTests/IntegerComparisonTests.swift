import Testing

@testable import Nabla

/// Comparisons and argmax/argmin on int64 tensors, as the accuracy line needs them.
@Suite struct IntegerComparisonTests {
  @Test func int64TensorsCompareExactlyIntoInt64Masks() {
    let predictions = Tensor(indices: [3, 1, 4, 1, 5], shape: [5])
    let labels = Tensor(indices: [3, 2, 4, 1, 9], shape: [5])
    let hits = predictions .== labels
    #expect(hits.dtype == .int64 && hits.scalars == [1, 0, 1, 1, 0])
    #expect((predictions .!= labels).scalars == [0, 1, 0, 0, 1])
    #expect((predictions .< labels).scalars == [0, 1, 0, 0, 1])
    #expect((predictions .>= labels).scalars == [1, 0, 1, 1, 0])
    // Beyond 2^53, where a float64 comparison could not tell them apart.
    let big = Tensor(indices: [1 << 53 + 1], shape: [1])
    #expect((big .== Tensor(indices: [1 << 53], shape: [1])).scalars == [0])
  }

  @Test func int64ComparisonsBroadcast() {
    let column = Tensor(indices: [0, 1, 2], shape: [3, 1])
    let row = Tensor(indices: [1, 2], shape: [2])
    #expect((column .> row).shape == [3, 2])
    #expect((column .> row).scalars == [0, 0, 0, 0, 1, 0])
  }

  @Test func mixedDtypesPromoteTheIntegerTensor() {
    let labels = Tensor(indices: [1, 0], shape: [2])
    let mask = Tensor([1, 0.5]) .== labels
    #expect(mask.dtype == .float32 && mask.scalars == [1, 0])
    #expect((labels .== Tensor([1, 0], dtype: .float64)).dtype == .float64)
    #expect((labels .== 1).scalars == [1, 0])
    #expect((labels .< 0.5).scalars == [0, 1])  // 0.5 is not truncated to 0
  }

  @Test func theAccuracyLine() {
    let logits = Tensor([0.1, 2, -1, 3, 0, 0.5], shape: [2, 3])
    let labels = Tensor(indices: [1, 2], shape: [2])  // the first is right, the second wrong
    let accuracy = (logits.argmax(alongAxis: 1) .== labels).converted(to: .float32).mean().item
    #expect(accuracy == 0.5)
  }

  @Test func argmaxAndArgminOfInt64TensorsTakeTheFirstExtreme() {
    let values = Tensor(indices: [4, 9, 9, -2, 7, -2], shape: [2, 3])
    #expect(values.argmax(alongAxis: 1).scalars == [1, 1])
    #expect(values.argmin(alongAxis: 1).scalars == [0, 0])
    #expect(values.argmax(alongAxis: 0).scalars == [0, 0, 0])
    #expect(values.argmin(alongAxis: 0).scalars == [1, 1, 1])
    #expect(values.argmax().item == 1 && values.argmin().item == 3)
  }
}
