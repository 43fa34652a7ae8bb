import CNablaKernels
import Foundation

// Reading `torch.save` files (PyTorch 1.6 and later): a zip archive holding `data.pkl`, the
// pickled object, and one entry per storage (`data/0`, `data/1`, ...). The pickle is read by
// `RestrictedUnpickler`, which only knows tensors and containers; tensors are rebuilt from their
// storage, offset, shape and strides.

/// Reads files written by PyTorch's `torch.save`, such as a model's `state_dict()` or a whole
/// training checkpoint, without Python.
///
/// Like `torch.load(weights_only=True)`, only tensors and plain containers load: a file that
/// names any other Python function or class is refused with an error naming it, and nothing in
/// the file ever runs.
///
/// ```swift
/// let checkpoint = try PyTorchFile.read(from: "checkpoint.pt")
/// let epoch = checkpoint["epoch"]?.integer  // 3
/// if let weights = checkpoint["model"]?.tensors {
///   try model.loadStateDict(weights)
/// }
/// ```
///
/// Tensors of every `DType` load (float32, float64, float16, bfloat16, int64, int32, int8, uint8
/// and bool); a tensor of another dtype (int16, complex64, ...) is an error that names it. Saved views (offsets, strides)
/// come out as contiguous tensors with the view's values, and storages shared between tensors
/// are read once. TorchScript archives (`torch.jit.save`) and the format before PyTorch 1.6 are
/// refused with a message saying so.
public enum PyTorchFile {
  /// Reads the object saved in the `torch.save` file at `url`.
  ///
  /// - Parameter url: The `.pt` or `.pth` file.
  /// - Returns: The saved object as a tree of values.
  /// - Throws: `TensorFileError`, naming the file and what is wrong with it.
  public static func read(from url: URL) throws -> PyTorchValue {
    let reader = try FileReader(url: url)
    guard ZipArchive.looksLikeZip(reader) else {
      let first = try? reader.bytes(1, at: 0, for: "the first byte")
      throw reader.error(
        first == [0x80]
          ? "is a pickle in the format torch.save wrote before PyTorch 1.6, which is not read; "
            + "load it in PyTorch and save it again with a recent version"
          : "is not a torch.save file: it does not start as a zip archive")
    }
    return try PyTorchArchive(reader).load()
  }

  /// Reads the object saved in the `torch.save` file at `path`, as `read(from:)` with a URL does.
  ///
  /// - Parameter path: The file's path, absolute or relative to the working directory.
  /// - Returns: The saved object as a tree of values.
  /// - Throws: `TensorFileError`, naming the file and what is wrong with it.
  public static func read(from path: String) throws -> PyTorchValue {
    try read(from: URL(fileURLWithPath: path))
  }

  /// Whether the file at `url` starts as a zip archive, as `torch.save` files do (safetensors
  /// and `.npy` files do not).
  package static func isZipArchive(_ url: URL) -> Bool {
    guard let reader = try? FileReader(url: url) else { return false }
    return ZipArchive.looksLikeZip(reader)
  }
}

/// A storage of a `torch.save` file: the entry that holds it, its element type and count, and
/// its elements once a tensor needed them.
private final class SavedStorage {
  let entry: ZipEntry
  let type: StorageType
  let count: Int
  var elements: TensorStorage?

  init(entry: ZipEntry, type: StorageType, count: Int) {
    (self.entry, self.type, self.count) = (entry, type, count)
  }
}

/// A `torch.*Storage` class: the PyTorch dtype it holds, and the Nabla dtype when there is one.
private struct StorageType {
  let torchName: String
  let byteCount: Int
  let dtype: DType?

