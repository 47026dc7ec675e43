/// A reader of JSON text at a position (swifttune's parser, the TensorBoard result-line
/// scanner): what the two share, the decoding of a string's escapes, is written once here.
protocol JSONTextReader {
    /// The index of the next byte to read.
    var pos: Int { get set }
    /// The index one past the last byte that may be read.
    var limit: Int { get }
    /// The byte at `i` (`i < limit`).
    func byte(at i: Int) -> UInt8
    /// An error at the current position.
    func fail(_ message: String) -> JSONError
}

extension JSONTextReader {
    /// Decodes the escape after a backslash (at `pos`, the backslash already read) and appends
    /// its UTF-8 bytes to `out`: the one-letter escapes and `\uXXXX`, surrogate pairs joined (a
    /// lone surrogate is an error, as in RFC 8259's strings of Unicode scalars).
    mutating func readEscape(into out: inout [UInt8]) throws(JSONError) {
        guard pos < limit else { throw fail("unterminated escape") }
        let e = byte(at: pos)
        pos += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800..<0xDC00).contains(scalar) {
                guard pos + 2 <= limit, byte(at: pos) == UInt8(ascii: "\\"), byte(at: pos + 1) == UInt8(ascii: "u")
                else { throw fail("unpaired surrogate in \\u escape") }
                pos += 2
                let low = try hexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw fail("unpaired surrogate in \\u escape")
            }
            guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
            out.append(contentsOf: Array(String(Character(u)).utf8))
        default: throw fail("invalid escape")
        }
    }

    /// The four hexadecimal digits of a `\u` escape at `pos`, read.
    mutating func hexQuad() throws(JSONError) -> UInt32 {
        guard limit - pos >= 4 else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for i in pos..<pos + 4 {
            let c = byte(at: i)
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("bad hex digit in \\u escape")
            }
            v = v * 16 + d
        }
        pos += 4
        return v
    }
}
