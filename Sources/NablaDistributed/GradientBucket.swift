import Nabla

/// A run of parameters of one dtype whose gradients travel together: each is copied into its
/// slot of one flat buffer as soon as backward has accumulated it, and the buffer is all-reduced
/// in one non-blocking call once every slot is filled.
final class GradientBucket {
  struct Slot {
    let parameter: Parameter
    let name: String
    let offset: Int
    let count: Int
    var isFilled = false
  }

  let dtype: DType
  var slots: [Slot] = []
  private(set) var count = 0
  private var memory: UnsafeMutableRawPointer?
  var request: MPIHandle?
  var isLaunched = false
  var filledCount = 0

  init(dtype: DType) { self.dtype = dtype }

  deinit { memory?.deallocate() }

  var byteCount: Int { count * dtype.byteCount }
  var isReady: Bool { filledCount == slots.count }

  func append(_ parameter: Parameter, name: String) {
    slots.append(
      Slot(parameter: parameter, name: name, offset: count, count: parameter.value.scalarCount))
    count += parameter.value.scalarCount
  }

  /// The flat buffer, allocated on first use.
  var base: UnsafeMutableRawPointer {
    if let memory { return memory }
    let made = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 64)
    memory = made
    return made
  }

  /// Starts a new step: every slot empty.
  func reset() {
    for index in slots.indices { slots[index].isFilled = false }
    filledCount = 0
  }

  /// Forgets the finished all-reduce (with the MPI lock held: a progress thread reads these).
  func endCommunication() {
    isLaunched = false
    request = nil
  }

  /// Copies slot `index`'s gradient into the buffer (zeros for nil).
  func fill(_ index: Int, with gradient: Tensor?) {
    let slot = slots[index]
    let destination = base + slot.offset * dtype.byteCount
    if let gradient {
      gradient.withUnsafeRawPointer {
        destination.copyMemory(from: $0, byteCount: slot.count * dtype.byteCount)
      }
    } else {
      destination.initializeMemory(
        as: UInt8.self, repeating: 0, count: slot.count * dtype.byteCount)
    }
    if !slot.isFilled {
      slots[index].isFilled = true
      filledCount += 1
    }
  }

  /// Slot `index`'s part of the buffer divided by `divisor`, as a tensor of its parameter's shape.
  func gradient(_ index: Int, dividedBy divisor: Int) -> Tensor {
    let slot = slots[index]
    var result = Tensor(empty: slot.parameter.value.shape, dtype: dtype)
    let source = base + slot.offset * dtype.byteCount
    result.withUnsafeMutableRawPointer {
      $0.copyMemory(from: source, byteCount: slot.count * dtype.byteCount)
    }
    return divisor == 1 ? result : withoutGradients { result / Double(divisor) }
  }
}

/// Splits `parameters` (in the order given) into buckets of one dtype and at most `capacity`
/// bytes each, the first of each dtype at most `firstCapacity` (as PyTorch's DDP, so that the
/// first all-reduce starts early in backward); a parameter larger than its bucket's limit gets
/// a bucket of its own.
func makeBuckets(
  _ parameters: [(name: String, parameter: Parameter)], capacity: Int, firstCapacity: Int
) -> [GradientBucket] {
  var buckets: [GradientBucket] = []
  var open: [DType: GradientBucket] = [:]
  for (name, parameter) in parameters {
    let dtype = parameter.value.dtype
    let size = parameter.value.scalarCount * dtype.byteCount
    let limit = buckets.first { $0.dtype == dtype } === open[dtype] ? firstCapacity : capacity
    if let bucket = open[dtype], bucket.byteCount + size <= limit || bucket.slots.isEmpty {
      bucket.append(parameter, name: name)
    } else {
      let bucket = GradientBucket(dtype: dtype)
      bucket.append(parameter, name: name)
      buckets.append(bucket)
      open[dtype] = bucket
    }
  }
  return buckets
}
