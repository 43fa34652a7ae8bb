import Foundation
import Nabla

/// Linearly separable points in the square [-1, 1]²: `points` is [n, 3] float64, each row
/// (x₁, x₂, 1) with the constant 1 that carries the bias; `labels` holds ±1.
struct SeparableData {
  var points: Tensor
  var labels: [Double]

  /// Draws `count` points and labels them by the side of a random line they fall on, keeping
  /// only points at least `margin` away from it (so the perceptron's convergence is quick).
  init(count: Int, margin: Double = 0.1, seed: UInt64) {
    let generator = RandomGenerator(seed: seed)
    let angle = Tensor.randomUniform(
      [1], low: 0, high: 2 * Double.pi, dtype: .float64, generator: generator
    ).item
    let offset = Tensor.randomUniform(
      [1], low: -0.3, high: 0.3, dtype: .float64, generator: generator
    ).item
    let normal = (cos(angle), sin(angle))
    var rows: [Double] = []
    labels = []
    while labels.count < count {
      let xy = [Double](
        Tensor.randomUniform([2], low: -1, high: 1, dtype: .float64, generator: generator))
      let side = normal.0 * xy[0] + normal.1 * xy[1] - offset
      guard abs(side) >= margin else { continue }
      rows += [xy[0], xy[1], 1]
      labels.append(side > 0 ? 1 : -1)
    }
    points = Tensor(rows, shape: [count, 3], dtype: .float64)
  }

  /// The fraction of points on the side of θ·x = 0 their label says.
  func accuracy(of theta: Tensor) -> Double {
    let scores = [Double](points.matmul(theta))
    let correct = zip(scores, labels).filter { $0 * $1 > 0 }.count
    return Double(correct) / Double(labels.count)
  }
}

/// The result of training a perceptron: the hyperplane, the passes over the data it took, and
/// the mistakes (updates) made in each pass.
struct PerceptronResult {
  var theta: Tensor
  var epochs: Int
  var mistakesPerEpoch: [Int]
}

/// The primal perceptron: for each point x with label y that θ gets wrong (y θ·x ≤ 0),
/// θ ← θ + y x; passes repeat until one makes no mistake or `maxEpochs` is reached.
func trainPrimal(_ data: SeparableData, maxEpochs: Int = 100) -> PerceptronResult {
  var theta = Tensor.zeros([3], dtype: .float64)
  var mistakes: [Int] = []
  for _ in 0..<maxEpochs {
    var count = 0
    for (i, y) in data.labels.enumerated() {
      let x = data.points[i]
      if y * (x * theta).sum().item <= 0 {
        theta = theta + y * x
        count += 1
      }
    }
    mistakes.append(count)
    if count == 0 { break }
  }
  return PerceptronResult(theta: theta, epochs: mistakes.count, mistakesPerEpoch: mistakes)
}

/// The dual perceptron: θ = Σⱼ αⱼ yⱼ xⱼ is never formed while training; the score of point i is
/// Σⱼ αⱼ yⱼ K[j, i] with the Gram matrix K = X Xᵀ, and a mistake on i adds 1 to αᵢ. Returns θ
/// rebuilt from α at the end, which equals the primal θ visit for visit.
func trainDual(_ data: SeparableData, maxEpochs: Int = 100) -> (
  result: PerceptronResult, alpha: [Double]
) {
  let gram = data.points.matmul(data.points.transposed())
  let n = data.labels.count
  let kernel = [Double](gram)
  var alpha = [Double](repeating: 0, count: n)
  var mistakes: [Int] = []
  for _ in 0..<maxEpochs {
    var count = 0
    for i in 0..<n {
      var score = 0.0
      for j in 0..<n where alpha[j] != 0 { score += alpha[j] * data.labels[j] * kernel[j * n + i] }
      if data.labels[i] * score <= 0 {
        alpha[i] += 1
        count += 1
      }
    }
    mistakes.append(count)
    if count == 0 { break }
  }
  let weights = Tensor(zip(alpha, data.labels).map(*), shape: [1, n], dtype: .float64)
  let theta = weights.matmul(data.points).reshaped([3])
  return (PerceptronResult(theta: theta, epochs: mistakes.count, mistakesPerEpoch: mistakes), alpha)
}
