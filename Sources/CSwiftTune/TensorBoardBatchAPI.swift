#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// A little-endian reader of a batch's bytes.
struct BatchReader {
    let bytes: UnsafeRawBufferPointer
    var pos = 0

    mutating func take(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard n >= 0, bytes.count - pos >= n else {
            throw CError(.ST_INVALID_ARGUMENT, "batch: \(what) at byte \(pos) runs past the end")
        }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
    }

    mutating func u32(_ what: String) throws -> Int {
        let b = try take(4, what)
        return Int(UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
    }

    mutating func f64(_ what: String) throws -> Double {
        let b = try take(8, what)
        var bits: UInt64 = 0
        for i in (0..<8).reversed() { bits = bits << 8 | UInt64(b[i]) }
        return Double(bitPattern: bits)
    }
}

/// Runs a batch of event-file operations in one call, without the GIL for a caller through
/// ctypes (a writer thread hands over everything that waited since its last call, so the trials
/// are not interrupted once per operation). `batch` holds `length` bytes: operations one after
/// another, each `kind` (1 byte: 0 as `st_tfevents_start`, 1 as `st_tfevents_append_results`, 2 as
/// `st_tfevents_append_hparams`), then, little-endian, the path (u32 length, bytes), a wall time
/// (f64; the start's and the hparams' time), the results' count and their wall times (u32, f64
/// each; 0 for the others), the data (u32 length, bytes: the results' lines, or the hparams'
/// JSON) and the extras (u32 length, bytes, as `st_tfevents_append_results` takes them). Each
/// file's operations run in order and each file is opened once. An operation that fails (its
/// data malformed, its file not writable) ends that file's operations in the batch, the others go
/// on: `*out_failures` is then a JSON array `[{"path": ..., "message": ..., "errno": ...}]` (errno
/// 0 for malformed data; freed with `st_free`), else NULL. Returns `ST_OK` (failures or not), or
/// `ST_INVALID_ARGUMENT` (NULL pointers, a negative length, a batch whose framing is broken:
/// nothing is written).
@c(st_tfevents_write_batch)
public func stTFEventsWriteBatch(_ batch: UnsafePointer<CChar>?, _ length: Int64,
                                 _ out_failures: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api { try runFileBatch(batch, length, out_failures, rows: false) }
}

/// One operation of a batch, as read (its byte ranges point into the caller's batch).
struct FileBatchOp {
    var kind: FileBatchKind
    var path: String
    var wall: Double
    var times: [Double]
    var data: UnsafeRawBufferPointer
    var extras: UnsafeRawBufferPointer
    /// The rows operation's other files and settings.
    var rows: RowsTarget?
}

/// The operations of `st_tfevents_write_batch` and `st_trial_files_write_batch`.
enum FileBatchKind: UInt8 {
    /// `st_tfevents_start`.
    case start = 0
    /// `st_tfevents_append_results`.
    case results = 1
    /// `st_tfevents_append_hparams`.
    case hparams = 2
    /// A trial's rows: result.json, progress.csv and the event file (`st_trial_files_write_batch`).
    case rows = 3
}

/// Where a rows operation writes besides its result.json (its `path`), and how.
struct RowsTarget {
    var progressPath: String
    /// Empty: the experiment writes no event files.
    var eventsPath: String
    var config: UnsafeRawBufferPointer
    var columns: [String]
    /// Written to progress.csv before the rows (the header of a new file), as given.
    var header: UnsafeRawBufferPointer
    /// Rows written as given instead of made from their lines, by line index.
    var csvRows: [Int: UnsafeRawBufferPointer]
    /// Lines the event file reads instead of the results' own, by line index (a result with values
    /// its JSON line does not carry as Ray logs them).
    var eventLines: [Int: UnsafeRawBufferPointer]
}

/// Reads and runs a batch (`st_tfevents_write_batch`, or with `rows` also the rows operation of
/// `st_trial_files_write_batch`): every operation is read and frame-checked first, so a broken
/// batch writes nothing.
func runFileBatch(_ batch: UnsafePointer<CChar>?, _ length: Int64,
                  _ out_failures: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, rows: Bool) throws -> st_status {
    let target = try out(out_failures, "out_failures")
    guard length >= 0 else { throw CError(.ST_INVALID_ARGUMENT, "length must not be negative") }
    guard batch != nil || length == 0 else { throw CError(.ST_INVALID_ARGUMENT, "batch is NULL") }
    var reader = BatchReader(bytes: UnsafeRawBufferPointer(start: batch, count: Int(length)))
    var ops: [FileBatchOp] = []
    while reader.pos < reader.bytes.count {
        let at = reader.pos
        guard let kind = FileBatchKind(rawValue: try reader.take(1, "an operation")[0]), kind != .rows || rows else {
            throw CError(.ST_INVALID_ARGUMENT, "batch: unknown operation at byte \(at)")
        }
        let path = try reader.string("a path")
        let wall = try reader.f64("a wall time")
        let count = try reader.u32("a count")
        let times = try reader.take(count * 8, "the wall times")
        let data = try reader.take(try reader.u32("the data's length"), "the data")
        let extras = try reader.take(try reader.u32("the extras' length"), "the extras")
        // The times are copied out aligned (the batch's bytes need not be).
        let walls = (0..<count).map { i in
            var bits: UInt64 = 0
            for j in (0..<8).reversed() { bits = bits << 8 | UInt64(times[i * 8 + j]) }
            return Double(bitPattern: bits)
        }
        var op = FileBatchOp(kind: kind, path: path, wall: wall, times: walls, data: data, extras: extras)
        if kind == .rows { op.rows = try reader.rowsTarget(count: count) }
        ops.append(op)
    }
    var writer = FileBatchWriter()
    for op in ops { writer.run(op) }
    let failures = writer.finish()
    target.pointee = failures.isEmpty ? nil : try cString(JSONValue.array(failures.map {
        .object([("path", .string($0.path)), ("message", .string($0.message)), ("errno", .int(Int64($0.code)))])
    }).serialized())
    return .ST_OK
}

extension BatchReader {
    /// A u32 length and that many bytes, as UTF-8 text.
    mutating func string(_ what: String) throws -> String {
        String(decoding: try take(try u32("\(what)'s length"), what), as: UTF8.self)
    }

