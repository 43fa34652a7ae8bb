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
// 5% slower (0.0217 against 0.0204 ms, alternated six times). Unchecked Sendable: the kernels
// are C functions, which keep no state of their own, but a C function pointer cannot be made
// into a @Sendable closure.
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
package final class Kernels<Scalar>: @unchecked Sendable {
  package typealias In = UnsafePointer<Scalar>?
  package typealias Out = UnsafeMutablePointer<Scalar>?
  package typealias Indices = UnsafePointer<Int64>?
  package typealias Strides = UnsafePointer<Int>?

  // Elementwise, reductions and indexing.
  let unary: (NablaUnaryOp, Int, In, Out, Double, Double) -> Void
  let unaryBackward: (NablaUnaryOp, Int, In, In, In, Out, Double, Double) -> Void
  let binary: (NablaBinaryOp, Int, Strides, In, Strides, In, Strides, Out) -> Void
  let select: (Int, Strides, In, Strides, In, Strides, In, Strides, Out) -> Void
  let softmax: (Int32, Int, Int, Int, In, Out) -> Void
  let softmaxBackward: (Int32, Int, Int, Int, In, In, Out) -> Void
  let reduce: (NablaReduceOp, Int, Int, Int, In, Out) -> Void
  let argReduce: (Int32, Int, Int, Int, In, UnsafeMutablePointer<Int64>?) -> Void
  let nllSum: (Int, Int, In, Indices, Int64, UnsafeMutablePointer<Int>?) -> Scalar
  let crossEntropyBackward: (Int, Int, In, Indices, Int64, Scalar, Out) -> Void
  let scatterAdd: (Int, Int, Int, Int, In, Indices, Out) -> Void
  let indexAdd: (Int, Int, Int, Int, In, Indices, Out) -> Void

  // Normalization, attention, pooling and convolution.
  let layerNorm: (Int, Int, In, In, In, Double, Out, Out, Out) -> Void
  let layerNormBackward: (Int, Int, In, In, In, In, In, Out, Out, Out) -> Void
  let attentionHeads: (Int, Int, Int, Int, Double, In, Out, Out) -> Void
  let attentionHeadsBackward: (Int, Int, Int, Int, Double, In, In, In, Out) -> Void
  let maxPool:
    (Int, UnsafePointer<NablaPoolWindows>?, In, Out, UnsafeMutablePointer<Int64>?) -> Void
  let maxPoolBackward: (Int, Int, Int, In, Indices, Out) -> Void
  let averagePool: (Int, UnsafePointer<NablaPoolWindows>?, Indices, Indices, In, Out) -> Void
  let averagePoolBackward:
    (Int, UnsafePointer<NablaPoolWindows>?, Indices, Indices, In, Out) -> Void
  let convolutionForward:
    (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, In, Out, Out) -> Void
  let convolutionFold: (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, Out) -> Void
  let convolutionWeightGradient:
    (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, In, Out, Out, In, Out) ->
      Void

  // Matrix products.
  let gemm: (Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, Out, Int) -> Void
  let gemmWithBias:
    (Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, In, Out, Int) -> Void
  let gemmBatched:
    (
      Int, Int32, Int32, Int, Int, Int, Scalar, In, Int, Int, In, Int, Int, Scalar, Out, Int, Int
    )
      -> Void
  /// Packs op(B) once, for `packedGemm` (free with nabla_packed_matrix_free).
  let packB: (Int32, Int, Int, In, Int) -> OpaquePointer?
  let packedGemm: (Int32, Int, Scalar, In, Int, OpaquePointer?, Scalar, Out, Int) -> Void
  /// Whether each row of an m × n × k product of `gemm` is computed on its own (the same bits
  /// however many rows there are).
  let rowsIndependent: (Int, Int, Int) -> Int32

  // The fused optimizer steps.
  package let adamUpdate: (Int, In, In, Out, Out, Out, Out, UnsafePointer<NablaAdamStep>?) -> Void
  package let sgdUpdate: (Int, In, In, Out, Out, UnsafePointer<NablaSGDStep>?) -> Void

  // The fused steps of the recurrent layers.
  let rnnStep: (UnsafePointer<NablaRecurrentStep>?, Int32, In, In, In, In, Out, Out) -> Void
  let rnnStepBackward: (UnsafePointer<NablaRecurrentStep>?, Int32, In, In, In, Out, Out) -> Void
  let lstmStep:
    (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, In, Out, Out, Out, Out, Out) ->
      Void
  let lstmStepBackward:
    (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, In, Out, Out, Out) -> Void
  let gruStep: (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, Out, Int, Out, Out) -> Void
  let gruStepBackward:
    (UnsafePointer<NablaRecurrentStep>?, In, Int, In, In, In, Out, Out, Out) -> Void

  /// A table of the given kernels.
  init(
    unary: @escaping (NablaUnaryOp, Int, In, Out, Double, Double) -> Void,
    unaryBackward: @escaping (NablaUnaryOp, Int, In, In, In, Out, Double, Double) -> Void,
    binary:
      @escaping (NablaBinaryOp, Int, Strides, In, Strides, In, Strides, Out) -> Void,
    select: @escaping (Int, Strides, In, Strides, In, Strides, In, Strides, Out) -> Void,
    softmax: @escaping (Int32, Int, Int, Int, In, Out) -> Void,
    softmaxBackward: @escaping (Int32, Int, Int, Int, In, In, Out) -> Void,
    reduce: @escaping (NablaReduceOp, Int, Int, Int, In, Out) -> Void,
    argReduce: @escaping (Int32, Int, Int, Int, In, UnsafeMutablePointer<Int64>?) -> Void,
    nllSum:
      @escaping (Int, Int, In, Indices, Int64, UnsafeMutablePointer<Int>?) -> Scalar,
    crossEntropyBackward: @escaping (Int, Int, In, Indices, Int64, Scalar, Out) -> Void,
    scatterAdd: @escaping (Int, Int, Int, Int, In, Indices, Out) -> Void,
    indexAdd: @escaping (Int, Int, Int, Int, In, Indices, Out) -> Void,
    layerNorm: @escaping (Int, Int, In, In, In, Double, Out, Out, Out) -> Void,
    layerNormBackward: @escaping (Int, Int, In, In, In, In, In, Out, Out, Out) -> Void,
    attentionHeads: @escaping (Int, Int, Int, Int, Double, In, Out, Out) -> Void,
    attentionHeadsBackward:
      @escaping (Int, Int, Int, Int, Double, In, In, In, Out) -> Void,
    maxPool:
      @escaping (
        Int, UnsafePointer<NablaPoolWindows>?, In, Out, UnsafeMutablePointer<Int64>?
      ) ->
      Void,
    maxPoolBackward: @escaping (Int, Int, Int, In, Indices, Out) -> Void,
    averagePool:
      @escaping (Int, UnsafePointer<NablaPoolWindows>?, Indices, Indices, In, Out) -> Void,
    averagePoolBackward:
      @escaping (Int, UnsafePointer<NablaPoolWindows>?, Indices, Indices, In, Out) -> Void,
    convolutionForward:
      @escaping (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, In, Out, Out)
      -> Void,
    convolutionFold:
      @escaping (UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, Out) -> Void,
    convolutionWeightGradient:
      @escaping (
        UnsafePointer<NablaConvGeometry>?, Int, Int, Int, In, In, In, Out, Out, In, Out
      ) ->
      Void,
    gemm:
      @escaping (Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, Out, Int)
      -> Void,
    gemmWithBias:
      @escaping (
        Int32, Int32, Int, Int, Int, Scalar, In, Int, In, Int, Scalar, In, Out, Int
      ) ->
      Void,
    gemmBatched:
      @escaping (
        Int, Int32, Int32, Int, Int, Int, Scalar, In, Int, Int, In, Int, Int, Scalar, Out, Int, Int
      ) -> Void,
    packB: @escaping (Int32, Int, Int, In, Int) -> OpaquePointer?,
    packedGemm:
      @escaping (Int32, Int, Scalar, In, Int, OpaquePointer?, Scalar, Out, Int) -> Void,
    rowsIndependent: @escaping (Int, Int, Int) -> Int32,
    rnnStep:
      @escaping (UnsafePointer<NablaRecurrentStep>?, Int32, In, In, In, In, Out, Out) ->
      Void,
    rnnStepBackward:
      @escaping (UnsafePointer<NablaRecurrentStep>?, Int32, In, In, In, Out, Out) -> Void,
    lstmStep:
      @escaping (
        UnsafePointer<NablaRecurrentStep>?, In, In, In, In, In, Out, Out, Out, Out, Out
      ) ->
      Void,
    lstmStepBackward:
      @escaping (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, In, Out, Out, Out) ->
      Void,
    gruStep:
      @escaping (UnsafePointer<NablaRecurrentStep>?, In, In, In, In, Out, Int, Out, Out)
      -> Void,
    adamUpdate:
      @escaping (Int, In, In, Out, Out, Out, Out, UnsafePointer<NablaAdamStep>?) -> Void,
    sgdUpdate: @escaping (Int, In, In, Out, Out, UnsafePointer<NablaSGDStep>?) -> Void,
    gruStepBackward:
      @escaping (UnsafePointer<NablaRecurrentStep>?, In, Int, In, In, In, Out, Out, Out)
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
  /// The single-precision kernels of the instruction set in use (see nabla_isa).
  package static let kernels: Kernels<Float> = {
    let c = nabla_kernels_f32().pointee
    return Kernels(
      unary: c.unary!, unaryBackward: c.unaryBackward!, binary: c.binary!, select: c.select!,
      softmax: c.softmax!, softmaxBackward: c.softmaxBackward!, reduce: c.reduce!,
      argReduce: c.argReduce!, nllSum: c.nllSum!, crossEntropyBackward: c.crossEntropyBackward!,
      scatterAdd: c.scatterAdd!, indexAdd: c.indexAdd!, layerNorm: c.layerNorm!,
      layerNormBackward: c.layerNormBackward!, attentionHeads: c.attentionHeads!,
      attentionHeadsBackward: c.attentionHeadsBackward!, maxPool: c.maxPool!,
      maxPoolBackward: c.maxPoolBackward!, averagePool: c.averagePool!,
      averagePoolBackward: c.averagePoolBackward!, convolutionForward: c.convolutionForward!,
      convolutionFold: c.convolutionFold!, convolutionWeightGradient: c.convolutionWeightGradient!,
      gemm: c.gemm!, gemmWithBias: c.gemmWithBias!, gemmBatched: c.gemmBatched!, packB: c.packB!,
      packedGemm: c.packedGemm!, rowsIndependent: c.rowsIndependent!, rnnStep: c.rnnStep!,
      rnnStepBackward: c.rnnStepBackward!, lstmStep: c.lstmStep!,
      lstmStepBackward: c.lstmStepBackward!, gruStep: c.gruStep!, adamUpdate: c.adamUpdate!,
      sgdUpdate: c.sgdUpdate!, gruStepBackward: c.gruStepBackward!)
  }()
}

extension Double: KernelScalar {
  /// The double-precision kernels of the instruction set in use (see nabla_isa).
  package static let kernels: Kernels<Double> = {
    let c = nabla_kernels_f64().pointee
    return Kernels(
      unary: c.unary!, unaryBackward: c.unaryBackward!, binary: c.binary!, select: c.select!,
      softmax: c.softmax!, softmaxBackward: c.softmaxBackward!, reduce: c.reduce!,
      argReduce: c.argReduce!, nllSum: c.nllSum!, crossEntropyBackward: c.crossEntropyBackward!,
      scatterAdd: c.scatterAdd!, indexAdd: c.indexAdd!, layerNorm: c.layerNorm!,
      layerNormBackward: c.layerNormBackward!, attentionHeads: c.attentionHeads!,
      attentionHeadsBackward: c.attentionHeadsBackward!, maxPool: c.maxPool!,
      maxPoolBackward: c.maxPoolBackward!, averagePool: c.averagePool!,
      averagePoolBackward: c.averagePoolBackward!, convolutionForward: c.convolutionForward!,
      convolutionFold: c.convolutionFold!, convolutionWeightGradient: c.convolutionWeightGradient!,
      gemm: c.gemm!, gemmWithBias: c.gemmWithBias!, gemmBatched: c.gemmBatched!, packB: c.packB!,
      packedGemm: c.packedGemm!, rowsIndependent: c.rowsIndependent!, rnnStep: c.rnnStep!,
      rnnStepBackward: c.rnnStepBackward!, lstmStep: c.lstmStep!,
      lstmStepBackward: c.lstmStepBackward!, gruStep: c.gruStep!, adamUpdate: c.adamUpdate!,
      sgdUpdate: c.sgdUpdate!, gruStepBackward: c.gruStepBackward!)
  }()
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
