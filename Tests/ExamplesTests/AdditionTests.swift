import NablaNN
import NablaOptimizers
import Testing

@testable import addition

@Suite struct AdditionTests {
  @Test func questionsAreReadLeastSignificantDigitFirst() {
    let task = AdditionTask(digits: 3)
    let (questions, answers) = task.encode([(123, 489)])
    // "123+489=" is fed as 3 2 1 + 9 8 4 =, and 612 is written 2 1 6 0.
    #expect([Int](questions) == [3, 2, 1, 10, 9, 8, 4, 11])
    #expect([Int](answers) == [2, 1, 6, 0])
  }

  @Test func heldOutPairsAreNeverDrawnForTraining() {
    let task = AdditionTask(digits: 1)
    let generator = RandomGenerator(seed: 0)
    let held = task.samplePairs(30, generator: generator)
    let heldCodes = Set(held.map { $0.0 * 10 + $0.1 })
    let rest = task.samplePairs(70, excluding: heldCodes, generator: generator)
    #expect(heldCodes.count == 30)
    #expect(rest.allSatisfy { !heldCodes.contains($0.0 * 10 + $0.1) })
  }

  @Test func aFewClippedStepsReduceTheLoss() {
    let task = AdditionTask(digits: 2)
    let model = AdditionModel(
      answerLength: task.answerLength, hidden: 16, generator: RandomGenerator(seed: 0))
    let optimizer = Adam(model.parameters(), learningRate: 1e-2)
    let batch = task.encode(task.samplePairs(32, generator: RandomGenerator(seed: 1)))
    let losses = (0..<15).map { _ in
      trainStep(model, optimizer, questions: batch.questions, answers: batch.answers)
    }
    #expect(losses.last! < 0.9 * losses.first!)
  }
}
