import Foundation
import NablaTestSupport
import Testing

@testable import Nabla

/// Sorting against PyTorch (Fixtures/make_sorting_fixtures.py: torch.sort, torch.argsort and
/// torch.topk in float64 with ties and without, the gradients of a weighted sum of the values,
/// and sorts of the storage dtypes), hand-checked NaN, float32 and edge cases, and float64
/// numerical gradient checks.
@Suite struct SortingTests {
  let fixtures: FunctionFixture

  init() throws { fixtures = try FunctionFixture("sorting") }

  /// Compares the values of `function` on the case's input and the gradient of their weighted
  /// sum with PyTorch's, exactly (both are copies of input elements and weights), and its indices
  /// with PyTorch's `<name>.indices`.
  func expectPyTorchs(
    _ name: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ function: (Tensor) -> (values: Tensor, indices: Tensor)
  ) throws {
    try fixtures.expectPyTorchs(name, tolerance: 0, sourceLocation: sourceLocation) {
      function($0[0]).values
    }
    let indices = function(try fixtures("\(name).input0")).indices
    let expected = try fixtures("\(name).indices")
    #expect(indices.dtype == .int64, "\(name)", sourceLocation: sourceLocation)
    #expect(indices.shape == expected.shape, "\(name)", sourceLocation: sourceLocation)
    #expect(indices.scalars == expected.scalars, "\(name)", sourceLocation: sourceLocation)
  }

  @Test func sortMatchesPyTorch() throws {
    for input in ["x", "y"] {
      for axis in [1, 0] {
        for descending in [false, true] {
          let name = "sort.\(input).axis\(axis)" + (descending ? ".descending" : "")
          try expectPyTorchs(name) { $0.sorted(alongAxis: axis, descending: descending) }
        }
      }
    }
    // The default axis is the last, and `stable` changes nothing (the sort is always stable).
    try expectPyTorchs("sort.x.axis1") { $0.sorted() }
    try expectPyTorchs("sort.x.axis1.descending") { $0.sorted(descending: true, stable: true) }
    try expectPyTorchs("sort.x.axis0") { $0.sorted(alongAxis: -2, stable: true) }
  }

  @Test func argsortMatchesPyTorch() throws {
    let x = try fixtures("argsort.x")
    let ascending = x.argsort(alongAxis: 1)
    #expect(ascending.dtype == .int64 && ascending.shape == [4, 6])
    #expect(try ascending.scalars == fixtures("argsort.x.axis1").scalars)
    let descending = x.argsort(alongAxis: 0, descending: true, stable: true)
    #expect(try descending.scalars == fixtures("argsort.x.axis0.descending").scalars)
  }

  @Test func topKMatchesPyTorch() throws {
    try expectPyTorchs("topk.largest") { $0.topK(3) }
    try expectPyTorchs("topk.smallest") { $0.topK(3, alongAxis: 1, largest: false) }
    try expectPyTorchs("topk.axis0") { $0.topK(3, alongAxis: 0) }
    try expectPyTorchs("topk.smallest.axis0") { $0.topK(2, alongAxis: 0, largest: false) }
    // `sorted: false` gives the sorted order too, one PyTorch allows.
    try expectPyTorchs("topk.largest") { $0.topK(3, sorted: false) }
  }

  /// PyTorch's CPU topk returns tied elements in an order of its own (row 0 of the largest three
  /// of `x` is 2.0 at 3, then the 0.5 at 5 before the one at 0); the values agree, and Nabla's
  /// indices are those of the stable descending (ascending) sort.
  @Test func topKOfTiesKeepsTheInputOrder() throws {
    let x = try fixtures("sort.x.axis1.input0")
    for (largest, name) in [(true, "topk.ties"), (false, "topk.ties.smallest")] {
      let (values, indices) = x.topK(3, largest: largest)
      let expected = try fixtures(name)
      #expect(values.shape == [4, 3] && values.scalars == expected.scalars, "\(name)")
      let stable = x.argsort(descending: largest).narrowed(alongAxis: 1, start: 0, length: 3)
      #expect(indices.scalars == stable.scalars, "\(name)")
    }
    #expect(x.topK(3).indices[0].scalars == [3, 0, 2])
    #expect(try fixtures("topk.ties.indices")[0].scalars == [3, 5, 0])
  }

  @Test func storageDTypesSortAsPyTorch() throws {
    for type in [DType.int64, .int32, .uint8, .int8, .bool, .float16, .bfloat16] {
      let input = try fixtures("dtype.\(type)")
      #expect(input.dtype == type)
      for descending in [false, true] {
        let name = "dtype.\(type)" + (descending ? ".descending" : "")
        let (values, indices) = input.sorted(alongAxis: 1, descending: descending)
        let expected = try fixtures("\(name).values")
        #expect(values.dtype == type && values.shape == expected.shape, "\(name)")
        #expect(values.scalars == expected.scalars, "\(name)")
        #expect(try indices.scalars == fixtures("\(name).indices").scalars, "\(name)")
        #expect(input.argsort(descending: descending).scalars == indices.scalars, "\(name)")
      }
      // topK's values against PyTorch's (bool: against the sort, as PyTorch's topk refuses
      // bool); its indices are the stable ones, where PyTorch's order of ties differs.
      let (values, indices) = input.topK(2)
      let stable = input.argsort(descending: true).narrowed(alongAxis: 1, start: 0, length: 2)
      #expect(values.dtype == type && indices.scalars == stable.scalars, "\(type)")
      let expected =
        try type == .bool
        ? fixtures("dtype.bool.descending.values").narrowed(alongAxis: 1, start: 0, length: 2)
        : fixtures("dtype.\(type).topk.values")
      #expect(values.shape == expected.shape && values.scalars == expected.scalars, "\(type)")
    }
  }

