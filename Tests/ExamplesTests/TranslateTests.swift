import NablaNN
import NablaOptimizers
import XCTest

@testable import translate

final class TranslateTests: XCTestCase {
  func testTeacherForcingShiftsTheTranslationRight() {
    let task = ToyTranslation(rule: .reverse, length: 4)
    let (source, decoderInput, target) = task.encode([[1, 2, 3, 4]])
    XCTAssertEqual([Int](source), [1, 2, 3, 4])
    XCTAssertEqual([Int](target), [4, 3, 2, 1])
    XCTAssertEqual([Int](decoderInput), [ToyTranslation.start, 4, 3, 2])
    XCTAssertEqual(ToyTranslation(rule: .sort, length: 4).translate([3, 1, 2, 1]), [1, 1, 2, 3])
  }

  func testAFewStepsReduceTheLossAndDecodingHasTheRightShape() {
    manualSeed(0)
    let task = ToyTranslation(rule: .reverse, length: 4)
    let model = TranslationModel(dModel: 16, headCount: 2, layerCount: 1, feedForwardSize: 32)
    let optimizer = Adam(model.parameters(), learningRate: 3e-3)
    let batch = task.encode(task.sampleSentences(16, generator: RandomGenerator(seed: 1)))
    let losses = (0..<10).map { _ in
      trainStep(
        model, optimizer, source: batch.source, decoderInput: batch.decoderInput,
        target: batch.target)
    }
    XCTAssertLessThan(losses.last!, 0.9 * losses.first!)
    model.eval()
    let decoded = model.greedyDecode(batch.source, length: 4)
    XCTAssertEqual(decoded.shape, [16, 4])
    XCTAssertTrue([Int](decoded).allSatisfy { (0...9).contains($0) || $0 == ToyTranslation.start })
  }
}
