import SwiftTune

/// Writes a batch of trial-file operations in one call, without the GIL for a caller through
/// ctypes: what `st_tfevents_write_batch` takes (operations 0, 1 and 2, the same layout), and
/// operation 3, a trial's results in all its files. Operation 3 is laid out as the others (its
/// path is the trial's result.json; its wall time unused; the results' count and wall times; the
/// data, the results' JSON lines without their configuration, separated by newlines; the extras,
/// as `st_tfevents_append_results` takes them), followed by, each as a u32 length and bytes: the
/// progress.csv path, the event file path (empty: no event file), the configuration's JSON, the
/// columns of progress.csv (a JSON array of strings), a header written to progress.csv before
/// the rows (empty: none), and rows given as text (entries of u32 line index, u32 length, bytes).
/// Each line is appended to result.json with `"config"` added last, and to progress.csv as Ray
/// writes it (Python's csv module: the value of each column, `ProgressCSV`) unless a row is given
/// for it; its events go to the event file. Failures are reported as by `st_tfevents_write_batch`
/// (per file: `[{"path": ..., "message": ..., "errno": ...}]` in `*out_failures`, freed with
/// `st_free`); returns `ST_OK`, or `ST_INVALID_ARGUMENT` for NULL pointers, a negative length or a
/// batch whose framing is broken (nothing is written then).
@c(st_trial_files_write_batch)
public func stTrialFilesWriteBatch(_ batch: UnsafePointer<CChar>?, _ length: Int64,
                                   _ out_failures: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api { try runFileBatch(batch, length, out_failures, rows: true) }
}
