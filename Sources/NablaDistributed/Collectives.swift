import Nabla

/// How `allReduce` and `reduceScatter` combine the ranks' elements.
public enum ReduceOperation: String, Sendable, CaseIterable {
  /// The elementwise sum over ranks.
  case sum
  /// The elementwise sum divided by the number of ranks (floating-point tensors only).
  case mean
  /// The elementwise maximum over ranks.
  case max
  /// The elementwise minimum over ranks.
  case min

  func mpiOperation(in library: MPILibrary) -> MPIHandle {
    switch self {
    case .sum, .mean: library.sum
    case .max: library.max
    case .min: library.min
    }
  }
}

// Collectives on tensors of float32, float64 or int64, of any shape. Results are new tensors
// that do not require gradients. In a group of one process each returns its input unchanged.
extension ProcessGroup {
  /// Combines the tensor elementwise over every rank and returns the result on every rank, as
  /// `torch.distributed.all_reduce`.
  ///
  /// ```swift
  /// let mean = ProcessGroup.world.allReduce(localGradient, .mean)
  /// ```
  ///
  /// - Parameters:
  ///   - tensor: The same shape and dtype on every rank.
  ///   - operation: How elements combine; `.mean` needs a floating-point tensor.
  public func allReduce(_ tensor: Tensor, _ operation: ReduceOperation = .sum) -> Tensor {
    tensor.dtype.requireTransferable(shape: tensor.shape, "allReduce")
    require(
      operation != .mean || tensor.dtype.isFloatingPoint,
      "allReduce: the mean needs a floating-point tensor, got \(tensor.dtype)")
    guard let communicator else { return tensor.detached() }
    var result = Tensor(empty: tensor.shape, dtype: tensor.dtype)
    communicator.serialized {
      communicator.checkAgreement(
        CollectiveSignature(op: "allReduce(\(operation))", dtype: tensor.dtype, shape: tensor.shape)
      )
      tensor.withUnsafeRawPointer { source in
        result.withUnsafeMutableRawPointer {
          communicator.allReduce(
            source, into: $0, count: tensor.scalarCount, dtype: tensor.dtype, operation,
            op: "allReduce")
        }
      }
    }
    return operation == .mean ? withoutGradients { result / Double(size) } : result
  }

  /// Returns rank `root`'s tensor on every rank, as `torch.distributed.broadcast`.
  ///
  /// - Parameters:
  ///   - tensor: On `root`, the values to send; on the other ranks, a tensor of the same shape
  ///     and dtype whose values are ignored.
  ///   - root: The rank that sends.
  public func broadcast(_ tensor: Tensor, from root: Int) -> Tensor {
    tensor.dtype.requireTransferable(shape: tensor.shape, "broadcast")
    checkRank(root, "broadcast")
    var result = tensor.detached()
    guard let communicator else { return result }
    communicator.serialized {
      communicator.checkAgreement(
        CollectiveSignature(op: "broadcast", dtype: tensor.dtype, shape: tensor.shape + [root]))
      let dtype = tensor.dtype
      result.withUnsafeMutableRawPointer { base in
        Communicator.forEachPiece(of: tensor.scalarCount) { offset, length in
          communicator.check(
            "broadcast",
            communicator.library.broadcast(
              base + offset * dtype.byteCount, length, dtype.mpiType(in: communicator.library),
              Int32(root), communicator.handle))
        }
      }
    }
    return result
  }

  /// Returns every rank's tensor, stacked along a new first axis in rank order (shape
  /// `[size] + tensor.shape`), as `torch.distributed.all_gather_into_tensor` of the stacked
  /// form.
  ///
  /// - Parameter tensor: The same shape and dtype on every rank.
  public func allGather(_ tensor: Tensor) -> Tensor {
    tensor.dtype.requireTransferable(shape: tensor.shape, "allGather")
    guard let communicator else { return tensor.detached().reshaped([1] + tensor.shape) }
    var result = Tensor(empty: [size] + tensor.shape, dtype: tensor.dtype)
    communicator.serialized {
      communicator.checkAgreement(
        CollectiveSignature(op: "allGather", dtype: tensor.dtype, shape: tensor.shape))
      tensor.withUnsafeRawPointer { source in
        result.withUnsafeMutableRawPointer { destination in
          communicator.allGather(
            source, into: destination, count: tensor.scalarCount, dtype: tensor.dtype)
        }
      }
    }
    return result
  }

