#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Creates the TensorBoard event file at `path` when it is missing (mode 0644) and appends the
/// event tensorboardX starts every event file with (`file_version` "brain.Event:2") at
/// `wall_time`, seconds since the epoch. An existing file is appended to, never truncated.
/// Returns `ST_OK`, `ST_INVALID_ARGUMENT` (NULL path) or `ST_ERROR` (the file could not be
/// opened or written; the message has the system's reason).
@c(st_tfevents_start)
public func stTFEventsStart(_ path: UnsafePointer<CChar>?, _ wall_time: Double) -> Int32 {
    api {
        let file = try string(path, "path")
        var out: [UInt8] = []
        TensorBoardEvent.appendFileVersion(wallTime: wall_time, to: &out)
        try appendToFile(file, out)
        return .ST_OK
    }
}

/// Appends to the event file at `path` (created when missing) the events of `count` results, as
/// Ray Tune's `TBXLoggerCallback` writes them: every number (not NaN) and boolean of the result,
/// nested objects flattened, as a scalar tagged `ray/tune/<key>`, but the keys `config`, `pid`,
/// `timestamp`, `time_total_s` and `training_iteration`; the step is `timesteps_total` when
/// non-zero, else `training_iteration`. `lines` holds `length` bytes: the results as JSON
/// objects (UTF-8, Python's `NaN` and `Infinity` allowed), one per line, a newline after each
/// (after the last one optional); result `i` is written at `wall_times[i]` (seconds since the
/// epoch). `extras` (NULL when `extras_length` is 0) holds summaries the caller encoded (Ray's
/// histograms, images, videos), each as a 4-byte little-endian result index, a 4-byte
/// little-endian length and that many bytes of an encoded `Summary` message: each becomes an
/// event of its own after the scalars of its result, with that result's step and wall time.
/// The library reads the buffers during the call only. Returns `ST_OK`, `ST_INVALID_ARGUMENT`
/// (a NULL pointer, a negative length, an extra naming no result or running past the buffer),
/// `ST_INVALID_JSON` (a line that is not a JSON object, or not `count` lines; nothing is
/// written then) or `ST_ERROR` (the file could not be opened or written).
@c(st_tfevents_append_results)
public func stTFEventsAppendResults(_ path: UnsafePointer<CChar>?, _ lines: UnsafePointer<CChar>?, _ length: Int64,
                                    _ wall_times: UnsafePointer<Double>?, _ count: Int64,
                                    _ extras: UnsafePointer<CChar>?, _ extras_length: Int64) -> Int32 {
    api {
        let file = try string(path, "path")
        guard length >= 0, count >= 0, extras_length >= 0 else {
            throw CError(.ST_INVALID_ARGUMENT, "length, count and extras_length must not be negative")
        }
        guard lines != nil || length == 0 else { throw CError(.ST_INVALID_ARGUMENT, "lines is NULL") }
        guard wall_times != nil || count == 0 else { throw CError(.ST_INVALID_ARGUMENT, "wall_times is NULL") }
        guard extras != nil || extras_length == 0 else { throw CError(.ST_INVALID_ARGUMENT, "extras is NULL") }
        let summaries = try extraSummaries(UnsafeRawBufferPointer(start: extras, count: Int(extras_length)), count: Int(count))
        let text = UnsafeRawBufferPointer(start: lines, count: Int(length))
        let times = UnsafeBufferPointer(start: wall_times, count: Int(count))
        var encoder = ResultEventEncoder()
        var out: [UInt8] = []
        out.reserveCapacity(Int(length))
        try encoder.append(lines: text, wallTimes: times, extras: { summaries[$0] ?? [] }, to: &out)
        try appendToFile(file, out)
        return .ST_OK
    }
}

/// Appends to the event file at `path` (created when missing) the hparams summaries Ray Tune's
/// `TBXLoggerCallback` writes when a trial ends (tensorboardX's `summary.hparams`: the
/// experiment, the session's start and its end, three events at `wall_time` without a step).
/// `hparams_json` is `{"hparams": {name: value, ...}, "metrics": [tag, ...]}`: the trial's
/// hyperparameters (a null is left out; strings, booleans and numbers are recorded; other values
/// are named with an unset type) and the tags of its metrics. Returns `ST_OK`,
/// `ST_INVALID_ARGUMENT` (NULL), `ST_INVALID_JSON`, `ST_INVALID_CONFIG` (not of that shape) or
/// `ST_ERROR` (the file could not be opened or written).
@c(st_tfevents_append_hparams)
public func stTFEventsAppendHParams(_ path: UnsafePointer<CChar>?, _ hparams_json: UnsafePointer<CChar>?,
                                    _ wall_time: Double) -> Int32 {
    api {
        let file = try string(path, "path")
        let summaries = try HParamsSummaries(json: json(hparams_json, "hparams_json"))
        var out: [UInt8] = []
        summaries.appendEvents(wallTime: wall_time, to: &out)
        try appendToFile(file, out)
        return .ST_OK
    }
}

/// The caller's extra summaries by result index (see `st_tfevents_append_results`).
func extraSummaries(_ extras: UnsafeRawBufferPointer, count: Int) throws -> [Int: [ArraySlice<UInt8>]] {
    let length = extras.count
    guard length > 0 else { return [:] }
    let bytes = Array(extras)
    func word(_ at: Int) -> Int {
        Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
    }
    var out: [Int: [ArraySlice<UInt8>]] = [:]
    var p = 0
    while p < length {
        guard length - p >= 8 else { throw CError(.ST_INVALID_ARGUMENT, "extras: a truncated entry at byte \(p)") }
        let index = word(p), size = word(p + 4)
        guard index < count else {
            throw CError(.ST_INVALID_ARGUMENT, "extras: result index \(index) at byte \(p), but there are \(count) results")
        }
        guard size <= length - p - 8 else { throw CError(.ST_INVALID_ARGUMENT, "extras: the entry at byte \(p) runs past the end") }
        out[index, default: []].append(bytes[(p + 8)..<(p + 8 + size)])
        p += 8 + size
    }
    return out
}

/// Appends `bytes` to the file at `path` (created with mode 0644 when missing) in one `write`
/// where the system allows, then closes it.
func appendToFile(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw FileWriteError(path: path, doing: "open", code: errno) }
    defer { close(fd) }
    try bytes.withUnsafeBytes { buffer in
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileWriteError(path: path, doing: "write", code: errno)
            }
            done += n
        }
    }
}

/// A file that could not be opened or written: the system's error number and a message naming the file.
struct FileWriteError: Error {
    let code: Int32
    let message: String

    init(path: String, doing: String, code: Int32) {
        self.code = code
        self.message = "cannot \(doing) \(path): \(String(cString: strerror(code)))"
    }
}
