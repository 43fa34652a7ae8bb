// The boundary between the ops and the C kernels: one table of kernels per element type. An op
// writes its kernel call once, in a function generic over the element type, instead of writing
// it twice for an `_f32` and an `_f64` function; a new element type is one more table (and one
// more case where the ops pick the type).

import CNablaKernels

/// An element type the C kernels compute in (`Float` and `Double`), with its table of kernels.
package protocol KernelScalar: BinaryFloatingPoint {
  /// The kernels of this element type.
  static var kernels: Kernels<Self> { get }
}

// A class, not a struct with its memberwise initializer: reading one kernel out of a struct
// table copied the whole table (and retained every closure in it), which made tiny_step about
// 5% slower (0.0217 against 0.0204 ms, alternated six times).
/// The C kernels of one element type, as Swift functions typed by it.
///
/// An op writes its kernel call once, in a function generic over the element type, and calls
/// it with the type of its dtype (concretely, so that it is specialized for each):
///
/// ```swift
/// func run<Scalar: KernelScalar>(_: Scalar.Type) {
///   Scalar.kernels.softmax(flag, outer, size, inner, data(Scalar.self), result.data(Scalar.self))
/// }
/// dtype.isSingle ? run(Float.self) : run(Double.self)
/// ```
package final class Kernels<Scalar>: Sendable {
  package typealias In = UnsafePointer<Scalar>?
  package typealias Out = UnsafeMutablePointer<Scalar>?
  package typealias Indices = UnsafePointer<Int64>?
  package typealias Strides = UnsafePointer<Int>?

  // Elementwise, reductions and indexing.
  let unary: @Sendable (NablaUnaryOp, Int, In, Out, Double, Double) -> Void
  let unaryBackward: @Sendable (NablaUnaryOp, Int, In, In, In, Out, Double, Double) -> Void
  let binary: @Sendable (NablaBinaryOp, Int, Strides, In, Strides, In, Strides, Out) -> Void
  let select: @Sendable (Int, Strides, In, Strides, In, Strides, In, Strides, Out) -> Void
  let softmax: @Sendable (Int32, Int, Int, Int, In, Out) -> Void
  let softmaxBackward: @Sendable (Int32, Int, Int, Int, In, In, Out) -> Void
  let reduce: @Sendable (NablaReduceOp, Int, Int, Int, In, Out) -> Void
  let argReduce: @Sendable (Int32, Int, Int, Int, In, UnsafeMutablePointer<Int64>?) -> Void
  let nllSum: @Sendable (Int, Int, In, Indices, Int64, UnsafeMutablePointer<Int>?) -> Scalar
  let crossEntropyBackward: @Sendable (Int, Int, In, Indices, Int64, Scalar, Out) -> Void
  let scatterAdd: @Sendable (Int, Int, Int, Int, In, Indices, Out) -> Void
  let indexAdd: @Sendable (Int, Int, Int, Int, In, Indices, Out) -> Void

  // Normalization, attention, pooling and convolution.
  let layerNorm: @Sendable (Int, Int, In, In, In, Double, Out, Out, Out) -> Void
  let layerNormBackward: @Sendable (Int, Int, In, In, In, In, In, Out, Out, Out) -> Void
  let attentionHeads: @Sendable (Int, Int, Int, Int, Double, In, Out, Out) -> Void
  let attentionHeadsBackward: @Sendable (Int, Int, Int, Int, Double, In, In, In, Out) -> Void
  let maxPool:
    @Sendable (Int, UnsafePointer<NablaPoolWindows>?, In, Out, UnsafeMutablePointer<Int64>?) -> Void
  let maxPoolBackward: @Sendable (Int, Int, Int, In, Indices, Out) -> Void
  let averagePool:
    @Sendable (Int, UnsafePointer<NablaPoolWindows>?, Indices, Indices, In, Out) -> Void
  let averagePoolBackward:
    @Sendable (Int, UnsafePointer<NablaPoolWindows>?, Indices, Indices, In, Out) -> Void
  let convolutionForward:
    @Sendable (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, In, Out, Out) -> Void
  let convolutionFold:
    @Sendable (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, Out) -> Void
  let convolutionWeightGradient:
    @Sendable (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, In, Out, Out, In, Out) ->
      Void

  // Matrix products.
  let gemm:
    @Sendable (Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, Out, Int) -> Void
  let gemmWithBias:
    @Sendable (Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, In, Out, Int) -> Void
  let gemmBatched:
    @Sendable (
      Int, Int32, Int32, Int, Int, Int, Scalar, In, Int, Int, In, Int, Int, Scalar, Out, Int, Int
    )
      -> Void
  /// Packs op(B) once, for `packedGemm` (free with nabla_packed_matrix_free).
  let packB: @Sendable (Int32, Int, Int, In, Int) -> OpaquePointer?
  let packedGemm: @Sendable (Int32, Int, Scalar, In, Int, OpaquePointer?, Scalar, Out, Int) -> Void
  /// Whether each row of an m × n × k product of `gemm` is computed on its own (the same bits
  /// however many rows there are).
  let rowsIndependent: @Sendable (Int, Int, Int) -> Int32

  // The fused optimizer steps.
  package let adamUpdate:
    @Sendable (Int, In, In, Out, Out, Out, Out, UnsafePointer<NablaAdamStep>?) -> Void
  package let sgdUpdate: @Sendable (Int, In, In, Out, Out, UnsafePointer<NablaSGDStep>?) -> Void

  // The fused steps of the recurrent layers.
  let rnnStep:
    @Sendable (UnsafePointer<NablaRecurrentStep>?, Int32, In, In, In, In, Out, Out) -> Void
  let rnnStepBackward:
    @Sendable (UnsafePointer<NablaRecurrentStep>?, Int32, In, In, In, Out, Out) -> Void
  let lstmStep:
    @Sendable (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, In, Out, Out, Out, Out, Out) ->
      Void
  let lstmStepBackward:
    @Sendable (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, In, Out, Out, Out) -> Void
  let gruStep:
    @Sendable (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, Out, Int, Out, Out) -> Void
  let gruStepBackward:
    @Sendable (UnsafePointer<NablaRecurrentStep>?, In, Int, In, In, In, Out, Out, Out) -> Void

  /// A table of the given kernels.
  init(
    unary: @escaping @Sendable (NablaUnaryOp, Int, In, Out, Double, Double) -> Void,
    unaryBackward: @escaping @Sendable (NablaUnaryOp, Int, In, In, In, Out, Double, Double) -> Void,
    binary:
      @escaping @Sendable (NablaBinaryOp, Int, Strides, In, Strides, In, Strides, Out) -> Void,
    select: @escaping @Sendable (Int, Strides, In, Strides, In, Strides, In, Strides, Out) -> Void,
    softmax: @escaping @Sendable (Int32, Int, Int, Int, In, Out) -> Void,
    softmaxBackward: @escaping @Sendable (Int32, Int, Int, Int, In, In, Out) -> Void,
    reduce: @escaping @Sendable (NablaReduceOp, Int, Int, Int, In, Out) -> Void,
    argReduce: @escaping @Sendable (Int32, Int, Int, Int, In, UnsafeMutablePointer<Int64>?) -> Void,
    nllSum:
      @escaping @Sendable (Int, Int, In, Indices, Int64, UnsafeMutablePointer<Int>?) -> Scalar,
    crossEntropyBackward: @escaping @Sendable (Int, Int, In, Indices, Int64, Scalar, Out) -> Void,
    scatterAdd: @escaping @Sendable (Int, Int, Int, Int, In, Indices, Out) -> Void,
    indexAdd: @escaping @Sendable (Int, Int, Int, Int, In, Indices, Out) -> Void,
    layerNorm: @escaping @Sendable (Int, Int, In, In, In, Double, Out, Out, Out) -> Void,
    layerNormBackward: @escaping @Sendable (Int, Int, In, In, In, In, In, Out, Out, Out) -> Void,
    attentionHeads: @escaping @Sendable (Int, Int, Int, Int, Double, In, Out, Out) -> Void,
    attentionHeadsBackward:
      @escaping @Sendable (Int, Int, Int, Int, Double, In, In, In, Out) -> Void,
    maxPool:
      @escaping @Sendable (
        Int, UnsafePointer<NablaPoolWindows>?, In, Out, UnsafeMutablePointer<Int64>?
      ) ->
      Void,
    maxPoolBackward: @escaping @Sendable (Int, Int, Int, In, Indices, Out) -> Void,
    averagePool:
      @escaping @Sendable (Int, UnsafePointer<NablaPoolWindows>?, Indices, Indices, In, Out) -> Void,
    averagePoolBackward:
      @escaping @Sendable (Int, UnsafePointer<NablaPoolWindows>?, Indices, Indices, In, Out) -> Void,
    convolutionForward:
      @escaping @Sendable (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, In, Out, Out)
      -> Void,
    convolutionFold:
      @escaping @Sendable (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, Out) -> Void,
    convolutionWeightGradient:
      @escaping @Sendable (
        UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, In, Out, Out, In, Out
      ) ->
      Void,
    gemm:
      @escaping @Sendable (Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, Out, Int)
      -> Void,
    gemmWithBias:
      @escaping @Sendable (
        Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, In, Out, Int
      ) ->
      Void,
    gemmBatched:
      @escaping @Sendable (
        Int, Int32, Int32, Int, Int, Int, Scalar, In, Int, Int, In, Int, Int, Scalar, Out, Int, Int
      ) -> Void,
    packB: @escaping @Sendable (Int32, Int, Int, In, Int) -> OpaquePointer?,
    packedGemm:
      @escaping @Sendable (Int32, Int, Scalar, In, Int, OpaquePointer?, Scalar, Out, Int) -> Void,
    rowsIndependent: @escaping @Sendable (Int, Int, Int) -> Int32,
    rnnStep:
      @escaping @Sendable (UnsafePointer<NablaRecurrentStep>?, Int32, In, In, In, In, Out, Out) ->
      Void,
    rnnStepBackward:
      @escaping @Sendable (UnsafePointer<NablaRecurrentStep>?, Int32, In, In, In, Out, Out) -> Void,
    lstmStep:
      @escaping @Sendable (
        UnsafePointer<NablaRecurrentStep>?, In, In, In, In, In, Out, Out, Out, Out, Out
      ) ->
      Void,
    lstmStepBackward:
      @escaping @Sendable (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, In, Out, Out, Out) ->
      Void,
    gruStep:
      @escaping @Sendable (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, Out, Int, Out, Out)
      -> Void,
    adamUpdate:
      @escaping @Sendable (Int, In, In, Out, Out, Out, Out, UnsafePointer<NablaAdamStep>?) -> Void,
    sgdUpdate: @escaping @Sendable (Int, In, In, Out, Out, UnsafePointer<NablaSGDStep>?) -> Void,
    gruStepBackward:
      @escaping @Sendable (UnsafePointer<NablaRecurrentStep>?, In, Int, In, In, In, Out, Out, Out)
      -> Void
  ) {
    self.unary = unary
    self.unaryBackward = unaryBackward
    self.binary = binary
    self.select = select
    self.softmax = softmax
    self.softmaxBackward = softmaxBackward
    self.reduce = reduce
    self.argReduce = argReduce
    self.nllSum = nllSum
    self.crossEntropyBackward = crossEntropyBackward
    self.scatterAdd = scatterAdd
    self.indexAdd = indexAdd
    self.layerNorm = layerNorm
    self.layerNormBackward = layerNormBackward
    self.attentionHeads = attentionHeads
    self.attentionHeadsBackward = attentionHeadsBackward
    self.maxPool = maxPool
    self.maxPoolBackward = maxPoolBackward
    self.averagePool = averagePool
    self.averagePoolBackward = averagePoolBackward
    self.convolutionForward = convolutionForward
    self.convolutionFold = convolutionFold
    self.convolutionWeightGradient = convolutionWeightGradient
    self.gemm = gemm
    self.gemmWithBias = gemmWithBias
    self.gemmBatched = gemmBatched
    self.packB = packB
    self.packedGemm = packedGemm
    self.rowsIndependent = rowsIndependent
    self.rnnStep = rnnStep
    self.rnnStepBackward = rnnStepBackward
    self.lstmStep = lstmStep
    self.lstmStepBackward = lstmStepBackward
    self.gruStep = gruStep
    self.gruStepBackward = gruStepBackward
    self.adamUpdate = adamUpdate
    self.sgdUpdate = sgdUpdate
  }
}

