/// Ray Tune's `TBXLoggerCallback` rules (ray/tune/logger/tensorboardx.py), applied to the JSON
/// lines of a trial's result.json, writing TensorBoard events (TFRecords) as tensorboardX's
/// `add_scalar` does:
///
/// - the top-level keys `config`, `pid`, `timestamp`, `time_total_s` and `training_iteration` are
///   left out; nested objects are flattened with `/`; each tag is `ray/tune/<key>`, cleaned as
///   tensorboardX cleans tags (``SummaryTag``);
/// - every number that is not NaN, and every boolean (1 or 0; Python's `bool` is an `int`), is a
///   scalar event of its own (a 32-bit float, as `simple_value` holds it);
/// - strings, nulls and arrays are left to the caller (arrays are Ray's histograms, images and
///   videos, which the caller encodes and passes as extra `Summary` messages);
/// - the step is `timesteps_total` when the result has a non-zero one, else `training_iteration`
///   (Ray's `result.get("timesteps_total") or result["training_iteration"]`), as an integer.
///
/// One encoder keeps its scratch buffers between lines: a steady stream of lines allocates
/// nothing but the output.
public struct ResultEventEncoder {
    /// The top-level result keys Ray leaves out of the event file.
    public static let droppedKeys = ["config", "pid", "timestamp", "time_total_s", "training_iteration"]
    /// What every tag starts with.
    public static let tagPrefix = "ray/tune/"
    static let tagPrefixCount = tagPrefix.utf8.count


    /// The tag being read: the prefix and the key path so far.
    var path: [UInt8] = Array(ResultEventEncoder.tagPrefix.utf8)
    /// The line's scalars: their tags back to back (ending at `ends`), and their values.
    var tags: [UInt8] = []
    var ends: [Int] = []
    var values: [Float] = []
    var timesteps: ResultLineScanner.Number?
    var iteration: ResultLineScanner.Number?

    /// A new encoder.
    public init() {}

    /// Appends the events of the result lines in `lines` (JSON objects separated by newlines;
    /// a last newline is optional): line `i` at `wallTimes[i]`, its scalars, then one event for
    /// each of `extras(i)`, encoded `Summary` messages with the line's step. The number of lines
    /// must be `wallTimes.count`. Throws for text that is not such lines (nothing of the batch
    /// is appended then).
    public mutating func append(lines: UnsafeRawBufferPointer, wallTimes: UnsafeBufferPointer<Double>,
                                extras: (Int) -> [ArraySlice<UInt8>] = { _ in [] },
                                to out: inout [UInt8]) throws(JSONError) {
        let before = out.count
        var scanner = ResultLineScanner(lines, from: 0, to: lines.count)
        var index = 0
        do throws(JSONError) {
            while true {
                scanner.skipSpace()
                if scanner.pos == lines.count { break }
                guard index < wallTimes.count else {
                    throw scanner.fail("more lines than wall times (\(wallTimes.count))")
                }
                try appendLine(&scanner, wallTime: wallTimes[index], extras: extras(index), to: &out)
                index += 1
            }
            guard index == wallTimes.count else {
                throw JSONError(message: "\(index) lines for \(wallTimes.count) wall times", offset: lines.count)
            }
        } catch {
            out.removeSubrange(before...)
            throw error
        }
    }

