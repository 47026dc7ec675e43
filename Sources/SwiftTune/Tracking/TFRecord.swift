/// The TFRecord framing of TensorBoard's event files: each record is its length (8 bytes,
/// little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the
/// data (4 bytes each, little-endian).
public enum TFRecord {
    /// Bytes a record adds to its data: 8 + 4 before it, 4 after it.
    public static let overhead = 16

    /// Appends one record to `out`, its data written by `data` (which appends to the buffer it
    /// is given): the header is filled in once the data's length is known, so the data is
    /// written in place, with no copy.
    public static func append(to out: inout [UInt8], data: (inout [UInt8]) -> Void) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 12))
        data(&out)
        out.append(contentsOf: repeatElement(0, count: 4))
        out.withUnsafeMutableBytes { frame(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Fills in the framing of a record written in place: `record` is the whole record (12
    /// bytes of header, the data, 4 bytes of trailer) with its data already there.
    static func frame(_ record: UnsafeMutableRawBufferPointer) {
        let length = UInt64(record.count - overhead)
        record.storeBytes(of: length.littleEndian, toByteOffset: 0, as: UInt64.self)
        let lengthCRC = CRC32C.masked(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: record[0..<8])))
        record.storeBytes(of: lengthCRC.littleEndian, toByteOffset: 8, as: UInt32.self)
        let dataCRC = CRC32C.masked(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: record[12..<(record.count - 4)])))
        record.storeBytes(of: dataCRC.littleEndian, toByteOffset: record.count - 4, as: UInt32.self)
    }

    /// Appends one record holding `data`.
    public static func append(_ data: some Collection<UInt8>, to out: inout [UInt8]) {
        append(to: &out) { $0.append(contentsOf: data) }
    }

    /// The records of a TFRecord file's bytes, in order, their checksums verified.
    public static func records(in bytes: [UInt8]) throws(TFRecordError) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var p = 0
        while p < bytes.count {
            guard bytes.count - p >= 12 else { throw TFRecordError(offset: p, message: "a truncated record header") }
            let header = bytes[p..<p + 8]
            var length: UInt64 = 0
            for (i, b) in header.enumerated() { length |= UInt64(b) << (8 * UInt64(i)) }
            guard readLittleEndian(bytes, p + 8) == CRC32C.masked(CRC32C.checksum(header)) else {
                throw TFRecordError(offset: p, message: "the length's checksum does not match")
            }
            guard length <= UInt64(bytes.count - p - 16) else {
                throw TFRecordError(offset: p, message: "a truncated record")
            }
            let data = bytes[(p + 12)..<(p + 12 + Int(length))]
            guard readLittleEndian(bytes, p + 12 + Int(length)) == CRC32C.masked(CRC32C.checksum(data)) else {
                throw TFRecordError(offset: p, message: "the data's checksum does not match")
            }
            out.append(data)
            p += 16 + Int(length)
        }
        return out
    }

    static func readLittleEndian(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}

/// A TFRecord stream that does not read back: where and why.
public struct TFRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The byte offset of the record that failed.
    public var offset: Int
    /// What was wrong.
    public var message: String
    /// The message with its offset.
    public var description: String { "invalid TFRecord at byte \(offset): \(message)" }
}
