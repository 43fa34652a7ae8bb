/// CRC-32C (Castagnoli: the reflected polynomial 0x82F63B78), the checksum of TensorBoard's
/// record framing, computed with a 256-entry table.
enum CRC32C {
  /// The remainder of each byte value, one table lookup per byte of input.
  static let table: [UInt32] = (0..<256).map { byte in
    var remainder = UInt32(byte)
    for _ in 0..<8 {
      remainder = remainder & 1 == 1 ? (remainder >> 1) ^ 0x82F6_3B78 : remainder >> 1
    }
    return remainder
  }

  /// The CRC-32C of `bytes`: `checksum(Array("123456789".utf8)) == 0xE306_9283`.
  static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
    }
    return crc ^ 0xFFFF_FFFF
  }

  /// The checksum as TensorBoard (and TFRecord) stores it: rotated right by 15 bits and offset,
  /// so that a CRC of data that itself holds CRCs is not trivially zero.
  static func masked(_ bytes: some Sequence<UInt8>) -> UInt32 {
    let crc = checksum(bytes)
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
  }
}
