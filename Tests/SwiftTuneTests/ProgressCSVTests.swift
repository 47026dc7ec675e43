import Testing
@testable import SwiftTune

/// progress.csv rows made from result lines as Python's csv module writes the values (the Python
/// tests compare whole files with the csv module's; these pin the rules).
struct ProgressCSVTests {
    func row(_ columns: [String], _ line: String) throws -> String {
        let csv = ProgressCSV(columns: columns)
        var out: [UInt8] = []
        let bytes = Array(line.utf8)
        try bytes.withUnsafeBytes { b in try csv.appendRow(line: b, from: 0, to: b.count, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func valuesAsTheCsvModuleWritesThem() throws {
        let columns = ["a", "b", "c", "d", "e", "f", "g", "h"]
        let line = #"{"h": "x\"y", "a": 1.5, "b": NaN, "c": -Infinity, "d": true, "e": null, "g": "p,q", "z": [1, 2]}"#
        #expect(try row(columns, line) == "1.5,nan,-inf,True,,,\"p,q\",\"x\"\"y\"\r\n")
        #expect(try row(["n"], #"{"n": 12345678901234567890123}"#) == "12345678901234567890123\r\n")
        #expect(try row(["s"], #"{"s": "line\nbreak\u00e9"}"#) == "\"line\nbreak\u{e9}\"\r\n")
        #expect(try row(["l"], #"{"l": [1, {"k": "v"}]}"#) == "\"[1, {\"\"k\"\": \"\"v\"\"}]\"\r\n")
    }

    @Test func aLoneEmptyCellIsQuoted() throws {
        #expect(try row(["a"], #"{"a": ""}"#) == "\"\"\r\n")
        #expect(try row(["a"], "{}") == "\"\"\r\n")
        #expect(try row(["a", "b"], "{}") == ",\r\n")
    }

    @Test func headerQuotesItsNames() {
        var out: [UInt8] = []
        ProgressCSV(columns: ["plain", "with,comma", "q\"uote"]).appendHeader(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "plain,\"with,comma\",\"q\"\"uote\"\r\n")
    }

    @Test func notAnObjectIsAnError() {
        #expect(throws: JSONError.self) { try row(["a"], "[1]") }
        #expect(throws: JSONError.self) { try row(["a"], #"{"a": 1"#) }
    }
}
