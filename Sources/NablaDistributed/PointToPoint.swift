import Nabla

// Messages between two ranks, as `torch.distributed.send` and `recv`. With
// `ProcessGroup.checksCollectives` on, the sender first sends the dtype and shape, and the
// receiver stops the job when they are not what it expects.
extension ProcessGroup {
  /// Sends the tensor to rank `destination`, which must call `receive` with the same shape,
  /// dtype and tag. Returns once the tensor's memory may be reused.
  ///
  /// ```swift
  /// if world.rank == 0 { world.send(x, to: 1) } else { let x = world.receive([4], from: 0) }
  /// ```
  ///
  /// - Parameters:
  ///   - tensor: The values to send.
  ///   - destination: Another rank of the group.
  ///   - tag: Tells apart messages between the same two ranks.
  public func send(_ tensor: Tensor, to destination: Int, tag: Int = 0) {
    tensor.dtype.requireTransferable(shape: tensor.shape, "send")
    let communicator = peerCommunicator(destination, "send")
    communicator.serialized {
      let library = communicator.library
      if ProcessGroup.checksCollectives {
        let header = CollectiveSignature(op: "send", dtype: tensor.dtype, shape: tensor.shape)
          .words
        header.withUnsafeBytes {
          communicator.check(
            "send",
            library.send(
              $0.baseAddress, Int32(header.count), library.int64, Int32(destination), Int32(tag),
              communicator.handle))
        }
      }
      tensor.withUnsafeRawPointer { base in
        Communicator.forEachPiece(of: tensor.scalarCount) { offset, length in
          communicator.check(
            "send",
            library.send(
              base + offset * tensor.dtype.byteCount, length, tensor.dtype.mpiType(in: library),
              Int32(destination), Int32(tag), communicator.handle))
        }
      }
    }
  }

  /// Receives a tensor that rank `source` sends with `send`.
  ///
  /// - Parameters:
  ///   - shape: The shape the sender sends.
  ///   - dtype: The element type the sender sends.
  ///   - source: Another rank of the group.
  ///   - tag: The tag the sender used.
  public func receive(
    _ shape: [Int], dtype: DType = .float32, from source: Int, tag: Int = 0
  ) -> Tensor {
    dtype.requireTransferable(shape: shape, "receive")
    let communicator = peerCommunicator(source, "receive")
    var result = Tensor(empty: shape, dtype: dtype)
    communicator.serialized {
      let library = communicator.library
      if ProcessGroup.checksCollectives {
        let expected = CollectiveSignature(op: "send", dtype: dtype, shape: shape)
        let width = CollectiveSignature.wordCount
        var header = [Int64](repeating: 0, count: width)
        header.withUnsafeMutableBytes {
          communicator.check(
            "receive",
            library.receive(
              $0.baseAddress, Int32(width), library.int64, Int32(source), Int32(tag),
              communicator.handle, nil))
        }
        if header != expected.words {
          let sent = CollectiveSignature(words: header[...])
          communicator.abortJob(
            "receive: rank \(rank) expected \(dtype) \(describe(shape)) from rank \(source) "
              + "(tag \(tag)), which sent \(sent.dtype.map { "\($0)" } ?? "?") "
              + describe(sent.shape))
        }
      }
      let count = result.scalarCount
      result.withUnsafeMutableRawPointer { base in
        Communicator.forEachPiece(of: count) { offset, length in
          communicator.check(
            "receive",
            library.receive(
              base + offset * dtype.byteCount, length, dtype.mpiType(in: library), Int32(source),
              Int32(tag), communicator.handle, nil))
        }
      }
    }
    return result
  }

  /// The communicator, after checking that `peer` is another rank of the group.
  private func peerCommunicator(_ peer: Int, _ op: String) -> Communicator {
    checkRank(peer, op)
    require(peer != rank, "\(op): rank \(rank) cannot \(op) to or from itself")
    guard let communicator else {
      stop("\(op): a group of one process has no other rank")
    }
    return communicator
  }
}