  /// The storage classes by their name in the `torch` module.
  static let all: [String: StorageType] = [
    "FloatStorage": StorageType(torchName: "float32", byteCount: 4, dtype: .float32),
    "DoubleStorage": StorageType(torchName: "float64", byteCount: 8, dtype: .float64),
    "LongStorage": StorageType(torchName: "int64", byteCount: 8, dtype: .int64),
    "HalfStorage": StorageType(torchName: "float16", byteCount: 2, dtype: .float16),
    "BFloat16Storage": StorageType(torchName: "bfloat16", byteCount: 2, dtype: .bfloat16),
    "IntStorage": StorageType(torchName: "int32", byteCount: 4, dtype: .int32),
    "ShortStorage": StorageType(torchName: "int16", byteCount: 2, dtype: nil),
    "CharStorage": StorageType(torchName: "int8", byteCount: 1, dtype: .int8),
    "ByteStorage": StorageType(torchName: "uint8", byteCount: 1, dtype: .uint8),
    "BoolStorage": StorageType(torchName: "bool", byteCount: 1, dtype: .bool),
    "ComplexFloatStorage": StorageType(torchName: "complex64", byteCount: 8, dtype: nil),
    "ComplexDoubleStorage": StorageType(torchName: "complex128", byteCount: 16, dtype: nil),
  ]
}

/// One `torch.save` archive being read.
private final class PyTorchArchive {
  let reader: FileReader
  let archive: ZipArchive
  /// The folder every entry sits in (the file's stem when it was saved).
  var prefix = ""
  var bigEndian = false
  var storages: [String: SavedStorage] = [:]
  /// Elements that views may still copy out of storages: saved views of one storage may not
  /// multiply the file's size without bound.
  var copyBudget: Int
  var entries: [String: ZipEntry] = [:]

  init(_ reader: FileReader) throws {
    self.reader = reader
    archive = try ZipArchive(reading: reader)
    copyBudget = 16 * reader.byteCount + (1 << 20)
  }

  func load() throws -> PyTorchValue {
    for entry in archive.entries { entries[entry.name] = entry }
    guard
      let pickle = archive.entries.first(where: {
        $0.name.hasSuffix("/data.pkl") && $0.name.dropLast(9).allSatisfy { $0 != "/" }
      })
    else {
      throw reader.error("is a zip archive but not a torch.save file: it has no data.pkl")
    }
    prefix = String(pickle.name.dropLast(8))
    if entries["\(prefix)constants.pkl"] != nil
      || entries.keys.contains(where: { $0.hasPrefix("\(prefix)code/") })
    {
      throw reader.error(
        "is a TorchScript archive (torch.jit.save), which holds code; only torch.save files load")
    }
    if let order = entries["\(prefix)byteorder"] {
      let text = String(decoding: try archive.contents(of: order), as: UTF8.self)
      guard text == "little" || text == "big" else {
        throw reader.error("its byteorder entry says \(quotedForError(text)), not little or big")
      }
      bigEndian = text == "big"
    }
    let bytes = try archive.contents(of: pickle)
    let unpickler = RestrictedUnpickler(
      bytes, fail: { [reader] in reader.error("\(pickle.name) \($0)") },
      allows: { Self.allowedGlobal($0, $1) },
      persistentLoad: { [unowned self] in try self.storage($0) },
      reduce: { [unowned self] in try self.call($0, $1, $2) })
    var budget = RestrictedUnpickler.maximumValueCount
    return try value(of: try unpickler.load(), depth: 0, budget: &budget)
  }

  /// Whether the pickle may name `module.name`: the functions and classes that rebuild tensors
  /// and containers, as `torch.load(weights_only=True)` allows.
  static func allowedGlobal(_ module: String, _ name: String) -> Bool {
    switch (module, name) {
    case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_parameter"),
      ("collections", "OrderedDict"), ("_codecs", "encode"):
      true
    case ("torch", _): StorageType.all[name] != nil
    default: false
    }
  }

  /// The error for a problem found while running the pickle.
  func error(_ problem: String) -> TensorFileError { reader.error("\(prefix)data.pkl: \(problem)") }

