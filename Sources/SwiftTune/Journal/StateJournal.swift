#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An experiment's state on disk as a snapshot and an append-only journal of changes beside it,
/// so that making a change durable costs what changed, not the experiment.
///
/// - The snapshot (`path`) is the whole state, replaced atomically (a temporary file, fsync,
///   rename, fsync of the folder), with a member `"journal_generation": g` (random, new each time).
/// - The journal (`path` + `.journal`) starts with `{"journal": 1, "generation": g}` and holds one
///   line per change, `{"seq": n, "ops": [...]}` (a ``StatePatch`` of the state under `root`),
///   each appended with one `write` and made durable with `fdatasync` before ``append(_:)`` returns.
/// - ``compact(_:)`` writes a new snapshot (a new generation), then a new journal for it: a driver
///   killed between the two leaves the journal of the previous generation, which the new snapshot
///   already holds and ``load(path:root:)`` leaves alone.
/// - ``startCompaction()`` writes the new snapshot on a thread of its own (the snapshot and the
///   journal on disk folded into one, so the engine is not involved) while changes go on
///   being appended, to the journal and to the next one (`path` + `.journal.next`, of the new
///   generation), so no change waits for a snapshot of any size: until the snapshot is in place the
///   journal holds every change; from then on the next journal does, and it becomes the journal.
///
/// Reading: the snapshot, then the lines of the journal of its generation (the journal, or the
/// next one when a driver was killed between the snapshot's rename and the journal's), in order.
/// A last line without its newline (a write cut short) is left out; any other line that does not
/// read is an error naming the file and line, never silently skipped.
///
/// Failures: a failed append cuts the journal back to its last whole line, and a failed compaction
/// leaves the previous snapshot and journal as they were, so what is on disk always reads back as a
/// state the experiment was in. The changes of a failed append are not on disk, and the engine has
/// handed them out already, so after it ``wantsCompaction(minimumBytes:)`` is true and ``append(_:)``
/// refuses until ``compact(_:)`` has written the whole state again. A background snapshot that
/// fails loses nothing (the journal has every change): the next ``append(_:)`` reports it after
/// writing, and a later compaction tries again.
public final class StateJournal: @unchecked Sendable {
    /// The snapshot's path; the journal is beside it, with `.journal` appended.
    public let path: String
    /// Where in the saved JSON the journal's patches apply (empty: its root).
    public let root: [StatePatch.Step]

    /// An open journal file.
    struct File {
        var fd: Int32
        var path: String
        var length: Int
        var seq = 0
        let generation: Int64
    }

    /// A snapshot being written on another thread, and the journal that follows it.
    final class Pending: @unchecked Sendable {
        var next: File
        let render: @Sendable () throws(StateJournalError) -> JSONValue
        let snapshotPath: String
        /// The new snapshot's generation (the background thread reads this, never `next`).
        let generation: Int64
        /// Set by the background thread when the snapshot is written (every field initialised, so
        /// that reading it never touches an enum's unset payload).
        let outcome = Locked(Outcome())
        struct Outcome: Sendable {
            var done = false
            var bytes = 0
            var errors: [StateJournalError] = []
        }
        var thread = pthread_t()
        init(next: File, snapshotPath: String, render: @escaping @Sendable () throws(StateJournalError) -> JSONValue) {
            self.next = next
            self.generation = next.generation
            self.snapshotPath = snapshotPath
            self.render = render
        }
        func run() {
            var result = Outcome(done: true)
            do {
                result.bytes = try StateJournal.writeSnapshot(snapshotPath, render(), generation: generation)
            } catch {
                result.errors = [error]
            }
            outcome.withLock { $0 = result }
        }
    }

    private var current: File?
    private var pending: Pending?
    private var generation: Int64 = 0
    private var broken: String?
    /// Bytes in the journal (its header included).
    public private(set) var journalBytes = 0
    /// Bytes in the latest snapshot written or read.
    public private(set) var snapshotBytes = 0

    /// The journal's path for a snapshot at `path`.
    public static func journalPath(_ path: String) -> String { path + ".journal" }
    /// The next journal's path, while a snapshot is written in the background.
    public static func nextJournalPath(_ path: String) -> String { path + ".journal.next" }

    /// A journal for the snapshot at `path`; nothing is written until ``compact(_:)``, which must
    /// come first (it writes the snapshot the journal patches).
    public init(path: String, root: [StatePatch.Step] = []) {
        self.path = path
        self.root = root
    }

    deinit {
        if let pending {
            pthread_join(pending.thread, nil)
            close(pending.next.fd)
        }
        if let current { close(current.fd) }
    }

