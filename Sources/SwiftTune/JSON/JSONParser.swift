/// A malformed JSON text: what was wrong and the byte offset where it was found.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong ("expected ':'", "duplicate key \"a\"", ...).
    public var message: String
    /// The byte offset in the UTF-8 text where it was found.
    public var offset: Int
    /// The message with its offset, for the user.
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSONValue {
    /// Parses UTF-8 JSON text (RFC 8259, plus Python's `NaN`, `Infinity`, `-Infinity`).
    ///
    /// Numbers without a fraction or exponent become `.int` when they fit in 64 bits; all others
    /// `.double`. Duplicate keys in an object are an error. O(length of the text).
    public init(parsing text: String) throws(JSONError) {
        var parser = JSONParser(bytes: Array(text.utf8))
        self = try parser.parseDocument()
    }

    /// Parses UTF-8 JSON bytes; see ``init(parsing:)-(String)``.
    public init(parsing bytes: [UInt8]) throws(JSONError) {
        var parser = JSONParser(bytes: bytes)
        self = try parser.parseDocument()
    }
}

/// A recursive-descent parser over UTF-8 bytes; `pos` is the offset errors report.
struct JSONParser: JSONTextReader {
    let bytes: [UInt8]
    var pos = 0
    /// How many arrays and objects enclose `pos`.
    var depth = 0
    /// Deeper nesting is an error rather than a stack overflow of the recursive descent; 512
    /// levels is far beyond any state or space swifttune writes.
    static let maxDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String) -> JSONError { JSONError(message: message, offset: pos) }
    /// The end of the text.
    var limit: Int { bytes.count }
    /// The byte at `i`.
    func byte(at i: Int) -> UInt8 { bytes[i] }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipSpace()
        let value = try parseValue()
        skipSpace()
        if pos != bytes.count { throw fail("unexpected text after the value") }
        return value
    }

    mutating func skipSpace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    mutating func expectWord(_ word: String, _ value: JSONValue) throws(JSONError) -> JSONValue {
        let w = Array(word.utf8)
        guard pos + w.count <= bytes.count, Array(bytes[pos..<pos + w.count]) == w else {
            throw fail("unexpected character")
        }
        pos += w.count
        return value
    }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard pos < bytes.count else { throw fail("unexpected end of text") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expectWord("true", .bool(true))
        case UInt8(ascii: "f"): return try expectWord("false", .bool(false))
        case UInt8(ascii: "n"): return try expectWord("null", .null)
        case UInt8(ascii: "N"): return try expectWord("NaN", .double(.nan))
        case UInt8(ascii: "I"): return try expectWord("Infinity", .double(.infinity))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    mutating func enter() throws(JSONError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth)") }
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enter()
        pos += 1
        var members: [(String, JSONValue)] = []
        var seen = Set<String>()  // filled once an object has many members; small ones are scanned
        skipSpace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let keyOffset = pos
            let key = try parseString()
            let duplicate: Bool
            if members.count < 24 {
                duplicate = members.contains { $0.0 == key }
            } else {
                if seen.isEmpty { seen = Set(members.map(\.0)) }
                duplicate = !seen.insert(key).inserted
            }
            if duplicate { throw JSONError(message: "duplicate key \"\(key)\"", offset: keyOffset) }
            skipSpace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            pos += 1
            skipSpace()
            members.append((key, try parseValue()))
            skipSpace()
            guard pos < bytes.count else { throw fail("unexpected end of text in an object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; break }
            throw fail("expected ',' or '}'")
        }
        depth -= 1
        return .object(members)
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enter()
        pos += 1
        var items: [JSONValue] = []
        skipSpace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try parseValue())
            skipSpace()
            guard pos < bytes.count else { throw fail("unexpected end of text in an array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; break }
            throw fail("expected ',' or ']'")
        }
        depth -= 1
        return .array(items)
    }


    mutating func parseString() throws(JSONError) -> String {
        pos += 1  // opening quote
        // Fast path: a string without escapes is made from the text's bytes directly.
        var end = pos
        while end < bytes.count {
            let c = bytes[end]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let start = pos
            let made = bytes.withUnsafeBufferPointer { b in
                String(validating: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
            }
            guard let made else { throw fail("invalid UTF-8 in string") }
            pos = end + 1
            return made
        }
        var out: [UInt8] = Array(bytes[pos..<end])
        pos = end
        while true {
            guard pos < bytes.count else { throw fail("unterminated string") }
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") { pos += 1; break }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                pos += 1
                continue
            }
            pos += 1
            try readEscape(into: &out)
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        return s
    }

    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = pos
        if bytes[pos] == UInt8(ascii: "-") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "I") {
                _ = try expectWord("Infinity", .null)
                return .double(-.infinity)
            }
        }
        var isInteger = true
        func digits(_ p: inout Int, _ b: [UInt8]) -> Int {
            let s = p
            while p < b.count, b[p] >= UInt8(ascii: "0"), b[p] <= UInt8(ascii: "9") { p += 1 }
            return p - s
        }
        let intStart = pos
        let n = digits(&pos, bytes)
        if n == 0 { throw fail("expected a digit") }
        if n > 1, bytes[intStart] == UInt8(ascii: "0") { throw JSONError(message: "leading zero in a number", offset: intStart) }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            if digits(&pos, bytes) == 0 { throw fail("expected a digit after '.'") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            if digits(&pos, bytes) == 0 { throw fail("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw JSONError(message: "bad number \(text)", offset: start) }
        return .double(d)
    }
}

