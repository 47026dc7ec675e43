/// TensorBoard's `Event` messages, each one TFRecord of an event file, as tensorboardX writes
/// them (its event.proto: `wall_time` = 1, `step` = 2, `file_version` = 3, `summary` = 5; a
/// `Summary` is `repeated Value value = 1`, a `Value` has `tag` = 1 and `simple_value` = 2).
/// `wall_time` and `step` are left out when 0, as proto3 does.
public enum TensorBoardEvent {
    /// The version tensorboardX's first event of every file names.
    public static let fileVersion = "brain.Event:2"

    /// Appends the event every event file starts with: `wall_time` and `file_version`.
    public static func appendFileVersion(wallTime: Double, to out: inout [UInt8]) {
        TFRecord.append(to: &out) { data in
            if wallTime != 0 { Protobuf.appendDouble(1, wallTime, to: &data) }
            Protobuf.appendString(3, fileVersion, to: &data)
        }
    }

    /// Appends an event carrying `summary`, an encoded `Summary` message (tensorboardX's
    /// histograms, images and hparams are such messages), at `wallTime` and `step`.
    public static func appendSummary(_ summary: some Collection<UInt8>, wallTime: Double, step: Int64,
                                     to out: inout [UInt8]) {
        TFRecord.append(to: &out) { data in
            appendHead(wallTime: wallTime, step: step, to: &data)
            Protobuf.appendBytes(5, summary, to: &data)
        }
    }

    /// Appends an event with one scalar, as tensorboardX's `add_scalar` writes it: `Summary`
    /// with one `Value` of `tag` (UTF-8 bytes, already clean: ``SummaryTag``) and `value`.
    /// The sizes are known before the bytes: the whole record is written in a scratch buffer on
    /// the stack, checksummed there and appended at once.
    public static func appendScalar(tag: UnsafeRawBufferPointer, value: Float, wallTime: Double, step: Int64,
                                    to out: inout [UInt8]) {
        let valueSize = 1 + Protobuf.varintSize(UInt64(tag.count)) + tag.count + 5
        let summarySize = 1 + Protobuf.varintSize(UInt64(valueSize)) + valueSize
        let stepBits = UInt64(bitPattern: step)
        let headSize = (wallTime != 0 ? 9 : 0) + (step != 0 ? 1 + Protobuf.varintSize(stepBits) : 0)
        let dataSize = headSize + 1 + Protobuf.varintSize(UInt64(summarySize)) + summarySize
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TFRecord.overhead + dataSize) { buffer in
            let record = UnsafeMutableRawBufferPointer(buffer)
            var w = RawByteWriter(record, at: 12)
            if wallTime != 0 {
                w.byte(1 << 3 | Protobuf.fixed64Type)
                w.littleEndian(wallTime.bitPattern)
            }
            if step != 0 {
                w.byte(2 << 3 | Protobuf.varintType)
                w.varint(stepBits)
            }
            w.byte(5 << 3 | Protobuf.lengthType)  // Event.summary
            w.varint(UInt64(summarySize))
            w.byte(1 << 3 | Protobuf.lengthType)  // Summary.value
            w.varint(UInt64(valueSize))
            w.byte(1 << 3 | Protobuf.lengthType)  // Value.tag
            w.varint(UInt64(tag.count))
            w.bytes(tag)
            w.byte(2 << 3 | Protobuf.fixed32Type)  // Value.simple_value
            w.littleEndian(value.bitPattern)
            TFRecord.frame(record)
            out.append(contentsOf: UnsafeBufferPointer(buffer))
        }
    }

    /// Appends a scalar event with a `String` tag (cleaned here).
    public static func appendScalar(tag: String, value: Float, wallTime: Double, step: Int64, to out: inout [UInt8]) {
        let clean = SummaryTag.clean(Array(tag.utf8))
        clean.withUnsafeBytes { appendScalar(tag: $0, value: value, wallTime: wallTime, step: step, to: &out) }
    }

    static func appendHead(wallTime: Double, step: Int64, to data: inout [UInt8]) {
        if wallTime != 0 { Protobuf.appendDouble(1, wallTime, to: &data) }
        if step != 0 { Protobuf.appendInt64(2, step, to: &data) }
    }
}

/// Writes bytes into a buffer known to be large enough (sizes computed beforehand).
struct RawByteWriter {
    let buffer: UnsafeMutableRawBufferPointer
    var pos: Int

    init(_ buffer: UnsafeMutableRawBufferPointer, at pos: Int) {
        self.buffer = buffer
        self.pos = pos
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        buffer[pos] = b
        pos += 1
    }

    @inline(__always) mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            byte(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        byte(UInt8(v))
    }

    @inline(__always) mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        buffer.storeBytes(of: value.littleEndian, toByteOffset: pos, as: T.self)
        pos += MemoryLayout<T>.size
    }

    @inline(__always) mutating func bytes(_ data: UnsafeRawBufferPointer) {
        UnsafeMutableRawBufferPointer(rebasing: buffer[pos..<(pos + data.count)]).copyMemory(from: data)
        pos += data.count
    }
}