  /// Resolves a persistent id `('storage', type, key, location, count)` to its storage.
  func storage(_ id: PickleItem) throws -> PickleItem {
    guard case .tuple(let fields) = id, fields.items.count == 5,
      case .string("storage") = fields.items[0],
      case .global("torch", let typeName) = fields.items[1], let type = StorageType.all[typeName],
      case .string(let key) = fields.items[2], case .int(let count) = fields.items[4]
    else {
      throw error("a persistent id that is not a storage ('storage', type, key, location, size)")
    }
    if let known = storages[key] {
      guard known.count == count, known.type.torchName == type.torchName else {
        throw error("storage \(quotedForError(key)) is named twice with different types or sizes")
      }
      return .persistent(known)
    }
    guard let entry = entries["\(prefix)data/\(key)"] else {
      throw error("storage \(quotedForError(key)) has no entry data/\(key) in the archive")
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: type.byteCount)
    guard count >= 0, !overflow, bytes == entry.size else {
      throw error(
        "storage \(quotedForError(key)) should hold \(count) \(type.torchName) elements, "
          + "but its entry has \(entry.size) bytes")
    }
    let storage = SavedStorage(entry: entry, type: type, count: count)
    storages[key] = storage
    return .persistent(storage)
  }

  /// Calls an allowed global with `arguments`.
  func call(_ module: String, _ name: String, _ arguments: [PickleItem]) throws -> PickleItem {
    switch name {
    case "_rebuild_tensor_v2": return .tensor(try rebuildTensor(arguments))
    case "_rebuild_parameter":
      guard arguments.count == 3, case .tensor(let data) = arguments[0] else {
        throw error("_rebuild_parameter is called without a tensor and two more arguments")
      }
      return .tensor(data)
    case "OrderedDict":
      let dict = PickleDict()
      if let pairs = arguments.first {
        guard arguments.count == 1, case .list(let list) = pairs else {
          throw error("OrderedDict is called with arguments other than a list of pairs")
        }
        for pair in list.items {
          guard case .tuple(let fields) = pair, fields.items.count == 2 else {
            throw error("OrderedDict is called with a list whose items are not pairs")
          }
          dict.entries.append((fields.items[0], fields.items[1]))
        }
      }
      return .dict(dict)
    default:  // _codecs.encode(text, "latin1"): how protocol 2 writes bytes
      guard arguments.count == 2, case .string(let text) = arguments[0],
        case .string("latin1") = arguments[1], let bytes = text.data(using: .isoLatin1)
      else { throw error("_codecs.encode is called with arguments other than a text and 'latin1'") }
      return .bytes(Array(bytes))
    }
  }

  /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
  func rebuildTensor(_ arguments: [PickleItem]) throws -> Tensor {
    guard arguments.count == 6 || arguments.count == 7, case .persistent(let object) = arguments[0],
      let storage = object as? SavedStorage, case .int(let offset) = arguments[1],
      let shape = integers(arguments[2]), let strides = integers(arguments[3])
    else {
      throw error("_rebuild_tensor_v2 is called without (storage, offset, size, stride, ...)")
    }
    let type = storage.type
    guard let dtype = type.dtype else {
      throw error(
        "a tensor of shape \(describe(shape)) is \(type.torchName), which Nabla does not hold "
          + "(it reads float32, float64, float16, bfloat16, int64, int32, int8, uint8 and bool tensors)"
      )
    }
    let what = "a \(type.torchName) tensor of shape \(describe(shape))"
    guard shape.count == strides.count, shape.count <= 64, strides.allSatisfy({ $0 >= 0 }),
      let count = checkedElementCount(shape)
    else {
      throw error("\(what) has strides \(describe(strides)), which do not fit its shape")
    }
    // The last element the view reads, which must lie inside the storage.
    var last = offset
    var fits = offset >= 0 && offset <= storage.count
    if count > 0 {
      for (size, stride) in zip(shape, strides) {
        let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
        let (sum, overflowed) = last.addingReportingOverflow(step)
        fits = fits && !overflow && !overflowed
        last = sum
      }
      fits = fits && last < storage.count
    }
    guard fits else {
      throw error(
        "\(what) at offset \(offset) with strides \(describe(strides)) reads past the end "
          + "of its storage of \(storage.count) elements")
    }
    let elements = try elements(of: storage, dtype: dtype)
    if offset == 0, count == storage.count, isContiguous(shape, strides) {
      return Tensor(storage: elements, shape: shape)
    }
    guard count <= copyBudget else {
      throw error("\(what) is a view that would copy more elements than the file can justify")
    }
    copyBudget -= count
    guard shape.count <= NABLA_MAX_RANK else {
      throw error("\(what) is a view of more than \(NABLA_MAX_RANK) dimensions, which is not read")
    }
    // An axis of size 1 may carry any stride; it is never stepped along.
    let steps = zip(shape, strides).map { size, stride in size > 1 ? stride : 0 }
    return Tensor(storage: elements, shape: [storage.count])
      .materialize(shape: shape, strides: steps, offset: offset)
  }

