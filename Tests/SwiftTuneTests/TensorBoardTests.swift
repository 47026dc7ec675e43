import Testing
@testable import SwiftTune

/// The TensorBoard event encoding: CRC-32C, TFRecord framing, protocol buffers, tags, Ray's
/// result rules and the hparams summaries. Expected bytes come from tensorboardX 2.6.5 and
/// protobuf (Python), written out by hand.
@Suite struct TensorBoardTests {
    static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = text.startIndex
        while i < text.endIndex {
            let j = text.index(i, offsetBy: 2)
            out.append(UInt8(text[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    // MARK: CRC-32C

    @Test func crc32cTestVectors() {
        #expect(CRC32C.checksum("123456789") == 0xE306_9283)
        #expect(CRC32C.checksum("") == 0)
        #expect(CRC32C.checksum("hello") == 0x9A71_BB4C)
        // RFC 3720 (iSCSI), B.4
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
    }

    /// Slicing by eight agrees with the bit-at-a-time definition at every length and alignment,
    /// and a checksum continued over pieces equals the whole one.
    @Test func crc32cAgreesWithTheDefinition() {
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            }
            return ~c
        }
        var rng = Xoshiro256(seed: 7)
        let data = (0..<300).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for start in 0..<9 {
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 100, 291 - start] {
                let slice = data[start..<start + length]
                #expect(CRC32C.checksum(slice) == bitwise(slice), "start \(start) length \(length)")
            }
        }
        let whole = CRC32C.checksum(data)
        let first = data[..<123].withUnsafeBytes { CRC32C.checksum($0) }
        let both = data[123...].withUnsafeBytes { CRC32C.checksum($0, continuing: first) }
        #expect(both == whole)
    }

    @Test func maskedChecksum() {
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
        #expect(CRC32C.masked(0x9A71_BB4C) == 0x191C_1FBB)  // the record of "hello" below ends with it (little-endian)
    }

    // MARK: TFRecord

    @Test func tfrecordFramingAsTensorboardXWritesIt() throws {
        var out: [UInt8] = []
        TFRecord.append(Array("hello".utf8), to: &out)
        #expect(out == Self.hex("0500000000000000eab2043e68656c6c6fbb1f1c19"))
        TFRecord.append([], to: &out)
        TFRecord.append([UInt8](repeating: 9, count: 1000), to: &out)
        let records = try TFRecord.records(in: out)
        #expect(records.map(Array.init) == [Array("hello".utf8), [], [UInt8](repeating: 9, count: 1000)])
        #expect(out.count == 5 + 0 + 1000 + 3 * TFRecord.overhead)
    }

    @Test func tfrecordReadingChecksChecksums() {
        var out: [UInt8] = []
        TFRecord.append(Array("hello".utf8), to: &out)
        var corrupt = out
        corrupt[13] ^= 1
        #expect(throws: TFRecordError.self) { try TFRecord.records(in: corrupt) }
        #expect(throws: TFRecordError.self) { try TFRecord.records(in: Array(out.dropLast())) }
        corrupt = out
        corrupt[0] = 200
        #expect(throws: TFRecordError.self) { try TFRecord.records(in: corrupt) }
    }

    // MARK: Protocol buffers

    @Test func varints() {
        func encoded(_ v: UInt64) -> [UInt8] {
            var out: [UInt8] = []
            Protobuf.appendVarint(v, to: &out)
            #expect(out.count == Protobuf.varintSize(v))
            return out
        }
        #expect(encoded(0) == [0])
        #expect(encoded(1) == [1])
        #expect(encoded(127) == [0x7F])
        #expect(encoded(128) == [0x80, 0x01])
        #expect(encoded(300) == [0xAC, 0x02])
        #expect(encoded(UInt64.max).count == 10)
        var out: [UInt8] = []
        Protobuf.appendInt64(2, -1, to: &out)
        #expect(out == [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    // MARK: Events

    @Test func eventsMatchTensorboardXsBytes() {
        var out: [UInt8] = []
        TensorBoardEvent.appendScalar(tag: "ray/tune/mean loss", value: 0.5, wallTime: 1_712_345_678.25, step: 7, to: &out)
        var expected: [UInt8] = []
        TFRecord.append(Self.hex("09000090931484d94110072a1b0a190a127261792f74756e652f6d65616e5f6c6f7373150000003f"), to: &expected)
        #expect(out == expected)
        out = []
        TensorBoardEvent.appendFileVersion(wallTime: 1_712_345_678.25, to: &out)
        expected = []
        TFRecord.append(Self.hex("09000090931484d9411a0d627261696e2e4576656e743a32"), to: &expected)
        #expect(out == expected)
    }

    @Test func aScalarEventDecodesBack() throws {
        var out: [UInt8] = []
        TensorBoardEvent.appendScalar(tag: "a/b", value: -3.25, wallTime: 12.5, step: 1 << 40, to: &out)
        TensorBoardEvent.appendScalar(tag: "zero", value: 0, wallTime: 0, step: 0, to: &out)
        let events = try TFRecord.records(in: out).map { try DecodedEvent(Array($0)) }
        #expect(events == [DecodedEvent(wallTime: 12.5, step: 1 << 40, tag: "a/b", value: -3.25),
                           DecodedEvent(wallTime: 0, step: 0, tag: "zero", value: 0)])
    }

