/// A forward-only reader of one JSON text in a byte buffer, for the result lines of a trial's
/// result.json: it decodes object keys into a caller's buffer and numbers into values, and skips
/// everything else without building it (no allocation for the usual line). Accepts what
/// ``JSONValue/init(parsing:)-(String)`` accepts, Python's `NaN` and `Infinity` included.
struct ResultLineScanner: JSONTextReader {
    /// A JSON number: exact when written as an integer that fits in 64 bits.
    enum Number {
        case int(Int64)
        case double(Double)

        var doubleValue: Double {
            switch self {
            case .int(let i): return Double(i)
            case .double(let d): return d
            }
        }
    }

    let bytes: UnsafeRawBufferPointer
    /// Where reading stops (the end of the line).
    let end: Int
    var pos: Int
    /// `pos` in the caller's terms (the batch's offset of `bytes`), for errors.
    let base: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, base: Int = 0) {
        self.bytes = bytes
        self.pos = start
        self.end = end
        self.base = base
    }

    func fail(_ message: String) -> JSONError { JSONError(message: message, offset: base + pos) }
    /// The end of the line.
    var limit: Int { end }
    /// The byte at `i`.
    func byte(at i: Int) -> UInt8 { bytes[i] }

    /// The byte at `pos`, or 0 at the end.
    var peek: UInt8 { pos < end ? bytes[pos] : 0 }

    mutating func skipSpace() {
        while pos < end {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0D, 0x0A: pos += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONError) {
        skipSpace()
        guard pos < end, bytes[pos] == byte else { throw fail("expected \(what)") }
        pos += 1
    }

    /// Reads the word at `pos` (`true`, `null`, `NaN`, ...).
    mutating func word(_ text: StaticString) throws(JSONError) {
        let n = text.utf8CodeUnitCount
        guard end - pos >= n else { throw fail("unexpected end of text") }
        let w = text.utf8Start
        for i in 0..<n where bytes[pos + i] != w[i] { throw fail("unexpected character") }
        pos += n
    }

    /// Decodes the string at `pos` (escapes resolved) and appends its UTF-8 bytes to `out`.
    mutating func string(into out: inout [UInt8]) throws(JSONError) {
        pos += 1
        var run = pos  // a run of plain bytes, appended at once
        while run < end, bytes[run] != UInt8(ascii: "\\"), bytes[run] != UInt8(ascii: "\""), bytes[run] >= 0x20 { run += 1 }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[pos..<run]))
        pos = run
        while true {
            guard pos < end else { throw fail("unterminated string") }
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") { pos += 1; return }
            if c < 0x20 { throw fail("control character in string") }
            pos += 1
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            try readEscape(into: &out)
        }
    }


    /// Skips the string at `pos`.
    mutating func skipString() throws(JSONError) {
        pos += 1
        while pos < end {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") { pos += 1; return }
            pos += c == UInt8(ascii: "\\") ? 2 : 1
        }
        throw fail("unterminated string")
    }

    /// Reads the number at `pos` (also `NaN`, `Infinity`, `-Infinity`).
    mutating func number() throws(JSONError) -> Number {
        let start = pos
        if peek == UInt8(ascii: "N") { try word("NaN"); return .double(.nan) }
        if peek == UInt8(ascii: "I") { try word("Infinity"); return .double(.infinity) }
        var negative = false
        if peek == UInt8(ascii: "-") {
            negative = true
            pos += 1
            if peek == UInt8(ascii: "I") { try word("Infinity"); return .double(-.infinity) }
        }
        var digits = 0
        var magnitude: UInt64 = 0
        while pos < end, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
            if digits < 19 { magnitude = magnitude * 10 + UInt64(bytes[pos] - UInt8(ascii: "0")) }
            digits += 1
            pos += 1
        }
        guard digits > 0 else { throw fail("expected a digit") }
        var integer = true
        if peek == UInt8(ascii: ".") {
            integer = false
            pos += 1
            guard peek >= UInt8(ascii: "0"), peek <= UInt8(ascii: "9") else { throw fail("expected a digit after '.'") }
            while pos < end, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            integer = false
            pos += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { pos += 1 }
            guard peek >= UInt8(ascii: "0"), peek <= UInt8(ascii: "9") else { throw fail("expected a digit in the exponent") }
            while pos < end, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") { pos += 1 }
        }
        if integer, digits < 19 {
            return .int(negative ? -Int64(magnitude) : Int64(magnitude))
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        if integer, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw JSONError(message: "bad number \(text)", offset: base + start) }
        return .double(d)
    }

    /// Skips the value at `pos`, whatever it is.
    mutating func skipValue() throws(JSONError) {
        skipSpace()
        switch peek {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["): try skipContainer()
        case UInt8(ascii: "t"): try word("true")
        case UInt8(ascii: "f"): try word("false")
        case UInt8(ascii: "n"): try word("null")
        case 0: throw fail("unexpected end of text")
        default: _ = try number()
        }
    }

    /// Skips an object or array: brackets counted, strings stepped over (the text is checked
    /// no further).
    mutating func skipContainer() throws(JSONError) {
        var depth = 0
        while pos < end {
            switch bytes[pos] {
            case UInt8(ascii: "\""):
                try skipString()
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { pos += 1; return }
            default:
                break
            }
            pos += 1
        }
        throw fail("unexpected end of text in an object or array")
    }
}
