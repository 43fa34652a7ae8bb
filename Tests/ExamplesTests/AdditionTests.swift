import NablaNN
import NablaOptimizers
import XCTest

@testable import addition

final class AdditionTests: XCTestCase {
  func testQuestionsAreReadLeastSignificantDigitFirst() {
    let task = AdditionTask(digits: 3)
    let (questions, answers) = task.encode([(123, 489)])
    // "123+489=" is fed as 3 2 1 + 9 8 4 =, and 612 is written 2 1 6 0.
    XCTAssertEqual([Int](questions), [3, 2, 1, 10, 9, 8, 4, 11])
    XCTAssertEqual([Int](answers), [2, 1, 6, 0])
  }

  func testHeldOutPairsAreNeverDrawnForTraining() {
    let task = AdditionTask(digits: 1)
    let generator = RandomGenerator(seed: 0)
    let held = task.samplePairs(30, generator: generator)
    let heldCodes = Set(held.map { $0.0 * 10 + $0.1 })
    let rest = task.samplePairs(70, excluding: heldCodes, generator: generator)
    XCTAssertEqual(heldCodes.count, 30)
    XCTAssertTrue(rest.allSatisfy { !heldCodes.contains($0.0 * 10 + $0.1) })
  }

  func testAFewClippedStepsReduceTheLoss() {
    manualSeed(0)
    let task = AdditionTask(digits: 2)
    let model = AdditionModel(answerLength: task.answerLength, hidden: 16)
    let optimizer = Adam(model.parameters(), learningRate: 1e-2)
    let batch = task.encode(task.samplePairs(32, generator: RandomGenerator(seed: 1)))
    let losses = (0..<15).map { _ in
      trainStep(model, optimizer, questions: batch.questions, answers: batch.answers)
    }
    XCTAssertLessThan(losses.last!, 0.9 * losses.first!)
  }
}
