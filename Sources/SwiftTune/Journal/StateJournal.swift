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
///
/// Reading: the snapshot, then the journal's lines in order if its generation is the snapshot's.
/// A last line without its newline (a write cut short) is left out; any other line that does not
/// read is an error naming the file and line, never silently skipped.
///
/// Failures: a failed append cuts the journal back to its last whole line, and a failed compaction
/// leaves the previous snapshot and journal as they were, so what is on disk always reads back as a
/// state the experiment was in. The changes of a failed call are not on disk, and the engine has
/// handed them out already, so after any failure ``wantsCompaction(minimumBytes:)`` is true and
/// ``append(_:)`` refuses until ``compact(_:)`` has written the whole state again.
public final class StateJournal: @unchecked Sendable {
    /// The snapshot's path; the journal is beside it, with `.journal` appended.
    public let path: String
    /// Where in the saved JSON the journal's patches apply (empty: its root).
    public let root: [StatePatch.Step]
    private var fd: Int32 = -1
    private var length = 0
    private var seq = 0
    private var generation: Int64 = 0
    private var broken: String?
    /// Bytes in the journal (its header included).
    public private(set) var journalBytes = 0
    /// Bytes in the latest snapshot written or read.
    public private(set) var snapshotBytes = 0

    /// The journal's path for a snapshot at `path`.
    public static func journalPath(_ path: String) -> String { path + ".journal" }

    /// A journal for the snapshot at `path`; nothing is written until ``compact(_:)``, which must
    /// come first (it writes the snapshot the journal patches).
    public init(path: String, root: [StatePatch.Step] = []) {
        self.path = path
        self.root = root
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Whether the journal has grown past the snapshot (and `minimumBytes`): a good time for
    /// ``compact(_:)``, so that reading back costs at most about twice the state.
    public func wantsCompaction(minimumBytes: Int = 1 << 20) -> Bool {
        fd < 0 || broken != nil || journalBytes > Swift.max(snapshotBytes, minimumBytes)
    }

    /// Writes `state` (an object) as the new snapshot, atomically, then starts a new, empty journal for it.
    /// - Throws: ``StateJournalError`` naming the file and the system's reason; the previous
    ///   snapshot and journal are then still what ``load(path:root:)`` reads.
    public func compact(_ state: JSONValue) throws(StateJournalError) {
        guard case .object(var members) = state else { throw .notAnObject(path) }
        // A fresh random generation, not a count: a journal left by another run in this folder
        // (an earlier driver's) can never pass for this snapshot's.
        var next = Int64.random(in: 1...Int64.max)
        while next == generation { next = Int64.random(in: 1...Int64.max) }
        members.removeAll { $0.0 == "journal_generation" }
        members.append(("journal_generation", .int(next)))
        let text = JSONValue.object(members).serialized()
        // Until this compaction succeeds, the journal on disk is behind what the engine handed out.
        broken = "the last write failed"
        try Self.writeAtomically(path, Array(text.utf8))
        snapshotBytes = text.utf8.count
        let header = Array((JSONValue.object([("journal", 1), ("generation", .int(next))]).serialized() + "\n").utf8)
        let journal = Self.journalPath(path)
        try Self.writeAtomically(journal, header)
        if fd >= 0 { close(fd) }
        fd = open(journal, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            broken = "cannot open \(journal): \(Self.reason(e))"
            throw .io(path: journal, doing: "open", code: e)
        }
        generation = next
        length = header.count
        journalBytes = length
        seq = 0
        broken = nil
    }

    /// Appends `patch` to the journal and makes it durable. An empty patch writes nothing.
    /// - Throws: ``StateJournalError``: the journal then reads as before the call, and refuses
    ///   appends until ``compact(_:)``.
    public func append(_ patch: StatePatch) throws(StateJournalError) {
        if patch.isEmpty { return }
        if let broken { throw .broken(Self.journalPath(path), broken) }
        guard fd >= 0 else { throw .broken(Self.journalPath(path), "no snapshot was written yet") }
        let line = JSONValue.object([("seq", .int(Int64(seq + 1))), ("ops", patch.json)]).serialized() + "\n"
        var bytes = Array(line.utf8)
        let journal = Self.journalPath(path)
        let failure: (String, Int32)? = bytes.withUnsafeMutableBytes { buffer -> (String, Int32)? in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return ("write", errno)
                }
                done += n
            }
            if fdatasync(fd) != 0 { return ("fsync", errno) }
            return nil
        }
        if let (doing, code) = failure {
            _ = ftruncate(fd, off_t(length))  // back to its last whole line, as far as the storage lets
            _ = fdatasync(fd)
            broken = "the last write failed (\(Self.reason(code)))"
            throw .io(path: journal, doing: doing, code: code)
        }
        seq += 1
        length += bytes.count
        journalBytes = length
        bytes.removeAll()
    }

    /// Reads the state: the snapshot at `path`, patched (under `root`) by each line of its journal.
    /// - Throws: ``StateJournalError`` when the snapshot cannot be read or is not JSON, or a
    ///   journal line other than a cut-short last one does not read or apply.
    public func load() throws(StateJournalError) -> JSONValue {
        let snapshotText = try Self.read(path)
        var state: JSONValue
        do { state = try JSONValue(parsing: snapshotText) } catch { throw .malformed(path: path, line: nil, "\(error)") }
        snapshotBytes = snapshotText.count
        let g = state["journal_generation"]?.intValue
        generation = g ?? 0
        if case .object(var members) = state {
            members.removeAll { $0.0 == "journal_generation" }
            state = .object(members)
        }
        guard let g else { return state }  // a snapshot written without a journal
        let journal = Self.journalPath(path)
        let text: [UInt8]
        do { text = try Self.read(journal) } catch { return state }  // killed before the journal was made
        var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        lines.removeLast()  // after the last newline: empty, or a line whose write was cut short
        guard let headerLine = lines.first else { return state }
        let header = try? JSONValue(parsing: Array(headerLine))
        guard header?["journal"]?.intValue == 1, let hg = header?["generation"]?.intValue else {
            throw .malformed(path: journal, line: 1, "not a swifttune journal header")
        }
        guard hg == g else { return state }  // an older journal, which the snapshot holds
        var expected: Int64 = 1
        for (n, line) in lines.enumerated().dropFirst() {
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
        return state
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

    /// Replaces `path` with `bytes`: a temporary file, fsync, rename, fsync of the folder.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(StateJournalError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: tmp, doing: "create", code: errno) }
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
            return fsync(fd) == 0 ? nil : ("fsync", errno)
        }
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
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let dfd = open(folder, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
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
