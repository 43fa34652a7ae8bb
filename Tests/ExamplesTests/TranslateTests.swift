import NablaNN
import NablaOptimizers
import Testing

@testable import translate

@Suite struct TranslateTests {
  @Test func teacherForcingShiftsTheTranslationRight() {
    let task = ToyTranslation(rule: .reverse, length: 4)
    let (source, decoderInput, target) = task.encode([[1, 2, 3, 4]])
    #expect([Int](source) == [1, 2, 3, 4])
    #expect([Int](target) == [4, 3, 2, 1])
    #expect([Int](decoderInput) == [ToyTranslation.start, 4, 3, 2])
    #expect(ToyTranslation(rule: .sort, length: 4).translate([3, 1, 2, 1]) == [1, 1, 2, 3])
  }

  @Test func aFewStepsReduceTheLossAndDecodingHasTheRightShape() {
    let task = ToyTranslation(rule: .reverse, length: 4)
    let model = TranslationModel(
      dModel: 16, headCount: 2, layerCount: 1, feedForwardSize: 32,
      generator: RandomGenerator(seed: 0))
    let optimizer = Adam(model.parameters(), learningRate: 3e-3)
    let batch = task.encode(task.sampleSentences(16, generator: RandomGenerator(seed: 1)))
    let losses = (0..<10).map { _ in
      trainStep(
        model, optimizer, source: batch.source, decoderInput: batch.decoderInput,
        target: batch.target)
    }
    #expect(losses.last! < 0.9 * losses.first!)
    model.eval()
    let decoded = model.greedyDecode(batch.source, length: 4)
    #expect(decoded.shape == [16, 4])
    #expect([Int](decoded).allSatisfy { (0...9).contains($0) || $0 == ToyTranslation.start })
  }
}
