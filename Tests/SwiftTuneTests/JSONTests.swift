import Testing
import SwiftTune

/// JSONValue, its parser and its writer.
@Suite struct JSONTests {
    static func parse(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

    static func parseError(_ text: String) -> JSONError? {
        do { _ = try JSONValue(parsing: text); return nil } catch { return error }
    }

    static func parseError(bytes: [UInt8]) -> JSONError? {
        do { _ = try JSONValue(parsing: bytes); return nil } catch { return error }
    }

    // MARK: round trips

    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e","f":[]},"g":{},"h":-2.5,"i":"x"}"#,
        "[]", "{}", "0", "-7", "1.5", #""""#, "true", "false", "null", "[[[]],[{}]]",
        #"[1,1.0,-0.0,1e-300,1e+16,"é😀"]"#,
        #"{"z":{"y":{"x":[1,{"w":null}]}}}"#,
    ])
    func compactTextRoundTrip(text: String) throws {
        let value = try Self.parse(text)
        #expect(value.serialized() == text)
        #expect(value.description == text)
        #expect(try Self.parse(value.serialized()) == value)
    }

    @Test func prettyPrinting() throws {
        let value: JSONValue = ["a": 1, "b": [true, nil], "c": [:], "d": [], "e": ["f": "g"]]
        let expected = """
            {
              "a": 1,
              "b": [
                true,
                null
              ],
              "c": {},
              "d": [],
              "e": {
                "f": "g"
              }
            }
            """
        #expect(value.serialized(pretty: true) == expected)
        #expect(try Self.parse(expected) == value)
        #expect(value.serialized() == #"{"a":1,"b":[true,null],"c":{},"d":[],"e":{"f":"g"}}"#)
    }

    @Test func whitespaceIsSkipped() throws {
        let value = try Self.parse(" \t\r\n{ \"a\" :\n[ 1 ,\t2 ] ,\"b\":{ } }\n ")
        #expect(value == ["a": [1, 2], "b": [:]])
    }

    @Test func literalsBuildTheExpectedCases() {
        let value: JSONValue = ["n": nil, "b": false, "i": 3, "d": 3.0, "s": "x", "a": [1], "o": ["k": 1]]
        #expect(value == .object([
            ("n", .null), ("b", .bool(false)), ("i", .int(3)), ("d", .double(3)), ("s", .string("x")),
            ("a", .array([.int(1)])), ("o", .object([("k", .int(1))])),
        ]))
    }

    // MARK: numbers

    @Test func integersAndDoublesStayDistinct() throws {
        #expect(try Self.parse("1") == .int(1))
        #expect(try Self.parse("1.0") == .double(1))
        #expect(try Self.parse("1") != Self.parse("1.0"))
        #expect(JSONValue.int(1) != JSONValue.double(1))
        #expect(try Self.parse("-0") == .int(0))
        #expect(try Self.parse("2.50") == .double(2.5))
        // An exponent makes a double, even when the value is integral.
        #expect(try Self.parse("1e3") == .double(1000))
        #expect(try Self.parse("1E3") == .double(1000))
        #expect(try Self.parse("1e+3") == .double(1000))
        #expect(try Self.parse("10e-1") == .double(1))
        // Integral doubles are written with a marker so they read back as doubles.
        #expect(JSONValue.double(1).serialized() == "1.0")
        #expect(JSONValue.double(1000).serialized() == "1000.0")
        #expect(JSONValue.double(-3).serialized() == "-3.0")
        #expect(JSONValue.int(1000).serialized() == "1000")
        #expect(JSONValue.int(-3).serialized() == "-3")
        #expect(JSONValue.double(1e16).serialized() == "1e+16")
        #expect(try Self.parse(JSONValue.double(1e16).serialized()) == .double(1e16))
        #expect(try Self.parse("[1,1.0]") == [.int(1), .double(1)])
    }

    @Test func largeIntegers() throws {
        #expect(try Self.parse("9223372036854775807") == .int(.max))
        #expect(try Self.parse("-9223372036854775808") == .int(.min))
        #expect(JSONValue.int(.max).serialized() == "9223372036854775807")
        #expect(JSONValue.int(.min).serialized() == "-9223372036854775808")
        // One past the 64-bit range: a double.
        #expect(try Self.parse("9223372036854775808") == .double(9_223_372_036_854_775_808.0))
        #expect(try Self.parse("-9223372036854775809") == .double(-9_223_372_036_854_775_808.0))
        #expect(try Self.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
    }

    @Test func numberAccessors() {
        #expect(JSONValue.int(7).doubleValue == 7)
        #expect(JSONValue.double(2.5).doubleValue == 2.5)
        #expect(JSONValue.string("1").doubleValue == nil)
        #expect(JSONValue.bool(true).doubleValue == nil)
        #expect(JSONValue.int(7).intValue == 7)
        #expect(JSONValue.double(3).intValue == 3)
        #expect(JSONValue.double(-3).intValue == -3)
        #expect(JSONValue.double(3.5).intValue == nil)
        #expect(JSONValue.double(.nan).intValue == nil)
        #expect(JSONValue.double(.infinity).intValue == nil)
        #expect(JSONValue.double(1e19).intValue == nil)
        #expect(JSONValue.null.intValue == nil)
        #expect(JSONValue.int(0).isNumber && JSONValue.double(0).isNumber)
        #expect(!JSONValue.string("0").isNumber && !JSONValue.null.isNumber)
        #expect(JSONValue.string("s").stringValue == "s")
        #expect(JSONValue.int(1).stringValue == nil)
        #expect(JSONValue.array([1]).arrayValue == [1])
        #expect(JSONValue.object([]).arrayValue == nil)
        #expect(JSONValue.object([("a", 1)]).objectValue?.map(\.0) == ["a"])
        #expect(JSONValue.array([]).objectValue == nil)
        let o: JSONValue = ["a": 1, "b": nil]
        #expect(o["a"] == .int(1))
        #expect(o["b"] == .some(.null))
        #expect(o["c"] == nil)
        #expect(JSONValue.array([1])["a"] == nil)
    }

    @Test(arguments: [
        (0.1, "0.1"),
        (1.0 / 3.0, "0.3333333333333333"),
        (1e-300, "1e-300"),
        (Double.leastNonzeroMagnitude, "5e-324"),
        (-0.0, "-0.0"),
        (0.1 + 0.2, "0.30000000000000004"),
        (2.2250738585072014e-308, "2.2250738585072014e-308"),
        (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"),
        (-1.5e200, "-1.5e+200"),
        (123456789.125, "123456789.125"),
        (Double.pi, "3.141592653589793"),
    ])
    func shortestExactDoubles(value: Double, text: String) throws {
        let written = JSONValue.double(value).serialized()
        #expect(written == text)
        let back = try Self.parse(written)
        guard case .double(let d) = back else {
            Issue.record("\(written) did not read back as a double: \(back)")
            return
        }
        #expect(d.bitPattern == value.bitPattern)
    }

    @Test func randomDoublesRoundTripBitExactly() throws {
        var rng = Xoshiro256(seed: 2024)
        var checked = 0
        while checked < 2000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            checked += 1
            let text = JSONValue.array([.double(d)]).serialized()
            guard case .array(let items) = try Self.parse(text), items.count == 1, case .double(let back) = items[0] else {
                Issue.record("\(text) did not read back as [double]")
                return
            }
            #expect(back.bitPattern == d.bitPattern, "\(text)")
        }
    }

    // MARK: non-finite numbers

    @Test func nonFiniteTokens() throws {
        let nan = try Self.parse("NaN")
        guard case .double(let d) = nan else { Issue.record("NaN is \(nan)"); return }
        #expect(d.isNaN)
        #expect(try Self.parse("Infinity") == .double(.infinity))
        #expect(try Self.parse("-Infinity") == .double(-.infinity))
        #expect(try Self.parse("[NaN, Infinity, -Infinity]").serialized() == "[NaN,Infinity,-Infinity]")
        #expect(JSONValue.double(.nan).serialized() == "NaN")
        #expect(JSONValue.double(.infinity).serialized() == "Infinity")
        #expect(JSONValue.double(-.infinity).serialized() == "-Infinity")
        // NaN equals NaN as a JSON value (so states with NaN compare equal), but not other numbers.
        #expect(JSONValue.double(.nan) == JSONValue.double(.nan))
        #expect(JSONValue.double(.nan) != JSONValue.double(0))
        #expect(JSONValue.double(.infinity) != JSONValue.double(-.infinity))
    }

    @Test(arguments: ["nan", "NAN", "-NaN", "Inf", "+Infinity", "infinity", "-Inf", "NaNa", "Infinityy"])
    func malformedNonFiniteTokens(text: String) {
        #expect(Self.parseError(text) != nil, "\(text) should not parse")
    }

    // MARK: strings

    @Test func stringEscapesAreDecoded() throws {
        #expect(try Self.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try Self.parse(#""\u0041\u00e9\u20AC\u0000\u001F""#) == .string("Aé€\u{0}\u{1F}"))
        // A surrogate pair is one scalar outside the BMP.
        #expect(try Self.parse(#""\uD83D\uDE00""#) == .string("😀"))
        #expect(try Self.parse(#""x\ud834\udd1ey""#) == .string("x𝄞y"))
        // Raw UTF-8 passes through.
        #expect(try Self.parse("\"é😀日本\"") == .string("é😀日本"))
    }

    @Test func stringsAreEscapedWhenWritten() {
        let s = "\u{0}\u{1}\u{1F} \"\\/\n\r\t\u{08}\u{0C}é😀\u{7F}"
        let expected = "\"\\u0000\\u0001\\u001f \\\"\\\\/\\n\\r\\t\\b\\fé😀\u{7F}\""
        #expect(JSONValue.string(s).serialized() == expected)
        #expect(JSONValue.object([("k\"\n", 1)]).serialized() == "{\"k\\\"\\n\":1}")
    }

    @Test func everyAsciiScalarRoundTrips() throws {
        var s = ""
        for v in UInt32(0)..<0x80 { s.unicodeScalars.append(Unicode.Scalar(v)!) }
        s += "é€😀\u{10FFFF}"
        let text = JSONValue.string(s).serialized()
        // Nothing below U+0020 may appear raw in the text.
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 })
        #expect(try Self.parse(text) == .string(s))
    }

    // MARK: objects

    @Test func keyOrderIsPreserved() throws {
        let text = #"{"z":1,"a":2,"m":{"y":true,"b":false}}"#
        let value = try Self.parse(text)
        #expect(value.objectValue?.map(\.0) == ["z", "a", "m"])
        #expect(value["m"]?.objectValue?.map(\.0) == ["y", "b"])
        #expect(value.serialized() == text)
        // Objects are ordered lists of members: the same members in another order are another value.
        let ab = try Self.parse(#"{"a":1,"b":2}"#)
        let ba = try Self.parse(#"{"b":2,"a":1}"#)
        #expect(ab != ba)
        #expect(ab["a"] == ba["a"] && ab["b"] == ba["b"])
    }

    @Test func duplicateKeysAreRejected() {
        let e = Self.parseError(#"{"a":1,"a":2}"#)
        #expect(e?.message == "duplicate key \"a\"")
        #expect(e?.offset == 7)  // the second key
        #expect(Self.parseError(#"{"x":{"b":1,"c":2,"b":3}}"#)?.message == "duplicate key \"b\"")
        // Equal after unescaping is still a duplicate.
        #expect(Self.parseError(#"{"a":1,"\u0061":2}"#)?.message == "duplicate key \"a\"")
        // The same key in sibling objects is fine.
        #expect(Self.parseError(#"[{"a":1},{"a":2}]"#) == nil)
    }

    @Test func hashingIsConsistentWithEquality() {
        let set: Set<JSONValue> = [.int(1), .double(1), .double(.nan), .double(.nan), .string("1"), .int(1)]
        #expect(set.count == 4)
        let a: JSONValue = ["k": [1, 2.5, "s"]]
        let b = try? Self.parse(#"{"k":[1,2.5,"s"]}"#)
        #expect(a.hashValue == b?.hashValue)
        #expect(Set([a, b!]).count == 1)
    }

    /// Regression test: `.double(0.0) == .double(-0.0)`, so they must hash alike (at ddb5d97
    /// `hash(into:)` hashed the bit patterns, so a `Set<JSONValue>` could hold both).
    @Test func signedZerosHashAlike() {
        #expect(JSONValue.double(0.0) == JSONValue.double(-0.0))
        #expect(JSONValue.double(0.0).hashValue == JSONValue.double(-0.0).hashValue)
        #expect(Set<JSONValue>([.double(0.0), .double(-0.0)]).count == 1)
        #expect(JSONValue.array([.double(-0.0)]).hashValue == JSONValue.array([.double(0.0)]).hashValue)
        // Other doubles still hash apart from each other.
        #expect(Set<JSONValue>([.double(0.0), .double(1), .double(-1), .double(.leastNonzeroMagnitude)]).count == 4)
    }

    // MARK: malformed input

    @Test(arguments: [
        ("", "unexpected end of text", 0),
        ("   ", "unexpected end of text", 3),
        ("[1,2,]", "unexpected character", 5),
        (#"{"a":1,}"#, "expected a string key", 7),
        ("01", "leading zero in a number", 0),
        ("-01", "leading zero in a number", 1),
        ("[00]", "leading zero in a number", 1),
        ("\"abc", "unterminated string", 4),
        ("\"a\nb\"", "control character in string", 2),
        ("\"a\u{1}\"", "control character in string", 2),
        ("1 2", "unexpected text after the value", 2),
        ("{} x", "unexpected text after the value", 3),
        ("truex", "unexpected text after the value", 4),
        ("[1]]", "unexpected text after the value", 3),
        ("tru", "unexpected character", 0),
        ("[1 2]", "expected ',' or ']'", 3),
        (#"{"a" 1}"#, "expected ':'", 5),
        (#"{"a":1 "b":2}"#, "expected ',' or '}'", 7),
        ("{1:2}", "expected a string key", 1),
        ("[1", "unexpected end of text in an array", 2),
        (#"{"a":1"#, "unexpected end of text in an object", 6),
        ("[", "unexpected end of text", 1),
        ("1.", "expected a digit after '.'", 2),
        ("1.e5", "expected a digit after '.'", 2),
        (".5", "unexpected character", 0),
        ("1e", "expected a digit in the exponent", 2),
        ("1e+", "expected a digit in the exponent", 3),
        ("-", "expected a digit", 1),
        ("+1", "unexpected character", 0),
        ("'a'", "unexpected character", 0),
    ])
    func malformedInput(text: String, message: String, offset: Int) {
        let e = Self.parseError(text)
        #expect(e?.message == message)
        #expect(e?.offset == offset)
    }

    @Test(arguments: [
        (#""\x""#, "invalid escape"),
        (#""\U0041""#, "invalid escape"),
        (#""\"#, "unterminated escape"),
        (#""\u12G4""#, "bad hex digit in \\u escape"),
        (#""\u12""#, "short \\u escape"),
        (#""\u12"#, "short \\u escape"),
        (#""\uD800""#, "unpaired surrogate in \\u escape"),
        (#""\uDC00""#, "unpaired surrogate in \\u escape"),
        (#""\uDFFF x""#, "unpaired surrogate in \\u escape"),
        (#""\uD800\u0041""#, "unpaired surrogate in \\u escape"),
        (#""\uD800\uD800""#, "unpaired surrogate in \\u escape"),
        (#""\uD800x""#, "unpaired surrogate in \\u escape"),
        (#""\uD800\n""#, "unpaired surrogate in \\u escape"),
    ])
    func malformedEscapes(text: String, message: String) {
        #expect(Self.parseError(text)?.message == message, "\(text)")
    }

    @Test func invalidUTF8IsRejected() {
        // "\xC3(" is a truncated two-byte sequence; 0xFF never occurs in UTF-8.
        #expect(Self.parseError(bytes: [0x22, 0xC3, 0x28, 0x22])?.message == "invalid UTF-8 in string")
        #expect(Self.parseError(bytes: [0x22, 0xFF, 0x22])?.message == "invalid UTF-8 in string")
        #expect((try? JSONValue(parsing: [0x22, 0xC3, 0xA9, 0x22] as [UInt8])) == .string("é"))
    }

    @Test func nestingDepthIsLimitedTo512() throws {
        func nested(_ depth: Int, open: String, close: String) -> String {
            String(repeating: open, count: depth) + String(repeating: close, count: depth)
        }
        let ok = try Self.parse(nested(512, open: "[", close: "]"))
        var depth = 0
        var v = ok
        while case .array(let items) = v { depth += 1; v = items.first ?? .null }
        #expect(depth == 512)
        #expect(try Self.parse(ok.serialized()) == ok)
        let e = Self.parseError(nested(513, open: "[", close: "]"))
        #expect(e?.message == "nesting deeper than 512")
        #expect(e?.offset == 512)
        // Objects count too, mixed with arrays.
        let objects = String(repeating: #"{"a":["#, count: 256) + String(repeating: "]}", count: 256)
        #expect(Self.parseError(objects) == nil)
        let tooDeep = String(repeating: #"{"a":["#, count: 256) + "{}" + String(repeating: "]}", count: 256)
        #expect(Self.parseError(tooDeep)?.message == "nesting deeper than 512")
        // Far deeper input fails cleanly instead of exhausting the stack.
        #expect(Self.parseError(String(repeating: "[", count: 100_000))?.message == "nesting deeper than 512")
        // Depth is the current nesting, not the total number of containers.
        let wide = "[" + Array(repeating: nested(500, open: "[", close: "]"), count: 3).joined(separator: ",") + "]"
        #expect(Self.parseError(wide) == nil)
    }

    @Test func errorDescription() {
        #expect(Self.parseError("[1,2,]")?.description == "invalid JSON at byte 5: unexpected character")
    }
}