extension Float: KernelScalar {
  /// The single-precision kernels.
  package static let kernels = Kernels<Float>(
    unary: nabla_unary_f32, unaryBackward: nabla_unary_backward_f32, binary: nabla_binary_f32,
    select: nabla_where_f32, softmax: nabla_softmax_f32,
    softmaxBackward: nabla_softmax_backward_f32, reduce: nabla_reduce_f32,
    argReduce: nabla_argreduce_f32, nllSum: nabla_nll_sum_f32,
    crossEntropyBackward: nabla_cross_entropy_backward_f32, scatterAdd: nabla_scatter_add_f32,
    indexAdd: nabla_index_add_f32, layerNorm: nabla_layer_norm_f32,
    layerNormBackward: nabla_layer_norm_backward_f32, attentionHeads: nabla_attention_heads_f32,
    attentionHeadsBackward: nabla_attention_heads_backward_f32, maxPool: nabla_max_pool_f32,
    maxPoolBackward: nabla_max_pool_backward_f32, averagePool: nabla_avg_pool_f32,
    averagePoolBackward: nabla_avg_pool_backward_f32,
    convolutionForward: nabla_conv_images_forward_f32,
    convolutionFold: nabla_conv_images_fold_f32,
    convolutionWeightGradient: nabla_conv_images_weight_gradient_f32, gemm: nabla_sgemm,
    gemmWithBias: nabla_sgemm_bias, gemmBatched: nabla_sgemm_batched, packB: nabla_sgemm_pack_b,
    packedGemm: nabla_sgemm_packed, rowsIndependent: nabla_sgemm_rows_independent,
    rnnStep: nabla_rnn_step_f32, rnnStepBackward: nabla_rnn_step_backward_f32,
    lstmStep: nabla_lstm_step_f32, lstmStepBackward: nabla_lstm_step_backward_f32,
    gruStep: nabla_gru_step_f32, adamUpdate: nabla_adam_update_f32,
    sgdUpdate: nabla_sgd_update_f32, gruStepBackward: nabla_gru_step_backward_f32)
}

