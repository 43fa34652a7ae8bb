import NablaTestSupport
import Testing

@testable import Nabla

// Shape and indexing ops against PyTorch semantics on small hand-worked cases, with float64
// gradient checks. Expected values were worked out by hand (and confirmed with NumPy).

/// 0, 1, 2, ... in `shape`, float64.
private func iota(_ shape: [Int]) -> Tensor {
  Tensor.arange(0, Double(shape.reduce(1, *)), dtype: .float64).reshaped(shape)
}

/// Expects `tensor` to have `shape` and exactly the row-major `values`.
private func expectTensor(
  _ tensor: Tensor, _ shape: [Int], _ values: [Double],
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(tensor.shape == shape, sourceLocation: sourceLocation)
  #expect(tensor.scalars == values, sourceLocation: sourceLocation)
}

@Suite struct ShapeOpsTests {
  // MARK: reshaped, flattened, squeezed, unsqueezed

  @Test func reshapedInfersMinusOne() {
    let x = iota([6])
    expectTensor(x.reshaped([2, -1]), [2, 3], [0, 1, 2, 3, 4, 5])
    expectTensor(x.reshaped([-1, 2]), [3, 2], [0, 1, 2, 3, 4, 5])
    expectTensor(x.reshaped([3, -1, 1]), [3, 2, 1], [0, 1, 2, 3, 4, 5])
    expectTensor(x.reshaped([2, 3]).reshaped([-1]), [6], [0, 1, 2, 3, 4, 5])
    #expect(Tensor.zeros([0, 3]).reshaped([-1, 3]).shape == [0, 3])
    #expect(Tensor(scalar: 5).reshaped([-1]).shape == [1])
    // torch.arange(6).reshape(2, 3).t().reshape(-1) == [0, 3, 1, 4, 2, 5]
    expectTensor(iota([2, 3]).permuted([1, 0]).reshaped([-1]), [6], [0, 3, 1, 4, 2, 5])
    expectGradients([randomDouble([3, 4], seed: 7)]) { $0[0].reshaped([2, -1, 3]) }
    expectGradients([randomDouble([3, 4], seed: 7)]) { $0[0].transposed().reshaped([-1]) }
  }

  @Test func flattenedMergesAxisRange() {
    let x = iota([2, 3, 4])
    #expect(x.flattened().shape == [24])
    #expect(x.flattened(from: 1).shape == [2, 12])
    #expect(x.flattened(from: 0, to: 1).shape == [6, 4])
    #expect(x.flattened(from: -2, to: -1).shape == [2, 12])
    #expect(x.flattened(from: 1, to: 1).shape == [2, 3, 4])
    #expect(x.flattened().scalars == (0..<24).map(Double.init))
    expectTensor(Tensor(scalar: 3, dtype: .float64).flattened(), [1], [3])
    expectGradients([randomDouble([2, 3, 4], seed: 7)]) {
      $0[0].permuted([2, 0, 1]).flattened(from: 1)
    }
  }

  @Test func squeezedRemovesUnitAxes() {
    let x = iota([1, 3, 1, 2])
    expectTensor(x.squeezed(), [3, 2], [0, 1, 2, 3, 4, 5])
    #expect(x.squeezed(axes: [0]).shape == [3, 1, 2])
    #expect(x.squeezed(axes: [-2]).shape == [1, 3, 2])
    #expect(x.squeezed(axes: [2, 0]).shape == [3, 2])
    #expect(iota([1, 1]).squeezed().shape == [])
    expectGradients([randomDouble([1, 3, 1, 2], seed: 7)]) { $0[0].squeezed(axes: [2]) }
    expectGradients([randomDouble([3, 1, 2], seed: 7)]) { $0[0].permuted([2, 1, 0]).squeezed() }
  }

  @Test func unsqueezedInsertsAxisLikeTorch() {
    let x = iota([2, 3])
    #expect(x.unsqueezed(at: 0).shape == [1, 2, 3])
    #expect(x.unsqueezed(at: 1).shape == [2, 1, 3])
    #expect(x.unsqueezed(at: 2).shape == [2, 3, 1])
    // torch.unsqueeze: dim = dim + x.dim() + 1 for negative dims.
    #expect(x.unsqueezed(at: -1).shape == [2, 3, 1])
    #expect(x.unsqueezed(at: -2).shape == [2, 1, 3])
    #expect(x.unsqueezed(at: -3).shape == [1, 2, 3])
    #expect(Tensor(scalar: 1).unsqueezed(at: -1).shape == [1])
    expectTensor(x.unsqueezed(at: -1), [2, 3, 1], [0, 1, 2, 3, 4, 5])
    expectGradients([randomDouble([2, 3], seed: 7)]) { $0[0].transposed().unsqueezed(at: -2) }
  }

