/// The rows of a trial's `progress.csv` as Ray's `CSVLoggerCallback` writes them (Python's
/// `csv.writer`, excel dialect: `,` between cells, a cell quoted with `"` when it holds `,`, `"`,
/// `\r` or `\n`, quotes inside doubled, rows ending in `\r\n`, a row of one empty cell written as
/// `""`), made from a result's JSON line: the cell of each column is the value of that key (an
/// absent key or `null` an empty cell), numbers as their JSON text (`NaN`, `Infinity` and
/// `-Infinity` as Python's `nan`, `inf`, `-inf`), `true`/`false` as `True`/`False`, strings
/// decoded, and an object or array as its JSON text.
///
/// That is what Python's csv module writes for the value the JSON line was encoded from when the
/// line came from Python's `json` encoder with its default separators (a float's JSON text is its
/// `repr`, which is what the csv module writes), except for a tuple (an array in JSON, `(1, 2)` in
/// the csv module): a front end writes rows with such values itself.
public struct ProgressCSV: Sendable {
    /// The columns, in order (the keys of the trial's first result).
    public let columns: [String]
    let index: [[UInt8]: Int]

    /// A writer of rows with these columns.
    public init(columns: [String]) {
        self.columns = columns
        var index: [[UInt8]: Int] = [:]
        for (i, c) in columns.enumerated() { index[Array(c.utf8), default: i] = i }
        self.index = index
    }

    /// Appends the header row (the column names).
    public func appendHeader(to out: inout [UInt8]) {
        Self.appendRow(columns.map { Array($0.utf8) }, to: &out)
    }

    /// Appends a row of `cells` (each cell's text) as the csv module writes it.
    static func appendRow(_ cells: [[UInt8]], to out: inout [UInt8]) {
        if cells.count == 1, cells[0].isEmpty {
            out.append(contentsOf: [0x22, 0x22, 0x0D, 0x0A])  // `""`: a lone empty cell is quoted
            return
        }
        for (i, cell) in cells.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendCell(cell, to: &out)
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    static func appendCell(_ cell: [UInt8], to out: inout [UInt8]) {
        let quoted = cell.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }
        guard quoted else {
            out.append(contentsOf: cell)
            return
        }
        out.append(0x22)
        for b in cell {
            if b == 0x22 { out.append(0x22) }
            out.append(b)
        }
        out.append(0x22)
    }

    /// Appends the row of the result line `bytes[start..<end]` (one JSON object).
    /// - Throws: ``JSONError`` when the text is not a JSON object (nothing is appended then).
    public func appendRow(line bytes: UnsafeRawBufferPointer, from start: Int, to end: Int,
                          into out: inout [UInt8]) throws(JSONError) {
        var cells = [[UInt8]](repeating: [], count: columns.count)
        var scanner = ResultLineScanner(bytes, from: start, to: end)
        var key: [UInt8] = []
        scanner.skipSpace()
        guard scanner.peek == UInt8(ascii: "{") else { throw scanner.fail("a result line is not a JSON object") }
        scanner.pos += 1
        scanner.skipSpace()
        if scanner.peek == UInt8(ascii: "}") {
            scanner.pos += 1
        } else {
            while true {
                scanner.skipSpace()
                guard scanner.peek == UInt8(ascii: "\"") else { throw scanner.fail("expected a key") }
                if let range = try scanner.key(decodingEscapesInto: &key) {
                    key = Array(scanner.text[range])
                }
                try scanner.expect(UInt8(ascii: ":"), "':'")
                scanner.skipSpace()
                if let column = index[key] {
                    cells[column] = try Self.cell(&scanner)
                } else {
                    try scanner.skipValue()
                }
                scanner.skipSpace()
                if scanner.peek == UInt8(ascii: ",") { scanner.pos += 1; continue }
                try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
                break
            }
        }
        scanner.skipSpace()
        guard scanner.pos == end else { throw scanner.fail("unexpected text after the result") }
        Self.appendRow(cells, to: &out)
    }

    /// The cell text of the value at the scanner's position.
    static func cell(_ s: inout ResultLineScanner) throws(JSONError) -> [UInt8] {
        switch s.peek {
        case UInt8(ascii: "\""):
            var out: [UInt8] = []
            try s.string(into: &out)
            return out
        case UInt8(ascii: "t"):
            try s.word("true")
            return Array("True".utf8)
        case UInt8(ascii: "f"):
            try s.word("false")
            return Array("False".utf8)
        case UInt8(ascii: "n"):
            try s.word("null")
            return []
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let start = s.pos
            try s.skipContainer()
            return Array(s.text[start..<s.pos])
        case 0:
            throw s.fail("unexpected end of text")
        default:
            let n = try s.numberParts()
            if let special = n.special {
                if special.isNaN { return Array("nan".utf8) }
                return Array((special < 0 ? "-inf" : "inf").utf8)
            }
            return Array(s.text[n.start..<n.end])
        }
    }
}