    /// Whether a snapshot is being written in the background (``startCompaction()``).
    public var isCompacting: Bool { pending != nil }

    /// Whether the next write should be a compaction: before the first, after a failed write, or
    /// when the journal has grown past half the snapshot (and `minimumBytes`), so that reading back
    /// costs at most about one and a half times the state. False while a compaction is under way.
    public func wantsCompaction(minimumBytes: Int = 1 << 20) -> Bool {
        if current == nil || broken != nil { return true }
        return pending == nil && journalBytes > Swift.max(snapshotBytes / 2, minimumBytes)
    }

    /// Whether ``startCompaction()`` can be used now: the journal on disk is whole and current
    /// (otherwise only ``compact(_:)``, which writes everything, can follow).
    public var canCompactInBackground: Bool { current != nil && broken == nil && pending == nil }

    /// A new generation, never the current one.
    private func newGeneration() -> Int64 {
        // Random, not a count: a journal left by another run in this folder (an earlier driver's)
        // can never pass for this snapshot's.
        var next = Int64.random(in: 1...Int64.max)
        while next == generation { next = Int64.random(in: 1...Int64.max) }
        return next
    }

    /// Writes `state` (an object) as the new snapshot, atomically, then starts a new, empty journal
    /// for it (a compaction under way in the background is waited for first).
    /// - Throws: ``StateJournalError`` naming the file and the system's reason; the previous
    ///   snapshot and journal are then still what ``load(path:root:)`` reads.
    public func compact(_ state: JSONValue) throws(StateJournalError) {
        guard case .object = state else { throw .notAnObject(path) }
        _ = try? finishCompaction(wait: true)
        // Until this compaction succeeds, the journal on disk is behind what the engine handed out.
        broken = "the last write failed"
        let next = newGeneration()
        snapshotBytes = try Self.writeSnapshot(path, state, generation: next)
        let header = Self.header(next)
        let journal = Self.journalPath(path)
        try Self.writeAtomically(journal, header)
        unlink(Self.nextJournalPath(path))
        if let current { close(current.fd) }
        current = nil
        let fd = open(journal, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            broken = "cannot open \(journal): \(Self.reason(e))"
            throw .io(path: journal, doing: "open", code: e)
        }
        generation = next
        current = File(fd: fd, path: journal, length: header.count, generation: next)
        journalBytes = header.count
        broken = nil
    }

    /// Starts writing a new snapshot on a thread of its own: the snapshot and the journal as they
    /// are now, read back from disk and folded into one (the engine is not touched, so it pays
    /// nothing for it). Meanwhile ``append(_:)`` writes each change to the journal and to the next
    /// one; a later ``append(_:)`` or ``finishCompaction(wait:)`` takes the snapshot in.
    /// - Throws: ``StateJournalError`` when the next journal cannot be made (nothing changed), or
    ///   ``StateJournalError/broken(_:_:)`` when only ``compact(_:)`` may follow.
    public func startCompaction() throws(StateJournalError) {
        guard canCompactInBackground, let file = current else {
            throw .broken(Self.journalPath(path), "a whole snapshot must be written now")
        }
        let (snapshot, root, changes) = (path, root, file.seq)
        let render: @Sendable () throws(StateJournalError) -> JSONValue = { () throws(StateJournalError) -> JSONValue in
            try StateJournal.read(path: snapshot, root: root, changes: changes).0
        }
        let next = newGeneration()
        let nextPath = Self.nextJournalPath(path)
        let header = Self.header(next)
        let fd = open(nextPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: nextPath, doing: "create", code: errno) }
        if let failure = Self.writeAll(fd, header, sync: true) {
            close(fd)
            unlink(nextPath)
            throw .io(path: nextPath, doing: failure.0, code: failure.1)
        }
        let p = Pending(next: File(fd: fd, path: nextPath, length: header.count, generation: next),
                        snapshotPath: path, render: render)
        let context = Unmanaged.passRetained(p).toOpaque()
        let rc = pthread_create(&p.thread, nil, { ctx in
            let pending = Unmanaged<Pending>.fromOpaque(ctx!).takeRetainedValue()
            pending.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Pending>.fromOpaque(context).release()
            close(fd)
            unlink(nextPath)
            throw .io(path: path, doing: "start a thread to write", code: rc)
        }
        pending = p
    }