  /// NaN is the largest value, and NaNs keep their input order (PyTorch's sort gives the same;
  /// its topk orders the NaNs its own way).
  @Test func nanSortsAsTheLargestValue() {
    for type in [DType.float32, .float64] {
      let x = Tensor([3, .nan, 1, .nan, 2], shape: [5], dtype: type)
      let ascending = x.sorted()
      expectClose(ascending.values.scalars, [1, 2, 3, .nan, .nan], tolerance: 0)
      #expect(ascending.indices.scalars == [2, 4, 0, 1, 3])
      let descending = x.sorted(descending: true)
      expectClose(descending.values.scalars, [.nan, .nan, 3, 2, 1], tolerance: 0)
      #expect(descending.indices.scalars == [1, 3, 0, 4, 2])
      let top = x.topK(3)
      expectClose(top.values.scalars, [.nan, .nan, 3], tolerance: 0)
      #expect(top.indices.scalars == [1, 3, 0])
      let bottom = x.topK(2, largest: false)
      #expect(bottom.values.scalars == [1, 2] && bottom.indices.scalars == [2, 4])
      #expect(ascending.values.dtype == type && top.values.dtype == type)
    }
  }

  /// Each value's gradient goes back to the position it came from, in float32.
  @Test func float32GradientsScatterBack() throws {
    let x = Tensor([3, 1, 2]).requiringGrad()
    let (values, indices) = x.sorted()
    #expect(values.scalars == [1, 2, 3] && indices.scalars == [1, 2, 0])
    (values * Tensor([1, 10, 100])).sum().backward()
    #expect(try #require(x.grad).scalars == [100, 1, 10])
    let y = Tensor([3, 1, 2]).requiringGrad()
    (y.topK(2).values * Tensor([1, 10])).sum().backward()
    #expect(try #require(y.grad).scalars == [1, 0, 10])
  }

  /// A middle axis (elements neither adjacent nor one line per block) sorts as the last axis of
  /// the tensor with that axis moved last.
  @Test func middleAxisSortsAsTheLastAxisOfThePermutedTensor() throws {
    let y = try fixtures("sort.y.axis1.input0").reshaped([2, 3, 4])
    for descending in [false, true] {
      let (values, indices) = y.sorted(alongAxis: 1, descending: descending)
      let moved = y.permuted([0, 2, 1]).sorted(descending: descending)
      #expect(values.scalars == moved.values.permuted([0, 2, 1]).scalars)
      #expect(indices.scalars == moved.indices.permuted([0, 2, 1]).scalars)
      let top = y.topK(2, alongAxis: 1, largest: descending)
      #expect(top.values.scalars == values.narrowed(alongAxis: 1, start: 0, length: 2).scalars)
    }
    // Hand-checked: along axis 1 of [[[2, 0], [1, 5], [3, 4]]].
    let small = Tensor([2, 0, 1, 5, 3, 4], shape: [1, 3, 2])
    #expect(small.argsort(alongAxis: 1).scalars == [1, 0, 0, 2, 2, 1])
  }

  @Test func emptyAxesAndZeroK() {
    let rows = Tensor.zeros([3, 0]).sorted(alongAxis: 1)
    #expect(rows.values.shape == [3, 0] && rows.indices.shape == [3, 0])
    #expect(rows.indices.dtype == .int64)
    #expect(Tensor.zeros([0, 4]).argsort(alongAxis: 0).shape == [0, 4])
    let none = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).topK(0)
    #expect(none.values.shape == [2, 0] && none.indices.shape == [2, 0])
    #expect(Tensor.zeros([3, 0]).topK(0).values.shape == [3, 0])
    let all = Tensor([3, 1, 2]).topK(3, largest: false)
    #expect(all.values.scalars == [1, 2, 3] && all.indices.scalars == [1, 2, 0])
    // A rank-0 tensor is its own sort and its own top element (for k = 0 too, as in PyTorch).
    let scalar = Tensor(scalar: 5)
    for result in [scalar.sorted(), scalar.topK(1), scalar.topK(0)] {
      #expect(result.values.shape == [] && result.values.item == 5)
      #expect(result.indices.shape == [] && result.indices.dtype == .int64)
      #expect(result.indices.item == 0)
    }
    #expect(scalar.argsort().shape == [] && scalar.argsort(alongAxis: 0).item == 0)
  }

  @Test func gradientsMatchCentralDifferences() throws {
    let y = try fixtures("sort.y.axis1.input0")
    expectGradients([y]) { $0[0].sorted().values }
    expectGradients([y]) { $0[0].sorted(alongAxis: 0, descending: true).values }
    expectGradients([y]) { $0[0].topK(3).values }
    expectGradients([y]) { $0[0].topK(2, alongAxis: 0, largest: false).values }
    expectGradients([y.reshaped([2, 3, 4])]) { $0[0].sorted(alongAxis: 1).values.squared() }
  }

  @Test func kLargerThanTheAxisStops() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).topK(4)
    }
    expectMessage(result, "topK: k 4 is out of range for axis 1 of size 3 in shape [2, 3]")
  }

  @Test func anAxisOutOfRangeStops() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor.zeros([2, 3]).sorted(alongAxis: 2)
    }
    expectMessage(result, "sorted: axis 2 is out of range for a tensor of rank 2")
  }
}
