// A restricted unpickler: it reads the pickle opcodes that `torch.save` emits (protocols 2 to 5)
// into plain values and containers, and it never runs code. A global (a Python function or
// class the pickle names) is accepted only when the caller allows it, and a call (REDUCE) only
// goes to the caller's `reduce`, which rebuilds tensors and ordered dicts from their arguments.
// This is what `torch.load(weights_only=True)` accepts; anything else is an error naming it.

/// A value on the unpickler's stack or in its memo.
indirect enum PickleItem {
  case none
  case bool(Bool)
  case int(Int)
  case float(Double)
  case string(String)
  case bytes([UInt8])
  case tuple(PickleList)
  case list(PickleList)
  case dict(PickleDict)
  /// A global the caller allowed: `module.name`.
  case global(module: String, name: String)
  /// What the caller's persistent load made of a persistent id (a storage for torch).
  case persistent(AnyObject)
  case tensor(Tensor)

  /// What the item is, for messages.
  var kind: String {
    switch self {
    case .none: "None"
    case .bool: "a bool"
    case .int: "an int"
    case .float: "a float"
    case .string: "a string"
    case .bytes: "bytes"
    case .tuple: "a tuple"
    case .list: "a list"
    case .dict: "a dict"
    case .global(let module, let name): "the global '\(module).\(name)'"
    case .persistent: "a storage"
    case .tensor: "a tensor"
    }
  }
}

/// A list or tuple being unpickled: a reference, as APPEND changes the list the memo holds too.
final class PickleList {
  var items: [PickleItem]
  init(_ items: [PickleItem] = []) { self.items = items }
}

/// A dict being unpickled, its entries in insertion order.
final class PickleDict {
  var entries: [(key: PickleItem, value: PickleItem)] = []
}

/// Reads one pickle into a `PickleItem`, calling back for globals, persistent ids and calls.
///
/// Every container it makes is kept in an arena and emptied when the unpickler goes away, so a
/// hostile pickle can neither leak a cycle (a list appended to itself) nor make a chain of
/// containers so deep that releasing it overflows the stack. Read the result before then.
final class RestrictedUnpickler {
  /// The most values a pickle may push, which bounds its memory by a few hundred megabytes.
  static let maximumValueCount = 1 << 23
  private let bytes: [UInt8]
  private var position = 0
  private var stack: [PickleItem] = []
  private var marks: [Int] = []
  private var memo: [Int: PickleItem] = [:]
  private var lists: [PickleList] = []
  private var dicts: [PickleDict] = []
  private var valueCount = 0
  /// Says where in the file the pickle is, for messages ("data.pkl byte 12: ...").
  private let fail: (String) -> TensorFileError
  private let allows: (String, String) -> Bool
  private let persistentLoad: (PickleItem) throws -> PickleItem
  private let reduce: (String, String, [PickleItem]) throws -> PickleItem

  /// An unpickler of `bytes`.
  ///
  /// - Parameters:
  ///   - fail: Makes the error for a problem, given as text that starts with the byte offset.
  ///   - allows: Whether a global (module, name) may appear.
  ///   - persistentLoad: Resolves a persistent id.
  ///   - reduce: Calls an allowed global (module, name) with arguments.
  init(
    _ bytes: [UInt8], fail: @escaping (String) -> TensorFileError,
    allows: @escaping (String, String) -> Bool,
    persistentLoad: @escaping (PickleItem) throws -> PickleItem,
    reduce: @escaping (String, String, [PickleItem]) throws -> PickleItem
  ) {
    self.bytes = bytes
    (self.fail, self.allows, self.persistentLoad, self.reduce) = (
      fail, allows, persistentLoad, reduce
    )
  }

  deinit {
    for list in lists { list.items = [] }
    for dict in dicts { dict.entries = [] }
  }

  /// The error for a problem at the opcode that starts at `offset`.
  private func error(_ problem: String, at offset: Int) -> TensorFileError {
    fail("byte \(offset): \(problem)")
  }

  /// Runs the pickle to its STOP opcode and returns the value left on the stack.
  func load() throws -> PickleItem {
    while position < bytes.count {
      let start = position
      let opcode = bytes[position]
      position += 1
      if opcode == UInt8(ascii: ".") {
        guard stack.count == 1, marks.isEmpty else {
          throw error("STOP with \(stack.count) values on the stack instead of one", at: start)
        }
        return stack[0]
      }
      try run(opcode, at: start)
    }
    throw fail("truncated: the pickle ends at byte \(bytes.count) without a STOP opcode")
  }

