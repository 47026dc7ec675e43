/// Protocol-buffer wire encoding (proto3) of the field kinds TensorBoard's event files use:
/// varints, 64-bit doubles, 32-bit floats and length-delimited bytes, strings and messages.
/// Each function appends one field (its key, then its value) to a byte buffer. Proto3 leaves
/// fields at their default out; callers decide (a field of a `oneof` is written even then).
public enum Protobuf {
    /// Wire type 0: varint (int32, int64, bool, enum).
    public static let varintType: UInt8 = 0
    /// Wire type 1: 8 bytes little-endian (double, fixed64).
    public static let fixed64Type: UInt8 = 1
    /// Wire type 2: a varint length, then that many bytes (string, bytes, messages).
    public static let lengthType: UInt8 = 2
    /// Wire type 5: 4 bytes little-endian (float, fixed32).
    public static let fixed32Type: UInt8 = 5

    /// Appends `value` as a base-128 varint, least significant group first.
    @inline(__always)
    public static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// The number of bytes `appendVarint` writes for `value` (1 to 10).
    @inline(__always)
    public static func varintSize(_ value: UInt64) -> Int {
        var n = 1
        var v = value >> 7
        while v != 0 { n += 1; v >>= 7 }
        return n
    }

    /// Appends a field's key: its number and wire type.
    @inline(__always)
    public static func appendKey(_ field: Int, _ wireType: UInt8, to out: inout [UInt8]) {
        appendVarint(UInt64(field) << 3 | UInt64(wireType), to: &out)
    }

    /// Appends a `double` field.
    public static func appendDouble(_ field: Int, _ value: Double, to out: inout [UInt8]) {
        appendKey(field, fixed64Type, to: &out)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    /// Appends a `float` field.
    public static func appendFloat(_ field: Int, _ value: Float, to out: inout [UInt8]) {
        appendKey(field, fixed32Type, to: &out)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
    }

    /// Appends an `int64` (or non-negative `int32`, `enum`, `bool`) field; negative numbers take
    /// ten bytes, as in every protocol-buffer library.
    public static func appendInt64(_ field: Int, _ value: Int64, to out: inout [UInt8]) {
        appendKey(field, varintType, to: &out)
        appendVarint(UInt64(bitPattern: value), to: &out)
    }

    /// Appends a `bytes` field (or an already encoded message).
    public static func appendBytes(_ field: Int, _ data: some Collection<UInt8>, to out: inout [UInt8]) {
        appendKey(field, lengthType, to: &out)
        appendVarint(UInt64(data.count), to: &out)
        out.append(contentsOf: data)
    }

    /// Appends a `string` field (its UTF-8 bytes).
    public static func appendString(_ field: Int, _ text: String, to out: inout [UInt8]) {
        appendBytes(field, Array(text.utf8), to: &out)
    }

    /// Appends a message field whose fields `body` writes (into a buffer of its own, whose
    /// length then goes first).
    public static func appendMessage(_ field: Int, to out: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        var inner: [UInt8] = []
        body(&inner)
        appendBytes(field, inner, to: &out)
    }
}
