// Trains a 2-8-1 multilayer perceptron on XOR with Nabla's tensors and autograd, updating the
// weights by plain gradient descent. Run with: swift run -c release xor
import Foundation
import Nabla

manualSeed(0)
let inputs = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
let targets = Tensor([0, 1, 1, 0], shape: [4, 1])

// PyTorch's default Linear initialization: uniform in ±1/sqrt(fan_in); biases start at zero.
var parameters = [
  Tensor.randomUniform([2, 8], low: -1 / 2.0.squareRoot(), high: 1 / 2.0.squareRoot()),
  Tensor.zeros([8]),
  Tensor.randomUniform([8, 1], low: -1 / 8.0.squareRoot(), high: 1 / 8.0.squareRoot()),
  Tensor.zeros([1]),
].map { $0.requiringGrad() }

func predict(_ x: Tensor, _ p: [Tensor]) -> Tensor {
  (x.matmul(p[0]) + p[1]).tanh().matmul(p[2]) + p[3]
}

let learningRate = 0.5
let steps = 2000
let start = Date()
var loss = 0.0
for step in 1...steps {
  let logits = predict(inputs, parameters)
  // Binary cross-entropy from logits: softplus(z) - t*z, averaged.
  let lossTensor = (logits.softplus() - targets * logits).mean()
  lossTensor.backward()
  withoutGradients {
    for index in parameters.indices {
      parameters[index].assign(parameters[index] - learningRate * parameters[index].grad!)
      parameters[index].zeroGradient()
    }
  }
  loss = lossTensor.item
  if step % 500 == 0 { print("step \(step) loss \(String(format: "%.5f", loss))") }
}
let predictions = withoutGradients { predict(inputs, parameters).sigmoid() }
let correct = zip([Float](predictions), [Float](targets)).filter { ($0 > 0.5) == ($1 > 0.5) }.count
print("predictions: \([Float](predictions).map { String(format: "%.3f", $0) })")
print(
  "model=xor steps=\(steps) loss=\(String(format: "%.5f", loss)) accuracy=\(correct * 25) "
    + "train_s=\(String(format: "%.2f", Date().timeIntervalSince(start)))")