    /// Appends the events of one result line (a JSON object), at `wallTime`, then one event for
    /// each of `extras`.
    public mutating func append(line: String, wallTime: Double, extras: [ArraySlice<UInt8>] = [],
                                to out: inout [UInt8]) throws(JSONError) {
        let bytes = Array(line.utf8)
        var failure: JSONError?
        bytes.withUnsafeBytes { b in
            do throws(JSONError) {
                var scanner = ResultLineScanner(b, from: 0, to: b.count)
                scanner.skipSpace()
                try appendLine(&scanner, wallTime: wallTime, extras: extras, to: &out)
                scanner.skipSpace()
                if scanner.pos != b.count { throw scanner.fail("unexpected text after the result") }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Reads the result line at the scanner's position (up to its newline or the end) and
    /// appends its events.
    mutating func appendLine(_ scanner: inout ResultLineScanner, wallTime: Double, extras: [ArraySlice<UInt8>],
                             to out: inout [UInt8]) throws(JSONError) {
        if path.count != Self.tagPrefixCount {  // a line that failed inside an object
            path.removeSubrange(Self.tagPrefixCount...)
        }
        tags.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        timesteps = nil
        iteration = nil
        guard scanner.peek == UInt8(ascii: "{") else { throw scanner.fail("a result line is not a JSON object") }
        try readObject(&scanner, topLevel: true)
        while scanner.peek == 0x20 || scanner.peek == 0x09 || scanner.peek == 0x0D { scanner.pos += 1 }
        if scanner.pos < scanner.end {
            guard scanner.peek == 0x0A else { throw scanner.fail("unexpected text after the result") }
            scanner.pos += 1
        }
        let step = self.step
        tags.withUnsafeBytes { tagBytes in
            var from = 0
            for (n, to) in ends.enumerated() {
                TensorBoardEvent.appendScalar(tag: UnsafeRawBufferPointer(rebasing: tagBytes[from..<to]), value: values[n],
                                              wallTime: wallTime, step: step, to: &out)
                from = to
            }
        }
        for summary in extras {
            TensorBoardEvent.appendSummary(summary, wallTime: wallTime, step: step, to: &out)
        }
    }

    /// Ray's step: a truthy `timesteps_total`, else `training_iteration`, as Python's `int()`
    /// makes them (0 when neither is a finite number).
    var step: Int64 {
        if let t = timesteps, let s = Self.integer(t), s != 0 || t.doubleValue != 0 { return s }
        if let i = iteration, let s = Self.integer(i) { return s }
        return 0
    }

    static func integer(_ n: ResultLineScanner.Number) -> Int64? {
        switch n {
        case .int(let i): return i
        case .double(let d):
            guard d.isFinite, d.magnitude < 9.2e18 else { return nil }
            return Int64(d.rounded(.towardZero))
        }
    }

    /// Reads the object at the scanner's position: its members' scalars go to `tags`/`values`
    /// under `path` plus their key. A key without escapes is read where it is in the text.
    mutating func readObject(_ s: inout ResultLineScanner, topLevel: Bool) throws(JSONError) {
        s.pos += 1
        s.skipSpace()
        if s.peek == UInt8(ascii: "}") { s.pos += 1; return }
        var decoded: [UInt8] = []  // a key with escapes (allocates only then)
        while true {
            s.skipSpace()
            guard s.peek == UInt8(ascii: "\"") else { throw s.fail("expected a string key") }
            let range = try s.key(decodingEscapesInto: &decoded)
            try s.expect(UInt8(ascii: ":"), "':'")
            s.skipSpace()
            if let range {
                try readMember(&s, topLevel: topLevel, key: UnsafeBufferPointer(rebasing: s.text[range]))
            } else {
                try decoded.withUnsafeBufferPointer { (key: UnsafeBufferPointer<UInt8>) throws(JSONError) in
                    try readMember(&s, topLevel: topLevel, key: key)
                }
            }
            s.skipSpace()
            let c = s.peek
            s.pos += 1
            if c == UInt8(ascii: ",") { continue }
            if c == UInt8(ascii: "}") { break }
            s.pos -= 1
            throw s.fail("expected ',' or '}'")
        }
    }

    /// Appends `key` (its raw UTF-8) to a tag in `out`: after a `/` when the key is `nested`,
    /// cleaned (the tag before it is clean already).
    static func appendKey(_ key: UnsafeBufferPointer<UInt8>, nested: Bool, to out: inout [UInt8]) {
        if nested { out.append(UInt8(ascii: "/")) }
        let start = out.count
        out.append(contentsOf: key)
        SummaryTag.cleanInPlace(&out, from: start, stripLeadingSlashes: false)
    }

    mutating func readMember(_ s: inout ResultLineScanner, topLevel: Bool, key: UnsafeBufferPointer<UInt8>) throws(JSONError) {
        let kind = topLevel ? TopLevelKey(key) : .other
        let value: Float
        switch s.peek {
        case UInt8(ascii: "{"):
            if kind.isDropped {
                try s.skipContainer()
            } else {
                let base = path.count
                Self.appendKey(key, nested: !topLevel, to: &path)
                try readObject(&s, topLevel: false)
                path.removeSubrange(base...)
            }
            return
        case UInt8(ascii: "t"):
            try s.word("true")
            if kind == .iteration { iteration = .int(1) } else if kind == .timesteps { timesteps = .int(1) }
            value = 1
        case UInt8(ascii: "f"):
            try s.word("false")
            if kind == .iteration { iteration = .int(0) } else if kind == .timesteps { timesteps = .int(0) }
            value = 0
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"):
            switch kind {
            case .dropped:
                _ = try s.numberParts()  // checked, not converted
                return
            case .iteration, .timesteps:  // the step's: exact
                let number = try s.number()
                if kind == .iteration { iteration = number } else { timesteps = number }
                value = Float(number.doubleValue)
            case .other:
                value = try s.float()
            }
        default:
            try s.skipValue()  // strings, nulls, arrays
            return
        }
        if kind.isDropped || value.isNaN { return }
        tags.append(contentsOf: path)
        Self.appendKey(key, nested: !topLevel, to: &tags)
        ends.append(tags.count)
        values.append(value)
    }
}

/// The top-level keys Ray's rules name: those it leaves out, and the step's.
enum TopLevelKey: Equatable {
    case dropped, iteration, timesteps, other

    /// Ray leaves the key out of the event file.
    var isDropped: Bool { self == .dropped || self == .iteration }

    /// Which of them `key` (raw UTF-8, before cleaning) is.
    init(_ key: UnsafeBufferPointer<UInt8>) {
        func equals(_ word: StaticString) -> Bool {
            word.utf8CodeUnitCount == key.count && memoryEquals(word.utf8Start, key.baseAddress, key.count)
        }
        switch key.count {
        case 3 where equals("pid"), 6 where equals("config"), 9 where equals("timestamp"),
             12 where equals("time_total_s"):
            self = .dropped
        case 18 where equals("training_iteration"): self = .iteration
        case 15 where equals("timesteps_total"): self = .timesteps
        default: self = .other
        }
    }
}

/// Whether `count` bytes at `a` and `b` are equal.
@inline(__always)
func memoryEquals(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
    guard let b else { return count == 0 }
    for i in 0..<count where a[i] != b[i] { return false }
    return true
}