  /// Combines the tensor elementwise over every rank and returns this rank's part of the result,
  /// as `torch.distributed.reduce_scatter_tensor`.
  ///
  /// The first axis is split into `size` consecutive parts as evenly as possible: with `n` rows,
  /// the first `n % size` ranks get one row more (NumPy's `array_split`), so `n` need not divide
  /// by the number of ranks.
  ///
  /// - Parameters:
  ///   - tensor: The same shape and dtype on every rank, of rank 1 or more.
  ///   - operation: How elements combine; `.mean` needs a floating-point tensor.
  public func reduceScatter(_ tensor: Tensor, _ operation: ReduceOperation = .sum) -> Tensor {
    tensor.dtype.requireTransferable(shape: tensor.shape, "reduceScatter")
    require(
      tensor.rank >= 1, "reduceScatter: the tensor needs a first axis to split, got a scalar")
    require(
      operation != .mean || tensor.dtype.isFloatingPoint,
      "reduceScatter: the mean needs a floating-point tensor, got \(tensor.dtype)")
    guard let communicator else { return tensor.detached() }
    let rows = tensor.shape[0]
    let rowCounts = (0..<size).map { rows / size + ($0 < rows % size ? 1 : 0) }
    let start = rowCounts[..<rank].reduce(0, +)
    let rowSize = tensor.scalarCount / Swift.max(rows, 1)
    var result = Tensor(
      empty: [rowCounts[rank]] + tensor.shape.dropFirst(), dtype: tensor.dtype)
    communicator.serialized {
      communicator.checkAgreement(
        CollectiveSignature(
          op: "reduceScatter(\(operation))", dtype: tensor.dtype, shape: tensor.shape))
      if tensor.scalarCount <= ProcessGroup.maximumCount {
        let counts = rowCounts.map { Int32($0 * rowSize) }
        tensor.withUnsafeRawPointer { source in
          result.withUnsafeMutableRawPointer { destination in
            communicator.check(
              "reduceScatter",
              communicator.library.reduceScatter(
                source, destination, counts, tensor.dtype.mpiType(in: communicator.library),
                operation.mpiOperation(in: communicator.library), communicator.handle))
          }
        }
      } else {
        // Past MPI's 32-bit counts: reduce the whole tensor in pieces and keep this rank's rows.
        var whole = Tensor(empty: tensor.shape, dtype: tensor.dtype)
        tensor.withUnsafeRawPointer { source in
          whole.withUnsafeMutableRawPointer {
            communicator.allReduce(
              source, into: $0, count: tensor.scalarCount, dtype: tensor.dtype, operation,
              op: "reduceScatter")
          }
        }
        result = whole.narrowed(alongAxis: 0, start: start, length: rowCounts[rank]).detached()
      }
    }
    return operation == .mean ? withoutGradients { result / Double(size) } : result
  }

  /// Waits until every rank of the group has called it.
  public func barrier() {
    guard let communicator else { return }
    communicator.serialized {
      communicator.checkAgreement(CollectiveSignature(op: "barrier", dtype: nil, shape: []))
      communicator.check("barrier", communicator.library.barrier(communicator.handle))
    }
  }

  /// Stops with a message when `rank` is not a rank of the group.
  func checkRank(_ rank: Int, _ op: String) {
    require(
      (0..<size).contains(rank), "\(op): rank \(rank) is not in a group of \(size) processes")
  }
}

extension Communicator {
  /// MPI_Allreduce of `count` elements from `source` into `destination`, in pieces of at most
  /// `ProcessGroup.maximumCount`.
  func allReduce(
    _ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer, count: Int,
    dtype: DType, _ operation: ReduceOperation, op: String
  ) {
    Communicator.forEachPiece(of: count) { offset, length in
      check(
        op,
        library.allReduce(
          source + offset * dtype.byteCount, destination + offset * dtype.byteCount, length,
          dtype.mpiType(in: library), operation.mpiOperation(in: library), handle))
    }
  }

  /// MPI_Allgather of `count` elements from each rank into `size · count` at `destination`,
  /// rank by rank; in pieces through a staging buffer past `ProcessGroup.maximumCount`.
  func allGather(
    _ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer, count: Int,
    dtype: DType
  ) {
    let type = dtype.mpiType(in: library)
    let width = dtype.byteCount
    if count <= ProcessGroup.maximumCount {
      check(
        "allGather",
        library.allGather(source, Int32(count), type, destination, Int32(count), type, handle))
      return
    }
    let staging = UnsafeMutableRawPointer.allocate(
      byteCount: size * ProcessGroup.maximumCount * width, alignment: 64)
    defer { staging.deallocate() }
    Communicator.forEachPiece(of: count) { offset, length in
      check(
        "allGather",
        library.allGather(source + offset * width, length, type, staging, length, type, handle))
      for rank in 0..<size {
        (destination + (rank * count + offset) * width).copyMemory(
          from: staging + rank * Int(length) * width, byteCount: Int(length) * width)
      }
    }
  }
}
