import Testing

@testable import NablaTraining

@Suite struct ProgressLineTests {
  let values: [(name: String, value: Double)] = [("loss", 0.512345), ("accuracy", 93.125)]

  @Test(arguments: [40, 50, 80, 200])
  func neverReachesTheWidth(width: Int) {
    for step in [0, 1, 999, 4000, 7999, 8000] {
      for elapsed in [0, 0.5, 37, 4000] {
        let line = ProgressLine.terminal(
          step: step, total: 8000, elapsed: elapsed, width: width, values: values)
        #expect(("\r" + line).count < width, "\(width): \(line)")
      }
    }
  }

  @Test func showsTheRateAndTheTimeLeft() {
    // 2000 steps in 10 s: 200 steps/s, 6000 steps left take 30 s.
    let line = ProgressLine.terminal(
      step: 2000, total: 8000, elapsed: 10, width: 120, values: values)
    #expect(
      line == " 25% [" + String(repeating: "#", count: 7) + String(repeating: ".", count: 23)
        + "] 2000/8000 loss 0.5123 accuracy 93.12 200 steps/s 0:30 left")
    let iterations = ProgressLine.terminal(
      step: 5, total: 10, elapsed: 2, width: 80, values: [], unit: "it")
    #expect(iterations.hasSuffix(" 5/10 2.50 it/s 0:02 left"))
  }

  @Test func dropsTheBarFirstAndKeepsTheEssentialsAtFiftyColumns() {
    let line = ProgressLine.terminal(
      step: 2000, total: 8000, elapsed: 10, width: 50, values: [("loss", 0.512345)])
    #expect(line == " 25% 2000/8000 loss 0.5123 200 steps/s 0:30 left")
    let crowded = ProgressLine.terminal(
      step: 2000, total: 8000, elapsed: 10, width: 50, values: values)
    #expect(crowded == "2000/8000 loss 0.512 accuracy 93.1 200/s 0:30")
    let narrow = ProgressLine.terminal(
      step: 2000, total: 8000, elapsed: 10, width: 12, values: values)
    #expect(narrow == "2000/8000")
  }

  @Test func showsTheTimeTakenAtTheEndAndHoursWhenLong() {
    let done = ProgressLine.terminal(step: 100, total: 100, elapsed: 65, width: 80)
    #expect(done.hasPrefix("100% [" + String(repeating: "#", count: 30) + "]"))
    #expect(done.hasSuffix(" took 1:05"))
    #expect(ProgressLine.clock(3 * 3600 + 125) == "3:02:05")
    #expect(ProgressLine.terminal(step: 0, total: 10, elapsed: 0, width: 80).hasSuffix("? left"))
  }

  @Test func plainLinesNameTheStep() {
    #expect(
      ProgressLine.plain(step: 800, total: 8000, elapsed: 4, values: [("loss", 0.25)])
        == "step  800/8000 (10%) loss 0.25 200 steps/s 0:36 left")
  }

  @Test func columnsVariableFallsBackWhenItIsNotANumber() {
    #expect(columnsVariable("132") == 132)
    #expect(columnsVariable(nil) == nil && columnsVariable("wide") == nil)
    #expect(columnsVariable("0") == nil)
  }
}

@Suite struct ProgressBarTests {
  /// A report on a fake clock and terminal, and what it wrote.
  final class Recorder {
    var now = 0.0
    var text = ""
    var width = 50
  }

  func bar(_ recorder: Recorder, isTerminal: Bool, total: Int = 100) -> ProgressBar {
    ProgressBar(
      total: total, unit: "steps", lineInterval: 25, isTerminal: isTerminal,
      width: { recorder.width }, clock: { recorder.now }, output: { recorder.text += $0 })
  }

  @Test func plainModePrintsEveryIntervalAndTheLastStep() {
    let recorder = Recorder()
    let progress = bar(recorder, isTerminal: false, total: 60)
    for step in 1...60 {
      recorder.now += 0.5
      progress.update(step: step, values: ["loss": 1 / Double(step)])
    }
    progress.finish()
    #expect(
      recorder.text == """
        step 25/60 (41%) loss 0.04 2.00 steps/s 0:18 left
        step 50/60 (83%) loss 0.02 2.00 steps/s 0:05 left
        step 60/60 (100%) loss 0.01667 2.00 steps/s took 0:30

        """)
  }

  @Test func finishPrintsAStepThatWasNotPrinted() {
    let recorder = Recorder()
    let progress = bar(recorder, isTerminal: false)
    recorder.now = 1
    progress.update(step: 10)
    progress.finish()
    progress.finish()
    #expect(recorder.text == "step  10/100 (10%) 10.0 steps/s 0:09 left\n")
  }

  @Test func terminalModeRedrawsInPlaceAtMostTenTimesASecond() {
    let recorder = Recorder()
    let progress = bar(recorder, isTerminal: true)
    for step in 1...100 {
      recorder.now += 0.01  // 100 steps in 1 s: a redraw every 10 steps
      progress.update(step: step, values: ["loss": 0.5])
    }
    recorder.width = 40
    progress.finish()
    let draws = recorder.text.split(separator: "\r", omittingEmptySubsequences: true)
    #expect(draws.count == 11 + 1)
    #expect(recorder.text.hasSuffix("\n") && !recorder.text.dropLast().contains("\n"))
    for draw in draws.dropLast() { #expect(draw.count + 1 < 50) }
    #expect(draws.last!.count <= 40 - 2 + 1)  // narrower now, plus the final newline
  }
}
