import NablaNN
import NablaOptimizers

/// The characters the model reads, by index: the digits 0–9, "+" and "=".
let additionAlphabet = Array("0123456789+=")

/// Questions "a+b" with a, b < 10^digits and their sums, as index tensors.
///
/// A question is written with each number zero-padded to `digits` characters and ends with "=";
/// each number's characters are fed least significant first ("123+489=" is read as "321+984="),
/// so that the digits that are added together are read in the order the sum is written. The
/// answer is the sum's `digits + 1` digits, also least significant first.
struct AdditionTask {
  /// The number of digits of each operand.
  let digits: Int

  /// The length of a question in characters.
  var questionLength: Int { 2 * digits + 2 }
  /// The length of an answer in digits.
  var answerLength: Int { digits + 1 }
  /// One more than the largest operand.
  var limit: Int { (0..<digits).reduce(1) { product, _ in product * 10 } }

  /// The question as a person writes it, such as "123+489".
  func text(_ a: Int, _ b: Int) -> String { "\(a)+\(b)" }

  /// The digits of `value`, least significant first, `count` of them.
  func reversedDigits(_ value: Int, count: Int) -> [Int] {
    var digits: [Int] = []
    var rest = value
    for _ in 0..<count {
      digits.append(rest % 10)
      rest /= 10
    }
    return digits
  }

  /// The questions as [n, questionLength] character indices and the answers as [n, answerLength]
  /// digits.
  func encode(_ pairs: [(Int, Int)]) -> (questions: Tensor, answers: Tensor) {
    var questions: [Int] = []
    var answers: [Int] = []
    for (a, b) in pairs {
      questions += reversedDigits(a, count: digits) + [10] + reversedDigits(b, count: digits) + [11]
      answers += reversedDigits(a + b, count: answerLength)
    }
    return (
      Tensor(indices: questions, shape: [pairs.count, questionLength]),
      Tensor(indices: answers, shape: [pairs.count, answerLength])
    )
  }

  /// `count` distinct pairs drawn with `generator`, none of them in `excluded`.
  func samplePairs(
    _ count: Int, excluding excluded: Set<Int> = [], generator: RandomGenerator
  ) -> [(Int, Int)] {
    var pairs: [(Int, Int)] = []
    var seen = excluded
    while pairs.count < count {
      let draws = [Float](
        Tensor.randomUniform([2 * count], low: 0, high: Double(limit), generator: generator))
      for index in stride(from: 0, to: draws.count, by: 2) where pairs.count < count {
        let (a, b) = (min(Int(draws[index]), limit - 1), min(Int(draws[index + 1]), limit - 1))
        if seen.insert(a * limit + b).inserted { pairs.append((a, b)) }
      }
    }
    return pairs
  }
}

/// An LSTM reads the question one character at a time; after it has read the k-th digit of the
/// second number (or the final "=", for the last digit) a linear layer maps its output to the
/// logits of the k-th digit of the sum. By then it has seen both digits of that place and every
/// place below it, so it can learn to keep the first number and the carry in its state.
final class AdditionModel: Module, @unchecked Sendable {
  let characters: Embedding
  let lstm: LSTM
  let output: Linear
  let answerLength: Int

  /// Creates the model for answers of `answerLength` digits, its initial weights drawn from
  /// `generator`.
  init(
    answerLength: Int, embedding: Int = 16, hidden: Int = 128,
    generator: RandomGenerator = .global
  ) {
    self.answerLength = answerLength
    characters = Embedding(additionAlphabet.count, embedding, generator: generator)
    lstm = LSTM(
      inputSize: embedding, hiddenSize: hidden, batchFirst: true, generator: generator)
    output = Linear(hidden, 10, generator: generator)
  }

  /// The logits [n, answerLength, 10] of each digit of the answers to `questions` [n, length].
  override func callAsFunction(_ questions: Tensor) -> Tensor {
    let states = lstm(characters(questions))  // [n, length, hidden]
    let length = questions.shape[1]
    return output(states.narrowed(alongAxis: 1, start: length - answerLength, length: answerLength))
  }
}

/// One step of Adam on the cross-entropy of every answer digit, with the gradient norm clipped to
/// `maxNorm`; returns the loss.
@discardableResult
func trainStep(
  _ model: AdditionModel, _ optimizer: Optimizer, questions: Tensor, answers: Tensor,
  maxNorm: Double = 1
) -> Double {
  let logits = model(questions)
  let loss = crossEntropy(
    logits.reshaped([-1, 10]), classIndices: answers.reshaped([-1]))
  optimizer.zeroGradients()
  loss.backward()
  clipGradientNorm(model.parameters(), maxNorm: maxNorm)
  optimizer.step()
  return loss.item
}

/// The fraction of questions whose every answer digit is predicted right.
func exactMatch(_ model: AdditionModel, questions: Tensor, answers: Tensor) -> Double {
  let predicted = withoutGradients { [Int](model(questions).argmax(alongAxis: 2)) }
  let truth = [Int](answers)
  let length = model.answerLength
  let rows = truth.count / length
  let correct = (0..<rows).filter { row in
    predicted[row * length..<(row + 1) * length] == truth[row * length..<(row + 1) * length]
  }.count
  return Double(correct) / Double(rows)
}