  /// The elements of `storage`, read from the archive the first time a tensor needs them.
  func elements(of storage: SavedStorage, dtype: DType) throws -> TensorStorage {
    if let elements = storage.elements { return elements }
    let start = try archive.dataOffset(of: storage.entry)
    let name = "storage entry '\(storage.entry.name)'"
    let tensor = try Tensor(
      reading: reader, at: start, shape: [storage.count], dtype: dtype, for: name)
    let elements = tensor.storage
    // The CRC-32 is of the bytes as the file has them; a big-endian host has swapped them.
    func checksum() -> UInt32 {
      crc32(UnsafeRawBufferPointer(start: elements.data, count: storage.count * dtype.byteCount))
    }
    #if _endian(big)
      elements.swapBytes()
      let fileChecksum = checksum()
      elements.swapBytes()
    #else
      let fileChecksum = checksum()
    #endif
    try archive.checkChecksum(of: storage.entry, fileChecksum)
    // Reading took the bytes as little-endian; a big-endian file's elements are swapped back.
    if bigEndian { elements.swapBytes() }
    storage.elements = elements
    return elements
  }

  /// The items of a tuple of ints (a size or stride), or nil.
  func integers(_ item: PickleItem) -> [Int]? {
    guard case .tuple(let list) = item else { return nil }
    var values: [Int] = []
    for element in list.items {
      guard case .int(let value) = element else { return nil }
      values.append(value)
    }
    return values
  }

  /// Whether `strides` are the row-major strides of `shape` (ignoring axes of size 1).
  func isContiguous(_ shape: [Int], _ strides: [Int]) -> Bool {
    var expected = 1
    for (size, stride) in zip(shape, strides).reversed() where size != 1 {
      guard stride == expected else { return false }
      expected *= size
    }
    return true
  }

  /// The public value of an unpickled item, with nesting and the number of values bounded (a
  /// pickle can share one list many times over, which a tree would repeat).
  func value(of item: PickleItem, depth: Int, budget: inout Int) throws -> PyTorchValue {
    budget -= 1
    guard depth < 1000, budget >= 0 else {
      throw error(
        depth >= 1000
          ? "values are nested more than 1000 deep"
          : "the saved object has more than "
            + "\(RestrictedUnpickler.maximumValueCount) values once shared parts are repeated")
    }
    func values(_ items: [PickleItem]) throws -> [PyTorchValue] {
      try items.map { try value(of: $0, depth: depth + 1, budget: &budget) }
    }
    switch item {
    case .none: return .none
    case .bool(let value): return .bool(value)
    case .int(let value): return .int(value)
    case .float(let value): return .float(value)
    case .string(let value): return .string(value)
    case .bytes(let value): return .bytes(value)
    case .tensor(let value): return .tensor(value)
    case .tuple(let list): return .tuple(try values(list.items))
    case .list(let list): return .list(try values(list.items))
    case .dict(let dict):
      return .dictionary(
        try dict.entries.map {
          (
            try value(of: $0.key, depth: depth + 1, budget: &budget),
            try value(of: $0.value, depth: depth + 1, budget: &budget)
          )
        })
    case .global, .persistent:
      throw error("the saved object holds \(item.kind) itself, not a tensor or container")
    }
  }
}
