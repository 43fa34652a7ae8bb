import Foundation
import Testing

@testable import NablaTraining

/// A fresh empty directory under the system's temporary directory.
private func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("nabla-logging-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// The text of the file at `url`.
private func contents(_ url: URL) throws -> String {
  String(decoding: try Data(contentsOf: url), as: UTF8.self)
}

@Suite struct CRC32CTests {
  @Test func matchesTheCheckValue() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8]()) == 0)
    // RFC 3720 (iSCSI), B.4: 32 bytes of zeros.
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
  }

  @Test func masksAsTensorBoard() {
    let crc = CRC32C.checksum(Array("123456789".utf8))
    #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    // The first record of the Python fixture frames 72 bytes: its header's checksum.
    #expect(CRC32C.masked(EventRecord.littleEndianBytes(UInt64(72))) == 0x9D48_92FE)
  }
}

@Suite struct TextLoggerTests {
  @Test func csvHasAHeaderAndQuotesNames() throws {
    let url = try temporaryDirectory().appendingPathComponent("scalars.csv")
    let log = try CSVLogger(path: url.path)
    try log.log("loss", 0.5, step: 1)
    try log.log(["a,b": 1e-5, "say \"hi\"": 3, "two\nlines": .nan], step: 2)
    try log.close()
    #expect(
      try contents(url) == """
        step,name,value
        1,loss,0.5
        2,"a,b",1e-05
        2,"say ""hi\""",3.0
        2,"two
        lines",nan

        """)
  }

  @Test func jsonLinesEscapeNamesAndWriteNullForNonFiniteValues() throws {
    let url = try temporaryDirectory().appendingPathComponent("scalars.jsonl")
    let log = try JSONLinesLogger(url: url)
    try log.log("loss", 0.25, step: 10)
    try log.log("q\"b\\s/\n\t\u{1}é", .infinity, step: -1)
    try log.close()
    let expected = #"""
      {"step":10,"name":"loss","value":0.25}
      {"step":-1,"name":"q\"b\\s/\n\t\u0001é","value":null}

      """#
    #expect(try contents(url) == expected)
    let second = try contents(url).split(separator: "\n")[1]
    let object = try JSONSerialization.jsonObject(with: Data(second.utf8)) as? [String: Any]
    #expect(object?["name"] as? String == "q\"b\\s/\n\t\u{1}é")
  }

  @Test func flushWritesWithoutClosing() throws {
    let url = try temporaryDirectory().appendingPathComponent("scalars.csv")
    let log = try CSVLogger(url: url)
    try log.log("loss", 2, step: 1)
    try log.flush()
    #expect(try contents(url) == "step,name,value\n1,loss,2.0\n")
    try log.close()
    try log.close()  // a second close does nothing
    #expect(throws: LogFileError.self) { try log.log("loss", 1, step: 2) }
  }

  @Test func aMissingDirectoryThrowsAnErrorNamingTheFile() throws {
    let url = try temporaryDirectory().appendingPathComponent("missing/scalars.csv")
    let error = #expect(throws: LogFileError.self) { try CSVLogger(url: url) }
    #expect(error?.description.hasPrefix(url.path + ": cannot be opened for writing") == true)
  }
}

@Suite struct TensorBoardTests {
  @Test func readsTheFileTensorBoardWrote() throws {
    let resources = try #require(Bundle.module.resourceURL)
    let events = try TensorBoardLogger.events(
      inFile: resources.appendingPathComponent("Fixtures/python.tfevents"))
    #expect(events.count == 9)
    #expect(events[0].fileVersion == "brain.Event:2" && events[0].scalars.isEmpty)
    for step in 1...5 {
      let event = events[step]
      #expect(event.step == Int64(step) && event.wallTime == 1_700_000_000 + Double(step))
      #expect(
        event.scalars == [
          .init(tag: "train/loss", value: 1 / Float(step)),
          .init(tag: "test/accuracy", value: 90 + Float(step)),
        ])
    }
    #expect(events[6].step == -3 && events[6].scalars == [.init(tag: "negative", value: -2.5)])
    #expect(events[7].scalars == [.init(tag: "with metadata", value: 7.25)])
    #expect(events[8].scalars == [.init(tag: "ünï/λ", value: 0.125)])
  }

  @Test func writtenEventsReadBack() throws {
    let directory = try temporaryDirectory().appendingPathComponent("runs/a")
    var now = 1_700_000_000.5
    let board = try TensorBoardLogger(directory: directory, clock: { now })
    now += 1
    try board.log("train/loss", 0.75, step: 1)
    try board.log(["test/accuracy": 93.5, "λ": -1e-3], step: 1 << 40)
    try board.close()
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    var host = [CChar](repeating: 0, count: 256)
    gethostname(&host, 255)
    let hostName = String(
      decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    #expect(files == ["events.out.tfevents.1700000000.\(hostName)"])
    #expect(
      try TensorBoardLogger.events(inFile: board.url) == [
        .init(wallTime: 1_700_000_000.5, step: 0, fileVersion: "brain.Event:2"),
        .init(wallTime: 1_700_000_001.5, step: 1, scalars: [.init(tag: "train/loss", value: 0.75)]),
        .init(
          wallTime: 1_700_000_001.5, step: 1 << 40,
          scalars: [.init(tag: "test/accuracy", value: 93.5)]),
        .init(wallTime: 1_700_000_001.5, step: 1 << 40, scalars: [.init(tag: "λ", value: -1e-3)]),
      ])
  }

  @Test func aSecondLoggerInTheSameSecondGetsItsOwnFile() throws {
    let directory = try temporaryDirectory()
    let first = try TensorBoardLogger(directory: directory, clock: { 1_700_000_000 })
    let second = try TensorBoardLogger(directory: directory, clock: { 1_700_000_000 })
    #expect(first.url != second.url && second.url.lastPathComponent.hasSuffix(".1"))
  }

  @Test func corruptRecordsThrowWithTheirOffset() throws {
    let directory = try temporaryDirectory()
    let board = try TensorBoardLogger(directory: directory)
    try board.log("loss", 1, step: 1)
    try board.close()
    var bytes = Array(try Data(contentsOf: board.url))
    bytes[bytes.count - 5] ^= 1  // the last byte of the second record's data
    let corrupt = directory.appendingPathComponent("corrupt.tfevents")
    try Data(bytes).write(to: corrupt)
    let error = #expect(throws: LogFileError.self) { try TensorBoardLogger.events(inFile: corrupt) }
    // The first record frames 26 bytes (wall_time 9, step 2, file_version 15): 42 in all.
    #expect(error?.problem == "byte 42: the data's checksum does not match")
    let truncated = directory.appendingPathComponent("truncated.tfevents")
    try Data(bytes.dropLast(3)).write(to: truncated)
    #expect(throws: LogFileError.self) { try TensorBoardLogger.events(inFile: truncated) }
  }

  @Test func encodesFieldsAsProtobuf() {
    // wall_time 1.0 (field 1, fixed64), step 300 (field 2, varint), summary (field 5).
    let event = TensorBoardEvent(wallTime: 1, step: 300, scalars: [.init(tag: "a", value: 1)])
    #expect(
      event.encoded == [
        0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0xAC, 0x02, 0x2A, 0x0A, 0x0A, 0x08, 0x0A, 0x01,
        0x61, 0x15, 0, 0, 0x80, 0x3F,
      ])
    var negative = ProtobufWriter()
    negative.appendInt64(2, -1)
    #expect(negative.bytes == [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
  }
}
