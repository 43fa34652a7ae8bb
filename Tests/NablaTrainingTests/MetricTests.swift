import Testing

@testable import NablaTraining

@Suite struct RunningMeanTests {
  @Test func weightsCountEachValueThatManyTimes() {
    var mean = RunningMean()
    #expect(mean.mean.isNaN)
    mean.add(1, weight: 100)
    mean.add(4, weight: 50)  // a short last batch
    #expect(mean.mean == 2)
    mean.add(8)
    #expect(mean.total == 308 && mean.weight == 151)
    mean.reset()
    #expect(mean.weight == 0 && mean.mean.isNaN)
  }
}
