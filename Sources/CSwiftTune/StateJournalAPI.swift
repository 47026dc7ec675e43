#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// `st_journal`: an experiment's state on disk as a snapshot and an append-only journal, behind a lock.
final class JournalHandle: Handle, @unchecked Sendable {
    override class var kindName: String { "journal" }
    let journal: Locked<StateJournal>
    let root: [StatePatch.Step]
    init(_ journal: StateJournal) {
        self.root = journal.root
        self.journal = Locked(journal)
    }
}

/// The path of a member key, or the root for NULL.
private func rootPath(_ key: UnsafePointer<CChar>?) throws -> [StatePatch.Step] {
    guard let key else { return [] }
    return [.key(try string(key, "engine_key"))]
}

/// Runs a journal write: a failure of the storage gives `ST_ERROR` with its errno in `*out_errno`
/// (0 for other failures).
private func journalWrite(_ out_errno: UnsafeMutablePointer<Int32>?, _ body: () throws -> Void) throws -> st_status {
    out_errno?.pointee = 0
    do {
        try body()
    } catch let e as StateJournalError {
        out_errno?.pointee = e.code ?? 0
        throw CError(.ST_ERROR, e.description)
    }
    return .ST_OK
}

/// A journal for the experiment state file at `path` (UTF-8), its changes kept in `path` +
/// ".journal"; the engine's state is the member `engine_key` of the file's JSON object (NULL: the
/// whole file is the engine's state). Nothing is written until `st_journal_compact`. Returns
/// `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_journal_new)
public func stJournalNew(_ path: UnsafePointer<CChar>?, _ engine_key: UnsafePointer<CChar>?,
                         _ out_journal: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_journal, "out_journal")
        let p = try string(path, "path")
        target.pointee = retain(JournalHandle(StateJournal(path: p, root: try rootPath(engine_key))))
        return .ST_OK
    }
}

/// Writes the whole state (`head_json`, a JSON object of the caller's members, with the engine's
/// state as member `engine_key`; NULL: the engine's state alone) atomically, and starts a new
/// journal for it: later `st_journal_append` calls patch this state. With `background` non-zero
/// (and a whole journal on disk), the snapshot is the one on disk with its journal folded in,
/// written on a thread of the library's (the engine is not involved; `head_json` is not used)
/// while `st_journal_append` goes on appending changes (to the journal and to the next one), so
/// no change waits for it; this call appends the changes so far, and a later `st_journal_append`
/// takes the snapshot in. Returns `ST_OK`, `ST_INVALID_ARGUMENT`, `ST_INVALID_JSON` or `ST_ERROR` (the storage
/// failed: `*out_errno` is the system's error number when out_errno is not NULL; the previous
/// state on disk is kept, and the next write must be a compaction).
@c(st_journal_compact)
public func stJournalCompact(_ journal: OpaquePointer?, _ experiment: OpaquePointer?, _ head_json: UnsafePointer<CChar>?,
                             _ background: Int32, _ out_errno: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let j = try object(journal, JournalHandle.self, "journal")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        var head: [(String, JSONValue)] = []
        if let head_json {
            guard let members = try json(head_json, "head_json").objectValue else {
                throw CError(.ST_INVALID_JSON, "head_json must be a JSON object")
            }
            head = members
        }
        guard !j.root.isEmpty || head.isEmpty else { throw CError(.ST_INVALID_ARGUMENT, "head_json needs an engine_key") }
        let key: String? = if case .key(let k)? = j.root.first { k } else { nil }
        head.removeAll { $0.0 == key }
        let members = head
        @Sendable func whole(_ engine: JSONValue) -> JSONValue {
            guard let key else { return engine }
            return .object(members + [(key, engine)])
        }
        return try j.journal.withLock { (journal: inout StateJournal) throws -> st_status in
            try journalWrite(out_errno) {
                if background != 0 && journal.canCompactInBackground {
                    try journal.startCompaction()
                    try journal.append(e.experiment.stateChanges())
                    return
                }
                try journal.compact(whole(e.experiment.saveStateForJournal()))
            }
        }
    }
}

/// Appends what changed in the experiment since the last `st_journal_compact` or
/// `st_journal_append` to the journal (one line; the elapsed time is always in it) and makes it
/// durable (`fdatasync`). `*out_wants_compaction` (may be NULL) is set to 1
/// when the journal has outgrown the state: the next write should be `st_journal_compact`.
/// Returns `ST_OK`, `ST_INVALID_ARGUMENT` or `ST_ERROR` (the storage failed, `*out_errno` as for
/// `st_journal_compact`; or no compaction was written yet, or the last write failed: then
/// `st_journal_compact` must come next).
@c(st_journal_append)
public func stJournalAppend(_ journal: OpaquePointer?, _ experiment: OpaquePointer?,
                            _ out_wants_compaction: UnsafeMutablePointer<Int32>?, _ out_errno: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let j = try object(journal, JournalHandle.self, "journal")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        out_wants_compaction?.pointee = 0
        return try j.journal.withLock { (journal: inout StateJournal) throws -> st_status in
            let status = try journalWrite(out_errno) { try journal.append(e.experiment.stateChanges()) }
            out_wants_compaction?.pointee = journal.wantsCompaction() ? 1 : 0
            return status
        }
    }
}

/// Reads the experiment state file at `path` with its journal applied (see `st_journal_new` for
/// `engine_key`) into `*out_json` (freed with `st_free`): what `st_experiment_resume` takes (its
/// `engine_key` member). A last journal line cut short by a crash is left out. Returns `ST_OK`,
/// `ST_INVALID_ARGUMENT`, `ST_INVALID_STATE` (a file does not read as a state or journal: the
/// message names it and the line) or `ST_ERROR` (a file could not be read).
@c(st_journal_load)
public func stJournalLoad(_ path: UnsafePointer<CChar>?, _ engine_key: UnsafePointer<CChar>?,
                          _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let p = try string(path, "path")
        do {
            target.pointee = try cString(StateJournal.load(path: p, root: try rootPath(engine_key)).serialized())
        } catch let e as StateJournalError {
            if case .io = e { throw CError(.ST_ERROR, e.description) }
            throw CError(.ST_INVALID_STATE, e.description)
        }
        return .ST_OK
    }
}

/// Frees a journal handle (closing its file). NULL is ignored.
@c(st_journal_free)
public func stJournalFree(_ journal: OpaquePointer?) { release(journal, JournalHandle.self) }
