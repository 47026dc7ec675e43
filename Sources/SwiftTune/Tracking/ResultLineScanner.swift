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

    /// The text as bytes.
    var text: UnsafeBufferPointer<UInt8> { bytes.assumingMemoryBound(to: UInt8.self) }

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
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[pos..<run]))
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


    /// Reads the string at `pos` as an object's key: the range of its bytes in the text when it
    /// has no escapes, else nil with its decoded bytes in `decoded` (replacing what it held).
    mutating func key(decodingEscapesInto decoded: inout [UInt8]) throws(JSONError) -> Range<Int>? {
        let quote = pos
        pos += 1
        while pos < end {
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return (quote + 1)..<(pos - 1)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            pos += 1
        }
        pos = quote
        decoded.removeAll(keepingCapacity: true)
        try string(into: &decoded)
        return nil
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

    /// A JSON number as read, not yet converted: its sign, its first 19 significant digits as an
    /// integer, and the power of ten they are scaled by.
    struct NumberParts {
        /// Where the number's text starts and ends in the buffer.
        var start: Int
        var end: Int
        /// `NaN`, `Infinity` or `-Infinity`, which carry no digits.
        var special: Double?
        var negative = false
        /// The first (up to) 19 significant digits.
        var significand: UInt64 = 0
        /// The value is `significand` x 10^`exponent` (when not `truncated`).
        var exponent = 0
        /// More than 19 significant digits: `significand` lost some.
        var truncated = false
        /// Written without a fraction or an exponent.
        var integer = true
        /// The count of digits before the point or exponent (an integer's digits).
        var integerDigits = 0
    }

    /// Powers of ten a double holds exactly (10^0 ... 10^22).
    static let exactPowersOfTen: [Double] = (0...22).map { (0..<$0).reduce(1.0) { acc, _ in acc * 10 } }

    /// Reads the number at `pos` (also `NaN`, `Infinity`, `-Infinity`) without converting it.
    mutating func numberParts() throws(JSONError) -> NumberParts {
        var n = NumberParts(start: pos, end: pos)
        if peek == UInt8(ascii: "N") { try word("NaN"); n.special = .nan; n.end = pos; return n }
        if peek == UInt8(ascii: "I") { try word("Infinity"); n.special = .infinity; n.end = pos; return n }
        if peek == UInt8(ascii: "-") {
            n.negative = true
            pos += 1
            if peek == UInt8(ascii: "I") { try word("Infinity"); n.special = -.infinity; n.end = pos; return n }
        }
        var kept = 0  // significant digits in `significand`
        var dropped = 0  // integer digits past the 19th, which scale it up
        while pos < end, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
            let d = bytes[pos] - UInt8(ascii: "0")
            if kept < 19 {
                n.significand = n.significand * 10 + UInt64(d)
                if n.significand != 0 { kept += 1 }
            } else {
                dropped += 1
                if d != 0 { n.truncated = true }
            }
            n.integerDigits += 1
            pos += 1
        }
        guard n.integerDigits > 0 else { throw fail("expected a digit") }
        var exponent = dropped
        if peek == UInt8(ascii: ".") {
            n.integer = false
            pos += 1
            guard peek >= UInt8(ascii: "0"), peek <= UInt8(ascii: "9") else { throw fail("expected a digit after '.'") }
            while pos < end, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
                let d = bytes[pos] - UInt8(ascii: "0")
                if kept < 19 {
                    n.significand = n.significand * 10 + UInt64(d)
                    if n.significand != 0 { kept += 1 }
                    exponent -= 1
                } else if d != 0 {
                    n.truncated = true
                }
                pos += 1
            }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            n.integer = false
            pos += 1
            var negativeExponent = false
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") {
                negativeExponent = peek == UInt8(ascii: "-")
                pos += 1
            }
            guard peek >= UInt8(ascii: "0"), peek <= UInt8(ascii: "9") else { throw fail("expected a digit in the exponent") }
            var written = 0
            while pos < end, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
                if written < 100_000 { written = written * 10 + Int(bytes[pos] - UInt8(ascii: "0")) }
                pos += 1
            }
            exponent += negativeExponent ? -written : written
        }
        n.exponent = exponent
        n.end = pos
        return n
    }

    /// Reads the number at `pos` (also `NaN`, `Infinity`, `-Infinity`), exactly: an integer of
    /// fewer than 19 digits as itself, anything else as the nearest double (`Double(text)`).
    mutating func number() throws(JSONError) -> Number {
        let n = try numberParts()
        if let special = n.special { return .double(special) }
        if n.integer, n.integerDigits < 19 {
            return .int(n.negative ? -Int64(n.significand) : Int64(n.significand))
        }
        // Clinger's fast path: both the significand and the power of ten are exact doubles, so
        // one correctly rounded operation gives the nearest double.
        if !n.integer, n.significand <= 1 << 53, let d = Self.scaled(n) { return .double(n.negative ? -d : d) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[n.start..<n.end]), as: UTF8.self)
        if n.integer, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw JSONError(message: "bad number \(text)", offset: base + n.start) }
        return .double(d)
    }

    /// Reads the number at `pos` as the 32-bit float TensorBoard's `simple_value` holds:
    /// `Float(Double(text))`, the double rounded once more, as Python's float goes into the
    /// protocol buffer. Most numbers take a fast path: the significand scaled by an exact power
    /// of ten is within 2^-52 of the value, so when both ends of a 2^-50 interval around it round
    /// to the same float, that is the float of the correctly rounded double too (rounding is
    /// monotonic); otherwise the exact double is rounded.
    mutating func float() throws(JSONError) -> Float {
        let n = try numberParts()
        if let special = n.special { return Float(special) }
        if let d = Self.scaled(n) {
            if n.significand <= 1 << 53 { return Float(n.negative ? -d : d) }  // d is exact (Clinger)
            let lo = Float(d * (1 - 0x1p-50)), hi = Float(d * (1 + 0x1p-50))
            if lo == hi { return n.negative ? -lo : lo }
        }
        pos = n.start
        return Float(try number().doubleValue)
    }

    /// The magnitude of `n` as one operation on doubles: the significand times or divided by an
    /// exact power of ten (the nearest double when the significand is at most 2^53); nil when
    /// digits were dropped or the power is beyond 10^22.
    static func scaled(_ n: NumberParts) -> Double? {
        guard !n.truncated, n.exponent.magnitude <= 22 else { return nil }
        let p = exactPowersOfTen[Int(n.exponent.magnitude)]
        let m = Double(n.significand)
        return n.exponent < 0 ? m / p : m * p
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
        default: _ = try numberParts()
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