    /// The rest of a rows operation: the progress.csv and event file paths, the configuration's
    /// JSON, the columns (a JSON array of strings), the header text, and the rows given as text
    /// (u32 length, then entries of u32 line index, u32 length, bytes).
    mutating func rowsTarget(count: Int) throws -> RowsTarget {
        let progress = try string("the progress path")
        let events = try string("the event file path")
        let config = try take(try u32("the configuration's length"), "the configuration")
        let columnsText = try string("the columns")
        guard case .array(let items)? = try? JSONValue(parsing: columnsText) else {
            throw CError(.ST_INVALID_ARGUMENT, "batch: the columns are not a JSON array")
        }
        let columns = try items.map { item throws -> String in
            guard case .string(let s) = item else { throw CError(.ST_INVALID_ARGUMENT, "batch: a column is not a string") }
            return s
        }
        let header = try take(try u32("the header's length"), "the header")
        let csvRows = try indexed("given rows", count: count)
        let eventLines = try indexed("given event lines", count: count)
        return RowsTarget(progressPath: progress, eventsPath: events, config: config, columns: columns, header: header,
                          csvRows: csvRows, eventLines: eventLines)
    }

    /// A u32 length and that many bytes of entries: u32 line index (below `count`), u32 length, bytes.
    mutating func indexed(_ what: String, count: Int) throws -> [Int: UnsafeRawBufferPointer] {
        var sub = BatchReader(bytes: try take(try u32("the \(what)' length"), "the \(what)"))
        var entries: [Int: UnsafeRawBufferPointer] = [:]
        while sub.pos < sub.bytes.count {
            let index = try sub.u32("an index of the \(what)")
            guard index < count else {
                throw CError(.ST_INVALID_ARGUMENT, "batch: \(what) for line \(index), but there are \(count) lines")
            }
            entries[index] = try sub.take(try sub.u32("a length of the \(what)"), "one of the \(what)")
        }
        return entries
    }
}

/// A failed file of a batch.
struct FileFailure {
    var path: String
    var message: String
    /// The system's error number (0: the data was malformed).
    var code: Int32
}

/// What a batch writes: each file's bytes gathered in order (a file is opened once), then
/// appended; a file that fails takes no further operations in the batch.
struct FileBatchWriter {
    var order: [String] = []
    var output: [String: [UInt8]] = [:]
    var failures: [FileFailure] = []
    var failed: Set<String> = []
    var encoder = ResultEventEncoder()