  /// Runs one opcode.
  private func run(_ opcode: UInt8, at start: Int) throws {
    switch opcode {
    case 0x80: _ = try take(1, at: start)  // PROTO
    case 0x95: _ = try take(8, at: start)  // FRAME
    case UInt8(ascii: "("): marks.append(stack.count)
    case UInt8(ascii: ")"): try push(at: start, .tuple(PickleList()))
    case UInt8(ascii: "]"): try push(at: start, .list(PickleList()))
    case UInt8(ascii: "}"): try push(at: start, .dict(PickleDict()))
    case UInt8(ascii: "N"): try push(at: start, .none)
    case 0x88, 0x89: try push(at: start, .bool(opcode == 0x88))
    case UInt8(ascii: "K"): try push(at: start, .int(Int(try unsigned(1, at: start))))
    case UInt8(ascii: "M"): try push(at: start, .int(Int(try unsigned(2, at: start))))
    case UInt8(ascii: "J"):
      try push(at: start, .int(Int(Int32(truncatingIfNeeded: try unsigned(4, at: start)))))
    case 0x8A, 0x8B:
      try push(at: start, .int(try long(lengthWidth: opcode == 0x8A ? 1 : 4, at: start)))
    case UInt8(ascii: "G"):
      let raw = try take(8, at: start).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
      try push(at: start, .float(Double(bitPattern: raw)))
    case UInt8(ascii: "X"), 0x8C, 0x8D:
      let width = opcode == 0x8C ? 1 : opcode == 0x8D ? 8 : 4
      let raw = try take(try length(width, at: start), at: start)
      guard let text = String(validating: raw, as: UTF8.self) else {
        throw error("a string that is not valid UTF-8", at: start)
      }
      try push(at: start, .string(text))
    case UInt8(ascii: "T"), UInt8(ascii: "U"):  // Python 2 byte strings, read as Latin-1
      let raw = try take(try length(opcode == UInt8(ascii: "U") ? 1 : 4, at: start), at: start)
      try push(at: start, .string(String(raw.map { Character(Unicode.Scalar($0)) })))
    case UInt8(ascii: "B"), UInt8(ascii: "C"), 0x8E:
      let width = opcode == UInt8(ascii: "C") ? 1 : opcode == 0x8E ? 8 : 4
      try push(at: start, .bytes(try take(try length(width, at: start), at: start)))
    case UInt8(ascii: "t"): try push(at: start, .tuple(PickleList(try popToMark(at: start))))
    case 0x85, 0x86, 0x87:
      try push(at: start, .tuple(PickleList(try pop(Int(opcode - 0x84), at: start))))
    case UInt8(ascii: "a"), UInt8(ascii: "e"):
      let items = opcode == UInt8(ascii: "a") ? try pop(1, at: start) : try popToMark(at: start)
      guard case .list(let list) = try top(at: start) else {
        throw error("APPEND to \(try top(at: start).kind), not a list", at: start)
      }
      list.items += items
    case UInt8(ascii: "s"), UInt8(ascii: "u"):
      let items = opcode == UInt8(ascii: "s") ? try pop(2, at: start) : try popToMark(at: start)
      guard items.count % 2 == 0 else {
        throw error("SETITEMS with an odd number of values", at: start)
      }
      guard case .dict(let dict) = try top(at: start) else {
        throw error("SETITEM on \(try top(at: start).kind), not a dict", at: start)
      }
      for index in stride(from: 0, to: items.count, by: 2) {
        dict.entries.append((items[index], items[index + 1]))
      }
    case UInt8(ascii: "q"): memo[Int(try unsigned(1, at: start))] = try top(at: start)
    case UInt8(ascii: "r"): memo[Int(try unsigned(4, at: start))] = try top(at: start)
    case 0x94: memo[memo.count] = try top(at: start)  // MEMOIZE
    case UInt8(ascii: "h"), UInt8(ascii: "j"):
      let key = Int(try unsigned(opcode == UInt8(ascii: "h") ? 1 : 4, at: start))
      guard let item = memo[key] else {
        throw error("memo entry \(key) is read before it is written", at: start)
      }
      try push(at: start, item)
    case UInt8(ascii: "c"):
      let module = try line(at: start)
      try pushGlobal(module, try line(at: start), at: start)
    case 0x93:  // STACK_GLOBAL
      let names = try pop(2, at: start)
      guard case .string(let module) = names[0], case .string(let name) = names[1] else {
        throw error("STACK_GLOBAL needs two strings", at: start)
      }
      try pushGlobal(module, name, at: start)
    case UInt8(ascii: "R"), 0x81:  // REDUCE, NEWOBJ
      let operands = try pop(2, at: start)
      guard case .global(let module, let name) = operands[0],
        case .tuple(let arguments) = operands[1]
      else {
        throw error(
          "a call of \(operands[0].kind) with \(operands[1].kind) as its arguments", at: start)
      }
      try push(at: start, try reduce(module, name, arguments.items))
    case UInt8(ascii: "b"):  // BUILD: only an ordered dict's attributes (a state dict's _metadata)
      let state = try pop(1, at: start)[0]
      guard case .dict = try top(at: start) else {
        throw error("BUILD of \(try top(at: start).kind) from \(state.kind)", at: start)
      }
    case UInt8(ascii: "Q"): try push(at: start, try persistentLoad(try pop(1, at: start)[0]))
    default:
      throw error(
        "pickle opcode 0x\(String(opcode, radix: 16)) is not one that torch.save writes", at: start)
    }
  }

