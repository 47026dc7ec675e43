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
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--trials": trials = Int(args.next() ?? "") ?? trials
    case "--commit-ms": commitMs = Double(args.next() ?? "") ?? commitMs
    case "--folder": folder = args.next() ?? folder
    case "--restore-only": restoreOnly = true  // profile the restore of the previous run's files
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

do {
    let rss0 = rssMiB()
    let space = try SearchSpace(["lr": .loguniform(1e-4, 1e-1), "act": .choice(["relu", "tanh", "gelu"]),
                                 "x": .uniform(-5, 5)])
    var core = try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: trials),
                                  limiter: ConcurrencyLimiter(RandomSearch(space: space, seed: 1), maxConcurrent: 4))
    let journal = StateJournal(path: path)
    let start = seconds()
    try journal.compact(core.saveStateForJournal(now: 0))
    var lastCommit = seconds(), oldestPending: Double? = nil, longestWait = 0.0
    var compactions = 0, compactionTime = 0.0, appends = 0
    let window = max(1, trials / 10)
    var windowStart = seconds()
    var perTrial: [Double] = []
    var running: [(String, JSONValue)] = []
    var done = 0
    func commit(force: Bool) throws {
        let now = seconds()
        guard force || (now - lastCommit) * 1000 >= commitMs else { return }
        try journal.append(core.takeStateChanges(now: now - start))
        appends += 1
        if let o = oldestPending { longestWait = max(longestWait, seconds() - o) }
        oldestPending = nil
        lastCommit = now
        if journal.wantsCompaction() {
            let t0 = seconds()
            try journal.compact(core.saveStateForJournal(now: t0 - start))
            compactions += 1
            compactionTime += seconds() - t0
        }
    }
    while done < trials {
        // Fill the free slots, then finish the oldest running trial with one result.
        while running.count < 4, case .start(let id, let config) = try core.next(now: seconds() - start) {
            running.append((id, config))
            if oldestPending == nil { oldestPending = seconds() }
        }
        let (id, config) = running.removeFirst()
        let x = config["x"]?.doubleValue ?? 0
        _ = try core.report(id, ["loss": x * x], now: seconds() - start)
        try core.finish(id, .completed, now: seconds() - start)
        if oldestPending == nil { oldestPending = seconds() }
        done += 1
        try commit(force: false)
        if done % window == 0 {
            let t = seconds()
            perTrial.append((t - windowStart) / Double(window))
            windowStart = t
        }
    }
    try commit(force: true)
    let total = seconds() - start
    let rss1 = rssMiB()
    print("swifttune-scale: \(trials) trials, random search, ConcurrencyLimiter(4), one result each, group commit every \(Int(commitMs)) ms")
    let windows = perTrial.map { f($0 * 1e6, 1) }.joined(separator: " ")
    print("  total \(f(total)) s; per trial by tenth of the run (us): \(windows)")
    print("  per trial, last tenth / first tenth: \(f((perTrial.last ?? .nan) / (perTrial.first ?? .nan)))x")
    print("  journal appends \(appends), compactions \(compactions) (\(f(compactionTime)) s in all)")
    print("  longest wait of a change for the disk: \(f(longestWait, 3)) s")
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
