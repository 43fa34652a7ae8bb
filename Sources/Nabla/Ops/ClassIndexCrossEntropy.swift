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
    // The sum and its mean in the element type, as the kernels compute it.
    func forward<Scalar: KernelScalar>(_: Scalar.Type) -> Double {
      let logp = logProbabilities.data(Scalar.self)
      Scalar.kernels.softmax(1, rows, classes, 1, data(Scalar.self), logp)
      let sum = Scalar.kernels.nllSum(
        rows, classes, logp, targets.i64, Int64(ignoreIndex), &kept)
      return Double(mean ? sum / Scalar(kept) : sum)
    }
    let value = dtype.isSingle ? forward(Float.self) : forward(Double.self)
    let divisor = mean ? Double(kept) : 1
    let result = Tensor(scalar: value, dtype: dtype)
    return record("crossEntropy", result, [self]) { g in
      let gradient = Tensor(empty: logProbabilities.shape, dtype: logProbabilities.dtype)
      let index = Int64(ignoreIndex)
      func backward<Scalar: KernelScalar>(_: Scalar.Type) {
        let scale = g.data(Scalar.self)[0] / Scalar(divisor)
        Scalar.kernels.crossEntropyBackward(
          rows, classes, logProbabilities.data(Scalar.self), targets.i64, index, scale,
          gradient.data(Scalar.self))
      }
      gradient.dtype.isSingle ? backward(Float.self) : backward(Double.self)
      return [gradient]
    }
  }
}