  // MARK: permuted, transposed, expanded, repeated

  @Test func permutedReordersAxes() {
    let x = iota([2, 3, 4])
    expectTensor(
      x.permuted([2, 0, 1]), [4, 2, 3],
      [0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23])
    #expect(x.permuted([-1, 0, 1]).scalars == x.permuted([2, 0, 1]).scalars)
    #expect(x.permuted([0, 1, 2]).scalars == x.scalars)
    // Permuting back restores the original.
    #expect(x.permuted([2, 0, 1]).permuted([1, 2, 0]).scalars == x.scalars)
    expectGradients([randomDouble([2, 3, 4], seed: 7)]) { $0[0].permuted([2, 0, 1]) }
    expectGradients([randomDouble([2, 3, 4, 2], seed: 7)]) {
      $0[0].permuted([1, 3, 0, 2]).permuted([3, 2, 1, 0])
    }
  }

  @Test func transposedSwapsAxes() {
    expectTensor(iota([2, 3]).transposed(), [3, 2], [0, 3, 1, 4, 2, 5])
    let x = iota([2, 3, 4])
    expectTensor(
      x.transposed(), [2, 4, 3],
      [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23])
    expectTensor(
      x.transposed(0, 2), [4, 3, 2],
      [0, 12, 4, 16, 8, 20, 1, 13, 5, 17, 9, 21, 2, 14, 6, 18, 10, 22, 3, 15, 7, 19, 11, 23])
    #expect(x.transposed(-1, 0).scalars == x.transposed(0, 2).scalars)
    expectGradients([randomDouble([2, 3, 4], seed: 7)]) { $0[0].transposed(0, 2) }
    expectGradients([randomDouble([2, 3, 4], seed: 7)]) { $0[0].permuted([1, 2, 0]).transposed() }
  }

