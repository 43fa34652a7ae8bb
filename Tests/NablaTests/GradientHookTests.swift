import Nabla
import Testing

@Suite struct GradientHookTests {
  @Test func aGradientHookSeesAndCanReplaceTheGradient() {
    let x = Tensor([1, 2, 3], dtype: .float64).requiringGrad()
    let h = x * 2
    var seen: [Double] = []
    let handle = h.registerGradientHook { gradient in
      seen = gradient.scalars
      return gradient * 10
    }
    (h * h).sum().backward(retainingGraph: true)
    #expect(seen == [4, 8, 12])  // d(h²)/dh = 2h
    #expect(x.grad!.scalars == [80, 160, 240])  // replaced, then through ·2
    handle.remove()
    x.zeroGradient()
    (h * h).sum().backward()
    #expect(x.grad!.scalars == [8, 16, 24])
  }

  @Test func aLeafHookRunsBeforeAccumulation() {
    let w = Tensor([1, -1], dtype: .float64).requiringGrad()
    w.registerGradientHook { $0 * 0 }
    (w * 3).sum().backward()
    #expect(w.grad!.scalars == [0, 0])
  }

  @Test func postAccumulateHooksSeeTheAccumulatedGradient() {
    let parameter = Parameter(Tensor([1, 2], dtype: .float64))
    var seen: [[Double]] = []
    let handle = parameter.registerPostAccumulateGradientHook { seen.append($0.scalars) }
    (parameter.value * 3).sum().backward()
    (parameter.value * 3).sum().backward()
    #expect(seen == [[3, 3], [6, 6]])
    parameter.assign(Tensor([5, 5], dtype: .float64))  // an optimizer's update keeps the hook
    (parameter.value * 1).sum().backward()
    #expect(seen.count == 3)
    handle.remove()
    (parameter.value * 1).sum().backward()
    #expect(seen.count == 3)
  }

  @Test func callbacksRunOnceAfterTheLastGradient() {
    let a = Tensor([1], dtype: .float64).requiringGrad()
    let b = Tensor([2], dtype: .float64).requiringGrad()
    var events: [String] = []
    a.registerPostAccumulateGradientHook { _ in
      events.append("a")
      Tensor.whenBackwardFinishes { events.append("finished with b=\(b.grad?.item ?? -1)") }
    }
    b.registerPostAccumulateGradientHook { _ in events.append("b") }
    (a * b * a).sum().backward()
    #expect(events.count == 3 && events.last == "finished with b=1.0")
  }

  @Test func hooksNeedATrackedTensor() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
      Tensor([1, 2]).registerGradientHook { _ in nil }
    }
  }

  @Test func postAccumulateHooksNeedALeaf() async {
    await #expect(processExitsWith: .failure) {
      let x = Tensor([1, 2]).requiringGrad()
      (x * 2).registerPostAccumulateGradientHook { _ in }
    }
  }
}