    /// Takes in a snapshot written in the background once it is done (or, with `wait`, after
    /// waiting for it): the next journal becomes the journal. Nothing when none is under way.
    /// - Throws: the snapshot's failure (the journal, which holds every change, stays).
    public func finishCompaction(wait: Bool) throws(StateJournalError) {
        guard let p = pending else { return }
        guard wait || p.outcome.withLock({ $0.done }) else { return }
        pthread_join(p.thread, nil)
        pending = nil
        let outcome = p.outcome.withLock { $0 }
        if let e = outcome.errors.first {
            close(p.next.fd)
            unlink(p.next.path)
            throw e
        }
        do {
            let bytes = outcome.bytes
            // The snapshot is in place; its journal is the next one, whatever its name on disk.
            let journal = Self.journalPath(path)
            if let current { close(current.fd) }
            current = p.next
            generation = p.next.generation
            snapshotBytes = bytes
            journalBytes = p.next.length
            if rename(p.next.path, journal) == 0 {
                current?.path = journal
                Self.syncFolder(of: journal)
            } else {
                // Still read (as the next journal of this generation), but a later compaction would
                // reuse its name: the next write must be a whole snapshot.
                broken = "cannot rename \(p.next.path) onto \(journal): \(Self.reason(errno))"
            }
        }
    }

    /// Appends `patch` to the journal (and to the next one while a snapshot is written in the
    /// background) and makes it durable; then takes in a background snapshot that is done.
    /// - Throws: ``StateJournalError``: when the journal's write failed it then reads as before the
    ///   call, and refuses appends until ``compact(_:)``; when only a background snapshot failed,
    ///   the change was written (and nothing is lost).
    public func append(_ patch: StatePatch) throws(StateJournalError) {
        if let broken { throw .broken(Self.journalPath(path), broken) }
        guard var file = current else { throw .broken(Self.journalPath(path), "no snapshot was written yet") }
        if !patch.isEmpty {
            let ops = patch.json
            if let failure = Self.appendLine(&file, ops) {
                _ = ftruncate(file.fd, off_t(file.length))  // back to its last whole line, as far as the storage lets
                _ = fdatasync(file.fd)
                broken = "the last write failed (\(Self.reason(failure.1)))"
                current = file
                throw .io(path: file.path, doing: failure.0, code: failure.1)
            }
            current = file
            journalBytes = file.length
            if let p = pending, let failure = Self.appendLine(&p.next, ops) {
                // The next journal lost this change: the snapshot under way cannot be taken in.
                pthread_join(p.thread, nil)
                pending = nil
                close(p.next.fd)
                unlink(p.next.path)
                throw .io(path: p.next.path, doing: failure.0, code: failure.1)
            }
        }
        try finishCompaction(wait: false)
    }

    /// Appends one change to `file` and makes it durable: the failing call and its errno, or nil.
    private static func appendLine(_ file: inout File, _ ops: JSONValue) -> (String, Int32)? {
        let line = JSONValue.object([("seq", .int(Int64(file.seq + 1))), ("ops", ops)]).serialized() + "\n"
        let bytes = Array(line.utf8)
        if let failure = writeAll(file.fd, bytes, sync: false) { return failure }
        if fdatasync(file.fd) != 0 { return ("fsync", errno) }
        file.seq += 1
        file.length += bytes.count
        return nil
    }

    static func header(_ generation: Int64) -> [UInt8] {
        Array((JSONValue.object([("journal", 1), ("generation", .int(generation))]).serialized() + "\n").utf8)
    }

    /// Writes `state` with its generation to `path` atomically; its size in bytes.
    static func writeSnapshot(_ path: String, _ state: JSONValue, generation: Int64) throws(StateJournalError) -> Int {
        guard case .object(var members) = state else { throw .notAnObject(path) }
        members.removeAll { $0.0 == "journal_generation" }
        members.append(("journal_generation", .int(generation)))
        let bytes = Array(JSONValue.object(members).serialized().utf8)
        try writeAtomically(path, bytes)
        return bytes.count
    }

    /// Reads the state: the snapshot at `path`, patched (under `root`) by each line of its journal.
    /// - Throws: ``StateJournalError`` when the snapshot cannot be read or is not JSON, or a
    ///   journal line other than a cut-short last one does not read or apply.
    public func load() throws(StateJournalError) -> JSONValue {
        let (state, bytes, g) = try Self.read(path: path, root: root, changes: nil)
        snapshotBytes = bytes
        generation = g
        return state
    }

