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
    /// Written straight into `out` (the sizes are known before the bytes).
    public static func appendScalar(tag: UnsafeRawBufferPointer, value: Float, wallTime: Double, step: Int64,
                                    to out: inout [UInt8]) {
        let valueSize = 1 + Protobuf.varintSize(UInt64(tag.count)) + tag.count + 5
        TFRecord.append(to: &out) { data in
            appendHead(wallTime: wallTime, step: step, to: &data)
            Protobuf.appendKey(5, Protobuf.lengthType, to: &data)
            Protobuf.appendVarint(UInt64(1 + Protobuf.varintSize(UInt64(valueSize)) + valueSize), to: &data)
            Protobuf.appendKey(1, Protobuf.lengthType, to: &data)  // Summary.value
            Protobuf.appendVarint(UInt64(valueSize), to: &data)
            Protobuf.appendKey(1, Protobuf.lengthType, to: &data)  // Value.tag
            Protobuf.appendVarint(UInt64(tag.count), to: &data)
            data.append(contentsOf: tag)
            Protobuf.appendFloat(2, value, to: &data)  // Value.simple_value
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