  @Test func expandedBroadcastsAndSumsGradient() {
    let x = Tensor([1, 2, 3], shape: [3, 1], dtype: .float64)
    expectTensor(x.expanded(to: [3, 2]), [3, 2], [1, 1, 2, 2, 3, 3])
    expectTensor(x.expanded(to: [2, 3, 2]), [2, 3, 2], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
    expectTensor(x.expanded(to: [-1, 2]), [3, 2], [1, 1, 2, 2, 3, 3])
    expectTensor(Tensor(scalar: 4, dtype: .float64).expanded(to: [2]), [2], [4, 4])
    let leaf = x.requiringGrad()
    leaf.expanded(to: [2, 3, 4]).sum().backward()
    expectTensor(leaf.grad!, [3, 1], [8, 8, 8])
    expectGradients([randomDouble([3, 1], seed: 7)]) { $0[0].expanded(to: [2, 3, 4]) }
    expectGradients([randomDouble([1, 4, 1], seed: 7)]) { $0[0].expanded(to: [3, 2, 4, 5]) }
    expectGradients([randomDouble([2, 1], seed: 7)]) { $0[0].transposed().expanded(to: [3, 2]) }
  }

  @Test func repeatedTilesLikeTorchRepeat() {
    let x = Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
    // torch.tensor([[1, 2], [3, 4]]).repeat(2, 3)
    expectTensor(
      x.repeated([2, 3]), [4, 6],
      [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4])
    // Extra leading repeats add axes: .repeat(2, 1, 2) has shape [2, 2, 4].
    expectTensor(
      x.repeated([2, 1, 2]), [2, 2, 4], [1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4])
    expectTensor(
      Tensor([1, 2, 3], dtype: .float64).repeated([2, 2]), [2, 6],
      [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3])
    #expect(x.repeated([0, 2]).shape == [0, 4])
    #expect(x.repeated([1, 1]).scalars == x.scalars)
    expectTensor(Tensor(scalar: 2, dtype: .float64).repeated([3]), [3], [2, 2, 2])
    let leaf = x.requiringGrad()
    leaf.repeated([2, 3]).sum().backward()
    expectTensor(leaf.grad!, [2, 2], [6, 6, 6, 6])
    expectGradients([randomDouble([2, 3], seed: 7)]) { $0[0].repeated([2, 1, 3]) }
    expectGradients([randomDouble([2, 3], seed: 7)]) { $0[0].transposed().repeated([3, 2]) }
    expectGradients([randomDouble([], seed: 7)]) { $0[0].repeated([2, 3]) }
  }

  // MARK: subscript and narrow

  @Test func subscriptWithIntegersAndRanges() {
    let x = iota([3, 4])
    expectTensor(x[1], [4], [4, 5, 6, 7])
    expectTensor(x[-1], [4], [8, 9, 10, 11])
    expectTensor(x[1, 2], [], [6])
    expectTensor(x[-2, -1], [], [7])
    expectTensor(x[0..<2, 1...], [2, 3], [1, 2, 3, 5, 6, 7])
    expectTensor(x[(-2)...], [2, 4], [4, 5, 6, 7, 8, 9, 10, 11])
    expectTensor(x[..<(-1)], [2, 4], [0, 1, 2, 3, 4, 5, 6, 7])
    expectTensor(x[...1, 3], [2], [3, 7])
    expectTensor(x[1...2, (-3)...(-2)], [2, 2], [5, 6, 9, 10])
    expectTensor(x[(-3)...(-1), 2], [3], [2, 6, 10])
    expectTensor(x[2, ...(-1)], [4], [8, 9, 10, 11])
    #expect(x[2..<2].shape == [0, 4])
    #expect(x[1..<9].shape == [2, 4])
  }

  @Test func subscriptWithStep() {
    let a = iota([10])
    expectTensor(a[TensorRange(0, nil, step: 2)], [5], [0, 2, 4, 6, 8])
    expectTensor(a[TensorRange(-8, -1, step: 3)], [3], [2, 5, 8])  // a[-8:-1:3]
    expectTensor(a[TensorRange(1, 100, step: 4)], [3], [1, 5, 9])  // a[1:100:4]
    expectTensor(a[TensorRange(nil, 3)], [3], [0, 1, 2])
    expectTensor(a[TensorRange(7, 3)], [0], [])
    expectTensor(a[TensorRange.all], [10], (0..<10).map(Double.init))
    let x = iota([3, 4])
    expectTensor(x[TensorRange(0, nil, step: 2)], [2, 4], [0, 1, 2, 3, 8, 9, 10, 11])
    expectTensor(x[TensorRange.all, TensorRange(1, nil, step: 2)], [3, 2], [1, 3, 5, 7, 9, 11])
    expectTensor(iota([2, 3, 4])[1, TensorRange(0, nil, step: 2), -1], [2], [15, 23])
    // x.transpose(0, 1)[:, 1] of arange(24).reshape(2, 3, 4)
    expectTensor(
      iota([2, 3, 4]).transposed(0, 1)[TensorRange.all, 1], [3, 4],
      [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
  }

  @Test func subscriptGradients() {
    let leaf = iota([3, 4]).requiringGrad()
    leaf[TensorRange(0, nil, step: 2), 1...].sum().backward()
    expectTensor(leaf.grad!, [3, 4], [0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1])
    expectGradients([randomDouble([3, 4], seed: 7)]) { $0[0][1] }
    expectGradients([randomDouble([3, 4], seed: 7)]) { $0[0][-1, 2] }
    expectGradients([randomDouble([5, 4], seed: 7)]) { $0[0][TensorRange(-4, nil, step: 2), 1..<3] }
    expectGradients([randomDouble([3, 4, 5], seed: 7)]) {
      $0[0].permuted([2, 0, 1])[TensorRange(1, nil, step: 3), 1, ..<3]
    }
  }

  @Test func narrowSelectsLength() {
    let x = iota([3, 4])
    expectTensor(x.narrowed(alongAxis: 1, start: 1, length: 2), [3, 2], [1, 2, 5, 6, 9, 10])
    expectTensor(
      x.narrowed(alongAxis: -2, start: -2, length: 2), [2, 4], [4, 5, 6, 7, 8, 9, 10, 11])
    #expect(x.narrowed(alongAxis: 0, start: 3, length: 0).shape == [0, 4])
    expectGradients([randomDouble([3, 4], seed: 7)]) {
      $0[0].narrowed(alongAxis: 1, start: 1, length: 2)
    }
    expectGradients([randomDouble([3, 4], seed: 7)]) {
      $0[0].transposed().narrowed(alongAxis: 1, start: -2, length: 1)
    }
  }

  // MARK: concatenating, stacking, split, chunked

  @Test func concatenatingJoinsAlongAxis() {
    let a = iota([2, 2])
    let b = Tensor([10, 11, 12, 13, 14, 15], shape: [2, 3], dtype: .float64)
    expectTensor(
      Tensor(concatenating: [a, b], alongAxis: 1), [2, 5], [0, 1, 10, 11, 12, 2, 3, 13, 14, 15])
    expectTensor(
      Tensor(concatenating: [b, a], alongAxis: -1), [2, 5], [10, 11, 12, 0, 1, 13, 14, 15, 2, 3])
    expectTensor(
      Tensor(concatenating: [a, a.transposed()], alongAxis: 0), [4, 2], [0, 1, 2, 3, 0, 2, 1, 3])
    expectTensor(
      Tensor(concatenating: [a, Tensor.zeros([0, 2], dtype: .float64), a]), [4, 2],
      [0, 1, 2, 3, 0, 1, 2, 3])
  }

  @Test func concatenatingGradients() {
    let a = iota([2, 2]).requiringGrad()
    let b = iota([2, 3])
    let weights = Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], shape: [2, 5], dtype: .float64)
    (Tensor(concatenating: [a, b], alongAxis: 1) * weights).sum().backward()
    expectTensor(a.grad!, [2, 2], [1, 2, 6, 7])
    expectGradients([
      randomDouble([2, 3], seed: 7), randomDouble([4, 3], seed: 8), randomDouble([1, 3], seed: 9),
    ]) {
      Tensor(concatenating: $0, alongAxis: 0)
    }
    expectGradients([randomDouble([2, 3, 2], seed: 7), randomDouble([2, 4, 3], seed: 8)]) {
      Tensor(concatenating: [$0[0], $0[1].transposed()], alongAxis: -1)
    }
    // The same tensor twice: both gradients add up.
    expectGradients([randomDouble([2, 3], seed: 7)]) {
      Tensor(concatenating: [$0[0], $0[0]], alongAxis: 1)
    }
  }

  @Test func stackingAddsAxis() {
    let a = Tensor([1, 2, 3], dtype: .float64)
    let b = Tensor([4, 5, 6], dtype: .float64)
    expectTensor(Tensor(stacking: [a, b]), [2, 3], [1, 2, 3, 4, 5, 6])
    expectTensor(Tensor(stacking: [a, b], alongAxis: 1), [3, 2], [1, 4, 2, 5, 3, 6])
    // torch.stack(dim=-1) inserts the new axis last.
    expectTensor(Tensor(stacking: [a, b], alongAxis: -1), [3, 2], [1, 4, 2, 5, 3, 6])
    let x = iota([2, 2])
    expectTensor(
      Tensor(stacking: [x, x + 10], alongAxis: -2), [2, 2, 2], [0, 1, 10, 11, 2, 3, 12, 13])
    expectGradients([randomDouble([2, 3], seed: 7), randomDouble([2, 3], seed: 8)]) {
      Tensor(stacking: $0, alongAxis: 1)
    }
    expectGradients([randomDouble([2, 3], seed: 7), randomDouble([3, 2], seed: 8)]) {
      Tensor(stacking: [$0[0], $0[1].transposed()], alongAxis: -1)
    }
  }

  @Test func splitBySizes() {
    let x = iota([5, 2])
    let pieces = x.split(sizes: [2, 0, 3])
    #expect(pieces.map(\.shape) == [[2, 2], [0, 2], [3, 2]])
    expectTensor(pieces[0], [2, 2], [0, 1, 2, 3])
    expectTensor(pieces[2], [3, 2], [4, 5, 6, 7, 8, 9])
    let columns = iota([2, 3]).split(sizes: [1, 2], alongAxis: -1)
    expectTensor(columns[0], [2, 1], [0, 3])
    expectTensor(columns[1], [2, 2], [1, 2, 4, 5])
    expectGradients([randomDouble([5, 2], seed: 7)]) { xs in
      let parts = xs[0].transposed().split(sizes: [2, 3], alongAxis: 1)
      return Tensor(concatenating: [parts[1], parts[0] * 2], alongAxis: 1)
    }
  }

  @Test func splitBySize() {
    let pieces = iota([7]).split(size: 3)
    #expect(pieces.map(\.shape) == [[3], [3], [1]])
    #expect(pieces.map(\.scalars) == [[0, 1, 2], [3, 4, 5], [6]])
    #expect(
      iota([2, 4]).split(size: 2, alongAxis: -1).map(\.scalars) == [[0, 1, 4, 5], [2, 3, 6, 7]])
    #expect(iota([2]).split(size: 5).map(\.shape) == [[2]])
    expectGradients([randomDouble([7, 2], seed: 7)]) { xs in
      let parts = xs[0].split(size: 3)
      return Tensor(concatenating: [parts[2], parts[0] * 3], alongAxis: 0)
    }
  }