    /// The snapshot at `path` patched by the first `changes` lines (all: nil) of its generation's
    /// journal; with the snapshot's size and generation (0: none).
    static func read(path: String, root: [StatePatch.Step], changes: Int?) throws(StateJournalError) -> (JSONValue, Int, Int64) {
        let snapshotText = try Self.read(path)
        var state: JSONValue
        do { state = try JSONValue(parsing: snapshotText) } catch { throw .malformed(path: path, line: nil, "\(error)") }
        let g = state["journal_generation"]?.intValue
        if case .object(var members) = state {
            members.removeAll { $0.0 == "journal_generation" }
            state = .object(members)
        }
        guard let g else { return (state, snapshotText.count, 0) }  // a snapshot written without a journal
        for journal in [Self.journalPath(path), Self.nextJournalPath(path)] {
            guard let text = try? Self.read(journal) else { continue }  // killed before it was made
            var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            lines.removeLast()  // after the last newline: empty, or a line whose write was cut short
            guard let headerLine = lines.first else { continue }
            let header = try? JSONValue(parsing: Array(headerLine))
            guard header?["journal"]?.intValue == 1, let hg = header?["generation"]?.intValue else {
                throw .malformed(path: journal, line: 1, "not a swifttune journal header")
            }
            guard hg == g else { continue }  // another generation's, which the snapshot holds or never took
            var expected: Int64 = 1
            for (n, line) in lines.enumerated().dropFirst() {
                if let changes, expected > changes { break }
                let record: JSONValue
                do { record = try JSONValue(parsing: Array(line)) } catch { throw .malformed(path: journal, line: n + 1, "\(error)") }
                guard record["seq"]?.intValue == expected, let ops = record["ops"] else {
                    throw .malformed(path: journal, line: n + 1, "expected change \(expected)")
                }
                do {
                    let patch = try StatePatch(json: ops)
                    try StatePatch(patch.ops.map { $0.under(root) }).apply(to: &state)
                } catch {
                    throw .malformed(path: journal, line: n + 1, "\(error)")
                }
                expected += 1
            }
            if let changes, expected <= changes {
                throw .malformed(path: journal, line: nil, "\(changes) changes expected, \(expected - 1) found")
            }
            return (state, snapshotText.count, g)
        }
        if let changes, changes > 0 { throw .malformed(path: Self.journalPath(path), line: nil, "no journal of generation \(g)") }
        return (state, snapshotText.count, g)
    }

    /// Reads the state at `path` (see ``load()``).
    public static func load(path: String, root: [StatePatch.Step] = []) throws(StateJournalError) -> JSONValue {
        try StateJournal(path: path, root: root).load()
    }

    // MARK: files

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    static func read(_ path: String) throws(StateJournalError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, doing: "open", code: errno) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, doing: "read", code: errno)
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[..<n])
        }
    }

    /// Writes all of `bytes` to `fd` (then fsyncs it, with `sync`): the failing call and its errno, or nil.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], sync: Bool) -> (String, Int32)? {
        let failure: (String, Int32)? = bytes.withUnsafeBytes { buffer -> (String, Int32)? in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return ("write", errno)
                }
                done += n
            }
            return nil
        }
        if failure == nil && sync && fsync(fd) != 0 { return ("fsync", errno) }
        return failure
    }

    /// Makes a rename in the folder of `path` durable.
    static func syncFolder(of path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let dfd = open(folder, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// Replaces `path` with `bytes`: a temporary file, fsync, rename, fsync of the folder.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(StateJournalError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: tmp, doing: "create", code: errno) }
        let failure = writeAll(fd, bytes, sync: true)
        close(fd)
        if let (doing, code) = failure {
            unlink(tmp)  // a half-written file only takes space a full disk needs back
            throw .io(path: tmp, doing: doing, code: code)
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw .io(path: path, doing: "rename onto", code: e)
        }
        syncFolder(of: path)
    }
}

/// Why the state journal could not be written or read.
public enum StateJournalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed on a file (errno in `code`).
    case io(path: String, doing: String, code: Int32)
    /// A file does not read as a state or a journal (line: the journal's line, from 1).
    case malformed(path: String, line: Int?, String)
    /// The journal refuses appends until a new snapshot starts a new one.
    case broken(String, String)
    /// The state to save is not a JSON object.
    case notAnObject(String)

    /// The system's error number, for ``io(path:doing:code:)``.
    public var code: Int32? {
        if case .io(_, _, let c) = self { return c }
        return nil
    }

    /// A message naming the file and the problem.
    public var description: String {
        switch self {
        case let .io(path, doing, code): return "cannot \(doing) \(path): \(StateJournal.reason(code))"
        case let .malformed(path, line, m): return "\(path)\(line.map { ", line \($0)" } ?? ""): \(m)"
        case let .broken(path, m): return "\(path): \(m); the next write must be a whole snapshot"
        case .notAnObject(let path): return "the state saved to \(path) must be a JSON object"
        }
    }
}
