import NablaNN

/// Swish with a slope: x·σ(βx). A composite of Nabla's ops, so it needs no backward rule of its
/// own: the tape differentiates it through `*` and `sigmoid`, with respect to x and β.
func swish(_ x: Tensor, beta: Tensor) -> Tensor {
  x * (beta * x).sigmoid()
}

/// The log-cosh loss, mean of log(cosh(prediction − target)), written in the stable form
/// |d| + softplus(−2|d|) − log 2, which never overflows: the form is worth checking, since |d|
/// has a kink at 0 that the sum smooths away.
func logCoshLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
  let distance = (prediction - target).abs()
  return (distance + (-2 * distance).softplus() - 0.6931471805599453).mean()
}

/// A layer with a learnable slope per feature: y = swish(x, β) with β of shape [features],
/// starting at 1.
final class LearnableSwish: Module, @unchecked Sendable {
  let beta: Parameter

  /// Creates the layer for inputs [..., features].
  init(features: Int) {
    beta = Parameter(Tensor.ones([features]))
  }

  /// swish(x, β), β broadcast along the last axis.
  override func callAsFunction(_ input: Tensor) -> Tensor {
    swish(input, beta: beta.value)
  }
}

/// Softsign, x / (1 + |x|), as an op with a backward rule written by hand: its derivative is
/// 1 / (1 + |x|)². Here the tape does not derive the gradient; the rule supplies it, and the
/// gradient check is what shows the rule is right.
func softsign(_ x: Tensor) -> Tensor {
  Tensor.customOperation(
    "softsign", inputs: [x], forward: { $0[0] / (1 + $0[0].abs()) },
    backward: { gradient, inputs, _ in
      let denominator = 1 + inputs[0].abs()
      return [gradient / (denominator * denominator)]
    })
}

/// A buggy version of x², as written by someone who detached a tensor by mistake: the tape sees
/// x·c with c a constant, so its gradient is x instead of 2x. A gradient check catches it.
func buggySquare(_ x: Tensor) -> Tensor {
  x * x.detached()
}

/// The checks the example runs, by name: each result's `passed` says whether the tape's gradient
/// matched central differences.
func runChecks(seed: UInt64) -> [(name: String, result: GradientCheckResult)] {
  let generator = RandomGenerator(seed: seed)
  func point(_ shape: [Int]) -> Tensor {
    Tensor.randomNormal(shape, dtype: .float64, generator: generator)
  }
  let layer = LearnableSwish(features: 3)
  return [
    (
      "swish(x, β) in x and β",
      gradientCheck(at: [point([4, 3]), point([3])]) { swish($0[0], beta: $0[1]) }
    ),
    (
      "logCoshLoss(prediction, target)",
      gradientCheck(at: [point([5]), point([5])]) { logCoshLoss($0[0], $0[1]) }
    ),
    ("LearnableSwish layer (input and β)", gradientCheck(layer, input: point([2, 3]))),
    ("softsign(x), hand-written backward", gradientCheck(at: [point([3, 4])]) { softsign($0[0]) }),
    ("buggySquare(x), expected to fail", gradientCheck(at: [point([4])]) { buggySquare($0[0]) }),
  ]
}