  @Test func chunkedFollowsTorchChunk() {
    // torch.chunk uses pieces of ceil(n / chunks) and may return fewer chunks.
    #expect(iota([6]).chunked(4).map(\.shape) == [[2], [2], [2]])
    #expect(iota([5]).chunked(2).map(\.scalars) == [[0, 1, 2], [3, 4]])
    #expect(iota([5]).chunked(4).map(\.shape) == [[2], [2], [1]])
    #expect(iota([7]).chunked(3).map(\.shape) == [[3], [3], [1]])
    #expect(iota([3]).chunked(5).map(\.shape) == [[1], [1], [1]])
    #expect(iota([6]).chunked(3).map(\.scalars) == [[0, 1], [2, 3], [4, 5]])
    // An empty axis: torch.split gives one empty piece, torch.chunk gives `chunks` of them.
    #expect(iota([0]).split(size: 2).map(\.shape) == [[0]])
    #expect(
      Tensor.zeros([2, 0]).chunked(3, alongAxis: 1).map(\.shape) == [[2, 0], [2, 0], [2, 0]])
    #expect(
      iota([2, 5]).chunked(2, alongAxis: 1).map(\.scalars) == [[0, 1, 2, 5, 6, 7], [3, 4, 8, 9]])
    expectGradients([randomDouble([3, 5], seed: 7)]) { xs in
      let parts = xs[0].transposed().chunked(2)
      return Tensor(concatenating: [parts[1], parts[0]], alongAxis: 0)
    }
  }

  // MARK: padded

  @Test func paddedAddsConstantBorders() {
    expectTensor(Tensor([1, 2], dtype: .float64).padded([(1, 2)]), [5], [0, 1, 2, 0, 0])
    let x = Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
    expectTensor(x.padded([(2, 1)]), [2, 5], [0, 0, 1, 2, 0, 0, 0, 3, 4, 0])
    expectTensor(
      x.padded([(1, 0), (0, 1)], value: -1), [3, 3], [-1, -1, -1, 1, 2, -1, 3, 4, -1])
    expectTensor(x.padded([]), [2, 2], [1, 2, 3, 4])
    expectTensor(x.transposed().padded([(0, 1)]), [2, 3], [1, 3, 0, 2, 4, 0])
    expectGradients([randomDouble([2, 3], seed: 7)]) { $0[0].padded([(1, 2), (0, 3)], value: 5) }
    expectGradients([randomDouble([2, 3, 2], seed: 7)]) {
      $0[0].permuted([2, 0, 1]).padded([(2, 1)])
    }
  }

  // MARK: gather and indexSelect

  @Test func gatherFollowsTorchGather() {
    // torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[0, 0], [1, 0]]))
    let t = Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .float64)
    expectTensor(
      t.gather(alongAxis: 1, indices: Tensor(indices: [0, 0, 1, 0], shape: [2, 2])), [2, 2],
      [1, 1, 4, 3])
    let x = iota([3, 4])
    let rows = Tensor(indices: [0, 1, 2, 0, 2, 0, 0, 1], shape: [2, 4])
    expectTensor(x.gather(alongAxis: 0, indices: rows), [2, 4], [0, 5, 10, 3, 8, 1, 2, 7])
    expectTensor(x.gather(alongAxis: -2, indices: rows), [2, 4], [0, 5, 10, 3, 8, 1, 2, 7])
    // The index may be longer than the input along the gather axis.
    let long = Tensor(indices: [0, 1, 1, 1, 0, 0], shape: [2, 3])
    expectTensor(t.gather(alongAxis: 1, indices: long), [2, 3], [1, 2, 2, 4, 3, 3])
  }

  @Test func gatherWithIndexSmallerOnOtherAxes() {
    // The index is [2, 2] on a [3, 4] input: out[i][j] = x[i][index[i][j]] for i < 2.
    let x = iota([3, 4])
    expectTensor(
      x.gather(alongAxis: 1, indices: Tensor(indices: [3, 0, 1, 1], shape: [2, 2])), [2, 2],
      [3, 0, 5, 5])
    // [2, 3, 4] input, index [1, 2, 2] along axis 1.
    expectTensor(
      iota([2, 3, 4]).gather(
        alongAxis: 1, indices: Tensor(indices: [2, 0, 1, 2], shape: [1, 2, 2])),
      [1, 2, 2], [8, 1, 4, 9])
    // On a transposed input: x.t() is [4, 3]; out[i][j] = x.t()[i][index[i][j]].
    expectTensor(
      x.transposed().gather(alongAxis: 1, indices: Tensor(indices: [2, 1], shape: [2, 1])),
      [2, 1], [8, 5])
  }

  @Test func gatherGradients() {
    let leaf = Tensor.zeros([2, 3], dtype: .float64).requiringGrad()
    leaf.gather(alongAxis: 1, indices: Tensor(indices: [0, 0, 2], shape: [1, 3])).sum().backward()
    expectTensor(leaf.grad!, [2, 3], [2, 0, 1, 0, 0, 0])
    let leaf32 = Tensor.zeros([2, 3]).requiringGrad()  // the float32 scatter kernel
    leaf32.gather(alongAxis: 0, indices: Tensor(indices: [1, 1, 0], shape: [1, 3])).sum().backward()
    expectTensor(leaf32.grad!, [2, 3], [0, 0, 1, 1, 1, 0])
    let repeated = Tensor(indices: [0, 2, 2, 1, 1, 1, 0, 2], shape: [2, 4])
    expectGradients([randomDouble([3, 5], seed: 7)]) {
      $0[0].gather(alongAxis: 0, indices: repeated)
    }
    expectGradients([randomDouble([3, 4], seed: 7)]) {
      $0[0].gather(alongAxis: 1, indices: Tensor(indices: [3, 0, 1, 1], shape: [2, 2]))
    }
    expectGradients([randomDouble([4, 3], seed: 7)]) {
      $0[0].transposed().gather(
        alongAxis: 1, indices: Tensor(indices: [2, 1, 3, 3, 0, 0], shape: [2, 3]))
    }
  }

  @Test func indexSelectWithRepeatedIndices() {
    let table = iota([4, 2])
    expectTensor(
      table.indexSelect(alongAxis: 0, indices: Tensor(indices: [3, 0, 3])), [3, 2],
      [6, 7, 0, 1, 6, 7])
    let x = iota([2, 3])
    expectTensor(
      x.indexSelect(alongAxis: 1, indices: Tensor(indices: [2, 2, 0])), [2, 3], [2, 2, 0, 5, 5, 3])
    expectTensor(
      x.indexSelect(alongAxis: -1, indices: Tensor(indices: [1])), [2, 1], [1, 4])
    expectTensor(
      x.transposed().indexSelect(alongAxis: 0, indices: Tensor(indices: [2, 0])), [2, 2],
      [2, 5, 0, 3])
    #expect(x.indexSelect(alongAxis: 0, indices: Tensor(indices: [])).shape == [0, 3])
  }

  @Test func indexSelectGradients() {
    let table = iota([4, 2]).requiringGrad()
    table.indexSelect(alongAxis: 0, indices: Tensor(indices: [3, 0, 3])).sum().backward()
    expectTensor(table.grad!, [4, 2], [1, 1, 0, 0, 0, 0, 2, 2])
    let table32 = Tensor.zeros([2, 3]).requiringGrad()  // the float32 index-add kernel
    table32.indexSelect(alongAxis: 1, indices: Tensor(indices: [2, 2, 0])).sum().backward()
    expectTensor(table32.grad!, [2, 3], [1, 0, 2, 1, 0, 2])
    expectGradients([randomDouble([4, 2], seed: 7)]) {
      $0[0].indexSelect(alongAxis: 0, indices: Tensor(indices: [3, 0, 3, 3]))
    }
    expectGradients([randomDouble([2, 3, 4], seed: 7)]) {
      $0[0].permuted([2, 0, 1]).indexSelect(alongAxis: 2, indices: Tensor(indices: [1, 1, 0, 2]))
    }
  }
}