    /// Adds what `op` writes to its file(s).
    mutating func run(_ op: FileBatchOp) {
        var encoder = self.encoder  // the closures below write events while `gather` changes self
        defer { self.encoder = encoder }
        switch op.kind {
        case .start:
            gather(op.path) { bytes throws in TensorBoardEvent.appendFileVersion(wallTime: op.wall, to: &bytes) }
        case .results:
            gather(op.path) { bytes throws in try Self.appendEvents(op, &encoder, to: &bytes) }
        case .hparams:
            gather(op.path) { bytes throws in
                let summaries = try HParamsSummaries(json: JSONValue(parsing: String(decoding: op.data, as: UTF8.self)))
                summaries.appendEvents(wallTime: op.wall, to: &bytes)
            }
        case .rows:
            guard let rows = op.rows else { return }
            gather(op.path) { bytes throws in appendResultLines(op.data, config: rows.config, to: &bytes) }
            gather(rows.progressPath) { bytes throws in try appendProgressRows(op.data, rows, to: &bytes) }
            if !rows.eventsPath.isEmpty {
                gather(rows.eventsPath) { bytes throws in
                    guard !rows.eventLines.isEmpty else { return try Self.appendEvents(op, &encoder, to: &bytes) }
                    // Some results' events come from lines given for them: the lines, substituted.
                    var lines: [UInt8] = []
                    forEachLine(op.data) { index, line in
                        if index > 0 { lines.append(0x0A) }
                        lines.append(contentsOf: rows.eventLines[index].map { $0.bindMemory(to: UInt8.self) } ?? line)
                    }
                    try lines.withUnsafeBytes { data in
                        var substituted = op
                        substituted.data = data
                        try Self.appendEvents(substituted, &encoder, to: &bytes)
                    }
                }
            }
        }
    }

    static func appendEvents(_ op: FileBatchOp, _ encoder: inout ResultEventEncoder, to bytes: inout [UInt8]) throws {
        let summaries = try extraSummaries(op.extras, count: op.times.count)
        bytes.reserveCapacity(bytes.count + op.data.count + op.extras.count)  // about the events' size: no regrowth
        try op.times.withUnsafeBufferPointer { (w: UnsafeBufferPointer<Double>) throws(JSONError) in
            try encoder.append(lines: op.data, wallTimes: w, extras: { summaries[$0] ?? [] }, to: &bytes)
        }
    }

    /// The path's bytes so far, extended by `body` (taken out while they grow: a copy left in the
    /// dictionary would be copied on write); a failure marks the path failed.
    mutating func gather(_ path: String, _ body: (inout [UInt8]) throws -> Void) {
        guard !failed.contains(path) else { return }
        if output[path] == nil { order.append(path) }
        var bytes = output.removeValue(forKey: path) ?? []
        do {
            try body(&bytes)
        } catch {
            failed.insert(path)
            failures.append(FileFailure(path: path, message: CError(error).message, code: 0))
        }
        output[path] = bytes
    }

    /// Appends every path's bytes to its file; the failures.
    mutating func finish() -> [FileFailure] {
        for path in order where !failed.contains(path) {
            do { try appendToFile(path, output[path] ?? []) } catch let e as FileWriteError {
                failures.append(FileFailure(path: path, message: e.message, code: e.code))
            } catch {
                failures.append(FileFailure(path: path, message: CError(error).message, code: 0))
            }
        }
        return failures
    }
}

/// The lines of `data` (separated by newlines) as result.json rows: each with `"config"` and the
/// configuration's JSON added as its last member.
func appendResultLines(_ data: UnsafeRawBufferPointer, config: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    forEachLine(data) { _, line in
        var close = line.count
        while close > 0, line[close - 1] != UInt8(ascii: "}") { close -= 1 }
        guard close > 0 else { return }
        let head = UnsafeBufferPointer(rebasing: line[0..<(close - 1)])
        out.append(contentsOf: head)
        // `{}` becomes `{"config": ...}`; any other object gains `, "config": ...`.
        let empty = head.allSatisfy { $0 == UInt8(ascii: "{") || $0 == 0x20 }
        out.append(contentsOf: empty ? Array("\"config\": ".utf8) : Array(", \"config\": ".utf8))
        out.append(contentsOf: config.bindMemory(to: UInt8.self))
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
    }
}

/// Calls `body` with each line of `data` (separated by newlines; a last empty line is none) and its index.
func forEachLine(_ data: UnsafeRawBufferPointer, _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
    let text = data.bindMemory(to: UInt8.self)
    var start = 0
    var index = 0
    while start < text.count {
        var end = start
        while end < text.count, text[end] != 0x0A { end += 1 }
        try body(index, UnsafeBufferPointer(rebasing: text[start..<end]))
        index += 1
        start = end + 1
    }
}

/// The lines of `data` as progress.csv rows (after the header, when given): each made from its
/// line, or the row given for it.
func appendProgressRows(_ data: UnsafeRawBufferPointer, _ rows: RowsTarget, to out: inout [UInt8]) throws {
    out.append(contentsOf: rows.header.bindMemory(to: UInt8.self))
    let csv = ProgressCSV(columns: rows.columns)
    try forEachLine(data) { index, line in
        if let given = rows.csvRows[index] {
            out.append(contentsOf: given.bindMemory(to: UInt8.self))
        } else {
            try csv.appendRow(line: UnsafeRawBufferPointer(line), from: 0, to: line.count, into: &out)
        }
    }
}
