// `make bench-scale`: an experiment of N trials (100,000 by default) through the Swift engine with
// its state journalled to disk as it runs, as a front end would: random search behind
// ConcurrencyLimiter(4), one result per trial, changes appended at most every `--commit-ms`
// (group commit: every change is on disk within that time), the snapshot rewritten when the journal
// outgrows it. Prints the cost per trial (engine + journal) by window, the journal's and snapshot's
// sizes, the longest time a change waited to be on disk, memory per trial, and the time to restore.
#if canImport(Glibc)
import Glibc
#endif
import SwiftTune

func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

@_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32

/// Resident memory, MiB (from /proc/self/statm).
func rssMiB() -> Double {
    guard let f = fopen("/proc/self/statm", "r") else { return .nan }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 256)
    guard fgets(&line, 256, f) != nil else { return .nan }
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let parts = text.split(separator: " ")
    guard parts.count >= 2, let pages = Double(parts[1]) else { return .nan }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// `x` with `digits` decimals.
func f(_ x: Double, _ digits: Int = 2) -> String {
    guard x.isFinite else { return "\(x)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let r = (abs(x) * scale).rounded()
    let whole = Int(r / scale), frac = Int(r - Double(whole) * scale)
    let fs = String(frac)
    return (x < 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + String(repeating: "0", count: digits - fs.count) + fs : "")
}

var trials = 100_000
var commitMs = 200.0
var folder = "/tmp/swifttune-scale"
var restoreOnly = false
var trialUs = 50.0
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--trials": trials = Int(args.next() ?? "") ?? trials
    case "--commit-ms": commitMs = Double(args.next() ?? "") ?? commitMs
    case "--folder": folder = args.next() ?? folder
    case "--restore-only": restoreOnly = true  // profile the restore of the previous run's files
    case "--trial-us": trialUs = Double(args.next() ?? "") ?? trialUs
    default: print("unknown argument \(a)"); exit(2)
    }
}
mkdir(folder, 0o755)
let path = folder + "/experiment_state.json"
if restoreOnly {
    do {
        for _ in 0..<3 {
            let t0 = seconds()
            let state = try StateJournal.load(path: path)
            let t1 = seconds()
            let restored = try ExperimentCore(restoring: state)
            print("restore: read + replay \(f(t1 - t0, 3)) s, engine from state \(f(seconds() - t1, 3)) s, \(restored.trials.count) trials")
        }
    } catch {
        print("swifttune-scale: \(error)")
        exit(1)
    }
    exit(0)
}
unlink(path)
unlink(StateJournal.journalPath(path))

/// The front end's state writer, on a thread of its own as Python's is: every `commitMs` it
/// appends the engine's changes (a compaction when the journal has outgrown the snapshot).
final class Writer: @unchecked Sendable {
    let experiment: Experiment
    let journal: StateJournal
    let commitS: Double
    let stop = Locked(false)
    let stats = Locked((appends: 0, compactions: 0, compactionTime: 0.0, longestGap: 0.0, error: [String]()))

    init(_ experiment: Experiment, _ journal: StateJournal, commitS: Double) {
        self.experiment = experiment
        self.journal = journal
        self.commitS = commitS
    }

    func run() {
        var lastEnd = seconds()
        while true {
            let done = stop.withLock { $0 }
            let wait = lastEnd + commitS - seconds()
            if wait > 0 && !done { usleep(UInt32(wait * 1e6)) }
            let t0 = seconds()
            do {
                if journal.wantsCompaction() && journal.canCompactInBackground {
                    // The snapshot is written on a thread of the journal's; changes go on meanwhile.
                    try journal.startCompaction()
                    try journal.append(experiment.stateChanges())
                    stats.withLock { $0.compactions += 1 }
                } else {
                    let compacting = journal.isCompacting
                    try journal.append(experiment.stateChanges())
                    if compacting && !journal.isCompacting { stats.withLock { $0.compactionTime += seconds() - t0 } }
                    stats.withLock { $0.appends += 1 }
                }
            } catch {
                stats.withLock { $0.error = ["\(error)"] }
                return
            }
            if done {
                do { try journal.finishCompaction(wait: true) } catch {
                    stats.withLock { $0.error = ["\(error)"] }
                }
            }
            let end = seconds()
            // A change made just after the previous write ended is on disk when this one ends
            // (the last write, which waits for a snapshot under way, is not counted).
            if !done { stats.withLock { $0.longestGap = max($0.longestGap, end - lastEnd) } }
            lastEnd = end
            if done { return }
        }
    }
}