    // MARK: Tags

    @Test(arguments: [
        ("ray/tune/mean_loss", "ray/tune/mean_loss"), ("ray/tune/mean loss", "ray/tune/mean_loss"),
        ("ray/tune/odd key!", "ray/tune/odd_key_"), ("//a/b", "a/b"), ("/ /x", "_/x"), ("a.b-c/d_e", "a.b-c/d_e"),
        ("λ/é/Ж", "λ/é/Ж"), ("x½²٣", "x½²٣"), ("price€", "price_"), ("😀x", "_x"), ("a\tb", "a_b"), ("", ""),
    ])
    func tagsAreCleanedAsTensorboardXDoes(tag: String, clean: String) {
        #expect(SummaryTag.clean(tag) == clean)
    }

    // MARK: Ray's rules for results

    static func events(_ line: String, wallTime: Double = 1, extras: [ArraySlice<UInt8>] = []) throws -> [DecodedEvent] {
        var encoder = ResultEventEncoder()
        var out: [UInt8] = []
        try encoder.append(line: line, wallTime: wallTime, extras: extras, to: &out)
        return try TFRecord.records(in: out).map { try DecodedEvent(Array($0)) }
    }

    @Test func resultLinesFollowRaysRules() throws {
        let line = #"{"loss": 0.25, "acc": 3, "flag": true, "off": false, "name": "x", "none": null, "#
            + #""nan": NaN, "inf": Infinity, "ninf": -Infinity, "lst": [1, 2], "nested": {"a": 1, "b": {"c": -2e3}, "s": "t"}, "#
            + #""empty": {}, "pid": 12, "timestamp": 1700000000, "time_total_s": 1.5, "training_iteration": 4, "#
            + #""odd key!": 1e400, "big": 123456789012345678901, "config": {"lr": 0.1, "x": [1, {"y": "]}"}]}}"#
        let events = try Self.events(line, wallTime: 99.5)
        #expect(events.map(\.tag) == ["ray/tune/loss", "ray/tune/acc", "ray/tune/flag", "ray/tune/off", "ray/tune/inf",
                                      "ray/tune/ninf", "ray/tune/nested/a", "ray/tune/nested/b/c", "ray/tune/odd_key_",
                                      "ray/tune/big"])
        #expect(events.map(\.value) == [0.25, 3, 1, 0, .infinity, -.infinity, 1, -2000, .infinity, Float(Double("123456789012345678901")!)])
        #expect(events.allSatisfy { $0.step == 4 && $0.wallTime == 99.5 })
    }

    /// The float a number's text becomes, through the scanner's fast path or its fallback.
    static func scannedFloat(_ text: String) throws -> Float {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { b in
            var scanner = ResultLineScanner(b, from: 0, to: b.count)
            let f = try scanner.float()
            #expect(scanner.pos == b.count, "\(text)")
            return f
        }
    }

    /// Every scalar is `Float(Double(text))` (Python's float, then protobuf's float), whichever way
    /// the scanner takes: random texts of 1 to 22 digits with points and exponents, the shortest
    /// texts of random doubles, and doubles exactly halfway between two floats (ties, which the
    /// fast path must leave to the exact conversion).
    @Test func scalarsRoundAsPythonAndProtobufDo() throws {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var texts: [String] = ["0", "-0", "0.0", "-0.0", "1", "1e400", "-1e400", "1e-400", "3.4028235677973366e38",
                               "3.4028234663852886e38", "1.1754942e-38", "1.401298464324817e-45", "0.1", "123456789012345678901",
                               "9007199254740993", "9007199254740993.0", "1.0000000000000000000001", "NaN", "Infinity", "-Infinity"]
        for _ in 0..<20_000 {
            let digits = Int(next() % 22) + 1
            var text = next() % 2 == 0 ? "-" : ""
            let point = Int(next() % UInt64(digits + 1))
            for i in 0..<digits {
                if i == point && i > 0 { text += "." }
                text += String(next() % 10)
            }
            if next() % 3 == 0 { text += "e" + (next() % 2 == 0 ? "-" : "") + String(next() % 45) }
            texts.append(text)
            let d = Double(bitPattern: next() & 0x7FEF_FFFF_FFFF_FFFF)  // finite, either side of 1
            texts.append("\(d)")
            texts.append("\(Double(next() % 1_000_000_007) / Double(next() % 999_983 + 1))")
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: next()) & 0x7F7F_FFFF)
            texts.append("\((Double(f) + Double(f.nextUp)) / 2)")  // a tie
        }
        for text in texts {
            let expected = Float(Double(text)!)
            let got = try Self.scannedFloat(text)
            #expect(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN), "\(text)")
        }
    }

    @Test func theStepIsTimestepsTotalWhenTruthy() throws {
        #expect(try Self.events(#"{"timesteps_total": 1000, "training_iteration": 3, "x": 1}"#).map(\.step) == [1000, 1000])
        #expect(try Self.events(#"{"timesteps_total": 0, "training_iteration": 3, "x": 1}"#).map(\.step) == [3, 3])
        #expect(try Self.events(#"{"timesteps_total": null, "training_iteration": 3, "x": 1}"#).map(\.step) == [3])
        #expect(try Self.events(#"{"timesteps_total": 12.9, "training_iteration": 3}"#).map(\.step) == [12])
        #expect(try Self.events(#"{"timesteps_total": 0.5, "training_iteration": 3}"#).map(\.step) == [0])
        #expect(try Self.events(#"{"training_iteration": 2.0, "x": 1}"#).map(\.step) == [2])
        #expect(try Self.events(#"{"x": 1, "training_iteration": 5}"#).map(\.step) == [5])
        #expect(try Self.events(#"{"x": 1}"#).map(\.step) == [0])
        #expect(try Self.events(#"{"nested": {"timesteps_total": 9}, "training_iteration": 5}"#).map(\.step) == [5])
    }

    @Test func unicodeKeysAndEscapes() throws {
        let events = try Self.events(#"{"\u03bb": 1, "a\"b": 2, "\ud83d\ude00": 3, "x\/y": 4}"#)
        #expect(events.map(\.tag) == ["ray/tune/λ", "ray/tune/a_b", "ray/tune/_", "ray/tune/x/y"])
    }

    @Test func aBatchOfLinesWithExtraSummaries() throws {
        let text = #"{"a": 1, "training_iteration": 1}"# + "\n" + #"{"a": 2, "training_iteration": 2}"# + "\n"
        let extra = ArraySlice(Self.hex("0a0b0a0568697374731a02ff00"))  // a Value with tag "hists" and field 3 bytes
        var encoder = ResultEventEncoder()
        var out: [UInt8] = []
        let times: [Double] = [10, 20]
        try Array(text.utf8).withUnsafeBytes { bytes in
            try times.withUnsafeBufferPointer { t in
                try encoder.append(lines: bytes, wallTimes: t, extras: { $0 == 1 ? [extra] : [] }, to: &out)
            }
        }
        let records = try TFRecord.records(in: out)
        #expect(records.count == 3)
        let events = try records.prefix(2).map { try DecodedEvent(Array($0)) }
        #expect(events == [DecodedEvent(wallTime: 10, step: 1, tag: "ray/tune/a", value: 1),
                           DecodedEvent(wallTime: 20, step: 2, tag: "ray/tune/a", value: 2)])
        var expected: [UInt8] = []
        TensorBoardEvent.appendSummary(extra, wallTime: 20, step: 2, to: &expected)
        #expect(Array(records[2]) == Array(expected.dropFirst(12).dropLast(4)))
    }

    @Test func badBatchesAppendNothing() throws {
        var encoder = ResultEventEncoder()
        var out: [UInt8] = [1, 2, 3]
        for (text, count) in [(#"{"a": 1}"# + "\n" + #"{"a": }"#, 2), (#"{"a": 1}"#, 2), (#"{"a": 1}"# + "\n[1]", 2),
                              (#"{"a": 1} x"#, 1), (#"{"a": "unterminated}"#, 1)] {
            let times = [Double](repeating: 1, count: count)
            #expect(throws: JSONError.self) {
                try Array(text.utf8).withUnsafeBytes { bytes in
                    try times.withUnsafeBufferPointer { try encoder.append(lines: bytes, wallTimes: $0, to: &out) }
                }
            }
            #expect(out == [1, 2, 3])
        }
        // The encoder is still usable after a failure, also one inside a nested object.
        #expect(throws: JSONError.self) { try encoder.append(line: #"{"outer": {"inner": }}"#, wallTime: 1, to: &out) }
        try encoder.append(line: #"{"b": 1}"#, wallTime: 1, to: &out)
        let events = try TFRecord.records(in: Array(out.dropFirst(3))).map { try DecodedEvent(Array($0)) }
        #expect(events.map(\.tag) == ["ray/tune/b"])
    }

    // MARK: hparams

    @Test func hparamsSummariesMatchTensorboardX() throws {
        let h = try HParamsSummaries(json: JSONValue(parsing: #"""
            {"hparams": {"lr": 0.01, "act": "relu", "flag": true, "lst": [1, 2], "none": null},
             "metrics": ["ray/tune/loss", "ray/tune/done"]}
            """#))
        #expect(h.hyperparameters.map(\.name) == ["lr", "act", "flag", "lst"])
        let s = h.summaries()
        #expect(s[0] == Self.hex("0a6f0a145f68706172616d735f2f6578706572696d656e744a570a550a0768706172616d73124a124822060a026c72200322070a03616374200122080a04666c6167200222050a036c73742a110a0f120d7261792f74756e652f6c6f73732a110a0f120d7261792f74756e652f646f6e65"))
        #expect(s[2] == Self.hex("0a2f0a1a5f68706172616d735f2f73657373696f6e5f656e645f696e666f4a110a0f0a0768706172616d73120422020801"))
        let one: [(String, String)] = [
            (#"{"lr": 0.01}"#, "0a400a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f4a200a1e0a0768706172616d7312131a110a0f0a026c721209117b14ae47e17a843f"),
            (#"{"act": "relu"}"#, "0a3e0a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f4a1e0a1c0a0768706172616d7312111a0f0a0d0a0361637412061a0472656c75"),
            (#"{"flag": false}"#, "0a3b0a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f4a1b0a190a0768706172616d73120e1a0c0a0a0a04666c616712022000"),
            ("{}", "0a2f0a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f4a0f0a0d0a0768706172616d7312021a00"),
        ]
        for (params, expected) in one {
            let h = try HParamsSummaries(json: JSONValue(parsing: #"{"hparams": "# + params + #", "metrics": []}"#))
            #expect(h.summaries()[1] == Self.hex(expected), "\(params)")
        }
        let empty = HParamsSummaries(hyperparameters: [], metrics: [])
        #expect(empty.summaries()[0] == Self.hex("0a270a145f68706172616d735f2f6578706572696d656e744a0f0a0d0a0768706172616d7312021200"))
        var out: [UInt8] = []
        h.appendEvents(wallTime: 5, to: &out)
        #expect(try TFRecord.records(in: out).count == 3)
    }

    @Test func hparamsJSONErrors() {
        for text in [#"{"metrics": []}"#, #"{"hparams": {}}"#, #"{"hparams": [], "metrics": []}"#,
                     #"{"hparams": {}, "metrics": [1]}"#] {
            #expect(throws: SpecError.self) { try HParamsSummaries(json: JSONValue(parsing: text)) }
        }
    }
}

/// A scalar event read back from its bytes with a minimal protocol-buffer reader (the fields
/// Event, Summary and Value use).
struct DecodedEvent: Equatable {
    var wallTime: Double = 0
    var step: Int64 = 0
    var tag = ""
    var value: Float = .nan

    init(wallTime: Double, step: Int64, tag: String, value: Float) {
        (self.wallTime, self.step, self.tag, self.value) = (wallTime, step, tag, value)
    }

    init(_ bytes: [UInt8]) throws {
        for (field, content) in try Self.fields(bytes[...]) {
            switch (field, content) {
            case (1, .fixed64(let bits)): wallTime = Double(bitPattern: bits)
            case (2, .varint(let v)): step = Int64(bitPattern: v)
            case (5, .bytes(let summary)):
                for case (1, .bytes(let value)) in try Self.fields(summary) {
                    for (f, c) in try Self.fields(value) {
                        if case (1, .bytes(let t)) = (f, c) { tag = String(decoding: t, as: UTF8.self) }
                        if case (2, .fixed32(let bits)) = (f, c) { self.value = Float(bitPattern: bits) }
                    }
                }
            default: throw DecodeError.unexpected(field)
            }
        }
    }

    enum DecodeError: Error { case unexpected(Int), truncated }

    enum Content { case varint(UInt64), fixed64(UInt64), bytes(ArraySlice<UInt8>), fixed32(UInt32) }

    static func fields(_ bytes: ArraySlice<UInt8>) throws -> [(Int, Content)] {
        var out: [(Int, Content)] = []
        var p = bytes.startIndex
        func varint() throws -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard p < bytes.endIndex else { throw DecodeError.truncated }
                let b = bytes[p]
                p += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }
        func fixed(_ n: Int) throws -> UInt64 {
            guard bytes.endIndex - p >= n else { throw DecodeError.truncated }
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(bytes[p + i]) << (8 * UInt64(i)) }
            p += n
            return v
        }
        while p < bytes.endIndex {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: out.append((field, .varint(try varint())))
            case 1: out.append((field, .fixed64(try fixed(8))))
            case 5: out.append((field, .fixed32(UInt32(try fixed(4)))))
            case 2:
                let n = Int(try varint())
                guard bytes.endIndex - p >= n else { throw DecodeError.truncated }
                out.append((field, .bytes(bytes[p..<p + n])))
                p += n
            default: throw DecodeError.unexpected(field)
            }
        }
        return out
    }
}
