import CNablaKernels

extension Tensor {
  /// The cross-entropy of logits [N, C] against int64 class indices [N], in one op: the
  /// log-softmax of each row and the negative log-likelihood of its target, summed over the rows
  /// whose target is not `ignoreIndex` and, for `mean`, divided by their number (NaN when there
  /// are none, as PyTorch). The gradient is (softmax − one-hot) times the scale, 0 on ignored
  /// rows.
  ///
  /// The caller has checked the shapes, the dtypes and that every target is in 0..<C or
  /// `ignoreIndex`; this is the fast path of NablaNN's `crossEntropy` for that common case.
  package func classIndexCrossEntropy(_ targets: Tensor, ignoreIndex: Int, mean: Bool) -> Tensor {
    let (rows, classes) = (shape[0], shape[1])
    let logProbabilities = Tensor(empty: shape, dtype: dtype)
    var kept = 0
    let value: Double
    if dtype == .float32 {
      nabla_softmax_f32(1, rows, classes, 1, f32, logProbabilities.f32)
      let sum = nabla_nll_sum_f32(
        rows, classes, logProbabilities.f32, targets.i64, Int64(ignoreIndex), &kept)
      value = Double(mean ? sum / Float(kept) : sum)
    } else {
      nabla_softmax_f64(1, rows, classes, 1, f64, logProbabilities.f64)
      let sum = nabla_nll_sum_f64(
        rows, classes, logProbabilities.f64, targets.i64, Int64(ignoreIndex), &kept)
      value = mean ? sum / Double(kept) : sum
    }
    let divisor = mean ? Double(kept) : 1
    let result = Tensor(scalar: value, dtype: dtype)
    return record("crossEntropy", result, [self]) { g in
      let gradient = Tensor(empty: logProbabilities.shape, dtype: logProbabilities.dtype)
      let index = Int64(ignoreIndex)
      if gradient.dtype == .float32 {
        let scale = g.f32[0] / Float(divisor)
        nabla_cross_entropy_backward_f32(
          rows, classes, logProbabilities.f32, targets.i64, index, scale, gradient.f32)
      } else {
        let scale = g.f64[0] / divisor
        nabla_cross_entropy_backward_f64(
          rows, classes, logProbabilities.f64, targets.i64, index, scale, gradient.f64)
      }
      return [gradient]
    }
  }
}