extension Double: KernelScalar {
  /// The double-precision kernels.
  package static let kernels = Kernels<Double>(
    unary: nabla_unary_f64, unaryBackward: nabla_unary_backward_f64, binary: nabla_binary_f64,
    select: nabla_where_f64, softmax: nabla_softmax_f64,
    softmaxBackward: nabla_softmax_backward_f64, reduce: nabla_reduce_f64,
    argReduce: nabla_argreduce_f64, nllSum: nabla_nll_sum_f64,
    crossEntropyBackward: nabla_cross_entropy_backward_f64, scatterAdd: nabla_scatter_add_f64,
    indexAdd: nabla_index_add_f64, layerNorm: nabla_layer_norm_f64,
    layerNormBackward: nabla_layer_norm_backward_f64, attentionHeads: nabla_attention_heads_f64,
    attentionHeadsBackward: nabla_attention_heads_backward_f64, maxPool: nabla_max_pool_f64,
    maxPoolBackward: nabla_max_pool_backward_f64, averagePool: nabla_avg_pool_f64,
    averagePoolBackward: nabla_avg_pool_backward_f64,
    convolutionForward: nabla_conv_images_forward_f64,
    convolutionFold: nabla_conv_images_fold_f64,
    convolutionWeightGradient: nabla_conv_images_weight_gradient_f64, gemm: nabla_dgemm,
    gemmWithBias: nabla_dgemm_bias, gemmBatched: nabla_dgemm_batched, packB: nabla_dgemm_pack_b,
    packedGemm: nabla_dgemm_packed, rowsIndependent: nabla_dgemm_rows_independent,
    rnnStep: nabla_rnn_step_f64, rnnStepBackward: nabla_rnn_step_backward_f64,
    lstmStep: nabla_lstm_step_f64, lstmStepBackward: nabla_lstm_step_backward_f64,
    gruStep: nabla_gru_step_f64, adamUpdate: nabla_adam_update_f64,
    sgdUpdate: nabla_sgd_update_f64, gruStepBackward: nabla_gru_step_backward_f64)
}

extension DType {
  /// Whether kernels compute on this dtype in single precision (float32) rather than double
  /// (float64); an op calls its kernel function with `Float.self` or `Double.self` by it, so
  /// that the function is specialized for each.
  package var isSingle: Bool { self == .float32 }
}

extension Tensor {
  /// The elements as `Scalar`s, for a kernel of `Scalar.kernels`; the dtype must be
  /// `Scalar`'s.
  package func data<Scalar: KernelScalar>(_: Scalar.Type = Scalar.self)
    -> UnsafeMutablePointer<Scalar>
  {
    assert(
      dtype.isSingle == (Scalar.self == Float.self), "a \(dtype) tensor read as \(Scalar.self)")
    return storage.data.assumingMemoryBound(to: Scalar.self)
  }
}