  /// Pushes `item`, keeping its container in the arena and counting it against the limit.
  private func push(at start: Int, _ item: PickleItem) throws {
    valueCount += 1
    guard valueCount <= Self.maximumValueCount else {
      throw error("the pickle makes more than \(Self.maximumValueCount) values", at: start)
    }
    switch item {
    case .list(let list), .tuple(let list): lists.append(list)
    case .dict(let dict): dicts.append(dict)
    default: break
    }
    stack.append(item)
  }

  private func pushGlobal(_ module: String, _ name: String, at start: Int) throws {
    guard allows(module, name) else {
      throw error(
        "the pickle names the global \(quotedForError("\(module).\(name)")), which is not "
          + "allowed: only tensors and containers load (as with torch.load(weights_only=True)), "
          + "and no code in the file runs", at: start)
    }
    try push(at: start, .global(module: module, name: name))
  }

  private func top(at start: Int) throws -> PickleItem {
    guard let item = stack.last, stack.count > (marks.last ?? 0) else {
      throw error("an opcode needs a value but the stack is empty", at: start)
    }
    return item
  }

  private func pop(_ count: Int, at start: Int) throws -> [PickleItem] {
    guard stack.count - count >= (marks.last ?? 0) else {
      throw error("an opcode needs \(count) values but the stack holds fewer", at: start)
    }
    defer { stack.removeLast(count) }
    return Array(stack.suffix(count))
  }

  private func popToMark(at start: Int) throws -> [PickleItem] {
    guard let mark = marks.popLast() else {
      throw error("an opcode needs a MARK and there is none", at: start)
    }
    defer { stack.removeSubrange(mark...) }
    return Array(stack[mark...])
  }

  private func take(_ count: Int, at start: Int) throws -> [UInt8] {
    guard count <= bytes.count - position else {
      throw error(
        "truncated: the opcode needs \(count) bytes, the pickle has \(bytes.count - position) left",
        at: start)
    }
    defer { position += count }
    return Array(bytes[position..<(position + count)])
  }

  private func unsigned(_ width: Int, at start: Int) throws -> UInt64 {
    littleEndianValue(try take(width, at: start))
  }

  /// A length field, which must fit in the bytes left.
  private func length(_ width: Int, at start: Int) throws -> Int {
    let value = try unsigned(width, at: start)
    guard value <= UInt64(bytes.count - position) else {
      throw error("a length of \(value) bytes runs past the end of the pickle", at: start)
    }
    return Int(value)
  }

  /// LONG1 / LONG4: a little-endian two's-complement integer of a given number of bytes.
  private func long(lengthWidth: Int, at start: Int) throws -> Int {
    let count = try length(lengthWidth, at: start)
    guard count <= 8 else {
      throw error("an integer of \(count) bytes, larger than 64 bits", at: start)
    }
    let raw = try take(count, at: start)
    guard let last = raw.last else { return 0 }
    let value = littleEndianValue(raw)
    let fill: UInt64 = last & 0x80 != 0 && count < 8 ? ~0 << UInt64(8 * count) : 0
    return Int(Int64(bitPattern: value | fill))
  }

  /// A newline-terminated ASCII line (GLOBAL's operands).
  private func line(at start: Int) throws -> String {
    guard let end = bytes[position...].prefix(256).firstIndex(of: 0x0A) else {
      throw error("GLOBAL without a newline within 256 bytes", at: start)
    }
    defer { position = end + 1 }
    return String(decoding: bytes[position..<end], as: UTF8.self)
  }
}
