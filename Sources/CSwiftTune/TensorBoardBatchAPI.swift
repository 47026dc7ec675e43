#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// The operations of `st_tfevents_write_batch`.
enum TFEventsOp: UInt8 {
    /// `st_tfevents_start`.
    case start = 0
    /// `st_tfevents_append_results`.
    case results = 1
    /// `st_tfevents_append_hparams`.
    case hparams = 2
}

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
/// on: `*out_failures` is then a JSON array `[{"path": ..., "message": ...}]` (freed with
/// `st_free`), else NULL. Returns `ST_OK` (failures or not), or `ST_INVALID_ARGUMENT` (NULL
/// pointers, a negative length, a batch whose framing is broken: nothing is written).
@c(st_tfevents_write_batch)
public func stTFEventsWriteBatch(_ batch: UnsafePointer<CChar>?, _ length: Int64,
                                 _ out_failures: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_failures, "out_failures")
        guard length >= 0 else { throw CError(.ST_INVALID_ARGUMENT, "length must not be negative") }
        guard batch != nil || length == 0 else { throw CError(.ST_INVALID_ARGUMENT, "batch is NULL") }
        var reader = BatchReader(bytes: UnsafeRawBufferPointer(start: batch, count: Int(length)))
        // Read (and frame-check) every operation first: a broken batch writes nothing.
        var order: [String] = []
        var output: [String: [UInt8]] = [:]
        var failures: [(String, String)] = []
        var failed: Set<String> = []
        var ops: [(TFEventsOp, String, Double, [Double], UnsafeRawBufferPointer, UnsafeRawBufferPointer)] = []
        while reader.pos < reader.bytes.count {
            let at = reader.pos
            guard let kind = TFEventsOp(rawValue: try reader.take(1, "an operation")[0]) else {
                throw CError(.ST_INVALID_ARGUMENT, "batch: unknown operation at byte \(at)")
            }
            let path = String(decoding: try reader.take(try reader.u32("a path's length"), "a path"), as: UTF8.self)
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
            ops.append((kind, path, wall, walls, data, extras))
        }
        var encoder = ResultEventEncoder()
        for (kind, path, wall, times, data, extras) in ops where !failed.contains(path) {
            if output[path] == nil { order.append(path) }
            // Taken out while it grows (a copy left in the dictionary would be copied on write).
            var bytes = output.removeValue(forKey: path) ?? []
            do {
                switch kind {
                case .start:
                    TensorBoardEvent.appendFileVersion(wallTime: wall, to: &bytes)
                case .results:
                    let summaries = try extraSummaries(extras, count: times.count)
                    bytes.reserveCapacity(bytes.count + data.count + extras.count)  // about the events' size: no regrowth
                    try times.withUnsafeBufferPointer { (w: UnsafeBufferPointer<Double>) throws(JSONError) in
                        try encoder.append(lines: data, wallTimes: w, extras: { summaries[$0] ?? [] }, to: &bytes)
                    }
                case .hparams:
                    let summaries = try HParamsSummaries(json: JSONValue(parsing: String(decoding: data, as: UTF8.self)))
                    summaries.appendEvents(wallTime: wall, to: &bytes)
                }
                output[path] = bytes
            } catch {
                output[path] = bytes
                failed.insert(path)
                failures.append((path, CError(error).message))
            }
        }
        for path in order where !failed.contains(path) {
            do { try appendToFile(path, output[path] ?? []) } catch {
                failures.append((path, CError(error).message))
            }
        }
        target.pointee = failures.isEmpty ? nil : try cString(JSONValue.array(failures.map {
            .object([("path", .string($0.0)), ("message", .string($0.1))])
        }).serialized())
        return .ST_OK
    }
}
