import Foundation
import NablaTestSupport
import Testing

@testable import NablaNN

/// Padding modes against PyTorch (Fixtures/make_padding_fixtures.py: F.pad in every mode and
/// convolutions with padding_mode and padding "same", in float64, with the gradients of a weighted
/// sum), and float64 numerical gradient checks.
@Suite struct PaddingTests {
  let fixtures: FunctionFixture

  init() throws { fixtures = try FunctionFixture("padding") }

  @Test func modesOnSmallRows() {
    let row = Tensor([1, 2, 3, 4])
    #expect(row.padded([(2, 2)], mode: .zeros).scalars == [0, 0, 1, 2, 3, 4, 0, 0])
    #expect(row.padded([(2, 2)], mode: .reflect).scalars == [3, 2, 1, 2, 3, 4, 3, 2])
    #expect(row.padded([(2, 2)], mode: .replicate).scalars == [1, 1, 1, 2, 3, 4, 4, 4])
    #expect(row.padded([(2, 2)], mode: .circular).scalars == [3, 4, 1, 2, 3, 4, 1, 2])
    #expect(row.padded([(4, 0)], mode: .circular).scalars == [1, 2, 3, 4, 1, 2, 3, 4])
    #expect(row.padded([(-1, 1)], value: 9).scalars == [2, 3, 4, 9])
    #expect(row.padded([(-2, -2)], mode: .reflect).shape == [0])
  }

  @Test func padMatchesPyTorch() throws {
    for mode in [PaddingMode.reflect, .replicate, .circular] {
      try fixtures.expectPyTorchs("\(mode).1d") { $0[0].padded([(2, 3)], mode: mode) }
      try fixtures.expectPyTorchs("\(mode).1d.negative") { $0[0].padded([(-1, 2)], mode: mode) }
      try fixtures.expectPyTorchs("\(mode).2d") { $0[0].padded([(3, 1), (1, 2)], mode: mode) }
      try fixtures.expectPyTorchs("\(mode).3d") {
        $0[0].padded([(1, 2), (2, 1), (1, 0)], mode: mode)
      }
    }
    try fixtures.expectPyTorchs("constant.2d") { $0[0].padded([(-1, 2), (1, -2)], value: 0.5) }
  }

  @Test func convolutionsWithPaddingModesMatchPyTorch() throws {
    let cases: [(String, Module)] = [
      ("conv1d.reflect", Conv1D(3, 4, kernelSize: 3, padding: 2, paddingMode: .reflect)),
      (
        "conv1d.replicate",
        Conv1D(3, 4, kernelSize: 4, stride: 2, padding: 3, paddingMode: .replicate)
      ),
      (
        "conv1d.circular.same",
        Conv1D(3, 2, kernelSize: 4, padding: .same, paddingMode: .circular)
      ),
      ("conv1d.zeros.same", Conv1D(3, 2, kernelSize: 4, padding: .same, dilation: 2, bias: false)),
      (
        "conv2d.reflect",
        Conv2D(2, 3, kernelSize: 3, stride: 2, padding: 1, paddingMode: .reflect)
      ),
      (
        "conv2d.circular",
        Conv2D(2, 2, kernelSize: [2, 3], padding: .explicit([1, 2]), paddingMode: .circular)
      ),
      (
        "conv2d.replicate.same",
        Conv2D(2, 2, kernelSize: [2, 4], padding: .same, paddingMode: .replicate)
      ),
    ]
    for (name, layer) in cases {
      layer.convert(to: .float64)
      try fixtures.expectPyTorchs(name, module: layer) { layer($0[0]) }
    }
  }

  @Test func gradientsMatchCentralDifferences() {
    let x = Tensor.randomNormal([2, 3, 4], dtype: .float64, generator: RandomGenerator(seed: 1))
    for mode in PaddingMode.allCases {
      expectGradients([x]) { $0[0].padded([(1, 2), (-1, 2)], mode: mode) }
    }
    expectGradients([x]) { $0[0].padded([(1, -1)], value: 2) }
    let conv = Conv1D(3, 2, kernelSize: 3, padding: 2, paddingMode: .reflect, dtype: .float64)
    expectModuleGradients(conv, x)
  }

  @Test func descriptionsAndDenseMatricesKnowTheMode() {
    let conv = Conv2D(1, 2, kernelSize: 3, padding: 1, paddingMode: .reflect, dtype: .float64)
    #expect(
      "\(conv)"
        == "Conv2D(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)")
    for mode in PaddingMode.allCases {
      let layer = Conv1D(
        2, 3, kernelSize: 4, stride: 2, padding: 2, bias: false, paddingMode: mode,
        dtype: .float64)
      let x = Tensor.randomNormal([1, 2, 7], dtype: .float64)
      let matrix = layer.denseMatrix(inputLength: 7)
      expectClose(layer(x).scalars, matrix.matmul(x.flattened()).scalars)
    }
  }

  @Test func reflectionLongerThanTheAxisStops() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, 2, 3]).padded([(3, 0)], mode: .reflect)
    }
    expectMessage(
      result,
      "padded: axis 0 of shape [3]: reflect padding (3, 0) needs amounts smaller than the axis, "
        + "which has size 3")
  }

  @Test func croppingPastTheAxisStops() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Tensor([1, 2, 3]).padded([(-2, -2)], value: 0)
    }
    expectMessage(result, "padded: padding (-2, -2) does not fit shape [3]")
  }

  @Test func convolutionPaddingModeNamesTheLayer() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = Conv1D(1, 1, kernelSize: 5, padding: 4, paddingMode: .circular)(Tensor.zeros([1, 1, 3]))
    }
    expectMessage(
      result,
      "Conv1D(1, 1, kernelSize: 5, stride: 1, padding: [4], dilation: 1, groups: 1, bias: true, "
        + "paddingMode: .circular): input of shape [1, 1, 3]: circular padding (4, 4) needs "
        + "amounts no larger than the axis, which has size 3")
  }

  @Test func transposedConvolutionRefusesOtherModes() async {
    let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      _ = ConvTranspose2D(1, 1, kernelSize: 3, paddingMode: .reflect)
    }
    expectMessage(result, "ConvTranspose2D: only .zeros padding is supported")
  }
}