/// The writer thread's entry (not isolated to the main actor, as main.swift's code is).
nonisolated func writerThread(_ ctx: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<Writer>.fromOpaque(ctx!).takeUnretainedValue().run()
    return nil
}

do {
    let rss0 = rssMiB()
    let space = try SearchSpace(["lr": .loguniform(1e-4, 1e-1), "act": .choice(["relu", "tanh", "gelu"]),
                                 "x": .uniform(-5, 5)])
    let experiment = try Experiment(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: trials),
                                    limiter: ConcurrencyLimiter(RandomSearch(space: space, seed: 1), maxConcurrent: 4))
    let journal = StateJournal(path: path)
    try journal.compact(experiment.saveStateForJournal())
    let writer = Writer(experiment, journal, commitS: commitMs / 1000)
    var tid = pthread_t()
    let context = Unmanaged.passRetained(writer).toOpaque()
    guard pthread_create(&tid, nil, writerThread, context) == 0 else { print("swifttune-scale: no writer thread"); exit(1) }
    let start = seconds()
    let window = max(1, trials / 10)
    var engineTime = 0.0
    var perTrial: [Double] = []
    var running: [(String, JSONValue)] = []
    var done = 0
    while done < trials {
        // Each trial's "work" (`--trial-us` of wall time), then the engine's calls, timed.
        let workEnd = seconds() + trialUs * 1e-6
        while seconds() < workEnd {}
        let t0 = seconds()
        // Fill the free slots, then finish the oldest running trial with one result.
        while running.count < 4, case .start(let id, let config) = try experiment.next() {
            running.append((id, config))
        }
        let (id, config) = running.removeFirst()
        let x = config["x"]?.doubleValue ?? 0
        _ = try experiment.report(id, ["loss": x * x])
        try experiment.finish(id, .completed)
        engineTime += seconds() - t0
        done += 1
        if done % window == 0 {
            perTrial.append(engineTime / Double(window))
            engineTime = 0
        }
    }
    let total = seconds() - start
    writer.stop.withLock { $0 = true }
    pthread_join(tid, nil)
    Unmanaged<Writer>.fromOpaque(context).release()
    let stats = writer.stats.withLock { $0 }
    if let error = stats.error.first { print("swifttune-scale: the writer failed: \(error)"); exit(1) }
    _ = mallocTrim(0)  // what the process still holds, not what the allocator kept
    let rss1 = rssMiB()
    print("swifttune-scale: \(trials) trials, random search, ConcurrencyLimiter(4), one result each, \(Int(trialUs)) us of "
          + "work per trial; the state journalled by a writer thread every \(Int(commitMs)) ms (\(path))")
    let windows = perTrial.map { f($0 * 1e6, 1) }.joined(separator: " ")
    print("  total \(f(total)) s; the engine's time per trial (next, report, finish) by tenth of the run (us): \(windows)")
    print("  per trial, last tenth / first tenth: \(f((perTrial.last ?? .nan) / (perTrial.first ?? .nan)))x")
    print("  writes: \(stats.appends) appends, \(stats.compactions) compactions (snapshots written in the background)")
    print("  longest time between the ends of two writes (the longest a change waited for the disk): \(f(stats.longestGap, 3)) s")
    print("  snapshot \(journal.snapshotBytes) bytes, journal \(journal.journalBytes) bytes at the end")
    let grown = rss1 - rss0
    print("  memory: \(f(grown, 1)) MiB resident growth, \(f(grown * 1_048_576 / Double(trials), 0)) bytes per trial")
    var best = Double.infinity
    for _ in 0..<3 {
        let t0 = seconds()
        let state = try StateJournal.load(path: path)
        let t1 = seconds()
        let restored = try ExperimentCore(restoring: state)
        let t2 = seconds()
        precondition(restored.trials.count == trials)
        best = min(best, t2 - t0)
        print("  restore: read + replay \(f(t1 - t0, 3)) s, engine from state \(f(t2 - t1, 3)) s, total \(f(t2 - t0, 3)) s")
    }
    print("  restore (best of 3): \(f(best, 3)) s")
} catch {
    print("swifttune-scale: \(error)")
    exit(1)
}
