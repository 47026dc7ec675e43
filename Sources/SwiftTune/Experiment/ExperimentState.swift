/// The versioned JSON form of a whole experiment: configuration, trials with every result, the
/// searcher behind its limiter, the scheduler, and the time already spent.
extension ExperimentCore {
    public static let stateVersion: Int64 = 1

    /// The experiment's state at `now`. Restoring it gives back every trial; trials RUNNING now come
    /// back PENDING with their configuration (their partial results dropped, as they run again).
    public func saveState(now: Double) -> JSONValue {
        var cfg: [(String, JSONValue)] = [("metric", .string(config.metric)), ("mode", .string(config.mode.rawValue)),
                                          ("num_samples", .int(Int64(config.numSamples)))]
        cfg.append(("max_concurrent_trials", config.maxConcurrentTrials.map { .int(Int64($0)) } ?? .null))
        cfg.append(("stop", .object(config.stop.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })))
        cfg.append(("time_budget_s", config.timeBudgetS.map { .double($0) } ?? .null))
        return .object([
            ("format", "swifttune.experiment"), ("version", .int(Self.stateVersion)),
            ("config", .object(cfg)),
            ("elapsed_s", .double(elapsed(now: now))),
            ("created", .int(Int64(created))),
            ("limiter", limiter.saveState()),
            ("scheduler", scheduler.saveState()),
            ("trials", .array(trials.map { t in
                let running = t.status == .running
                var m: [(String, JSONValue)] = [("id", .string(t.id)), ("configuration", t.configuration),
                                                ("status", .string(running ? TrialStatus.pending.rawValue : t.status.rawValue))]
                m.append(("results", .array(running ? [] : t.results.map(TrialRecord.json))))
                m.append(("time_s", .double(running ? 0 : t.timeBefore)))
                m.append(("stopped_early", .bool(t.stoppedEarly)))
                m.append(("error", t.errorMessage.map { .string($0) } ?? .null))
                return .object(m)
            })),
        ])
    }

    /// Restores an experiment from ``saveState(now:)``.
    public init(restoring state: JSONValue) throws(ExperimentError) {
        func bad(_ m: String) -> ExperimentError { .invalidState(m) }
        guard state["format"] == .string("swifttune.experiment") else { throw bad("not a swifttune experiment state") }
        guard state["version"]?.intValue == Self.stateVersion else { throw bad("unsupported version \(state["version"].map { "\($0)" } ?? "none")") }
        guard let c = state["config"], let metric = c["metric"]?.stringValue,
              let modeText = c["mode"]?.stringValue, let mode = Mode(rawValue: modeText),
              let numSamples = c["num_samples"]?.intValue, let stopJSON = c["stop"]?.objectValue
        else { throw bad("malformed 'config'") }
        var stop: [String: Double] = [:]
        for (k, v) in stopJSON {
            guard let x = v.doubleValue else { throw bad("stop criterion '\(k)' is not a number") }
            stop[k] = x
        }
        let config = ExperimentConfig(metric: metric, mode: mode, numSamples: Int(numSamples),
                                      maxConcurrentTrials: c["max_concurrent_trials"]?.intValue.map { Int($0) },
                                      stop: stop, timeBudgetS: c["time_budget_s"]?.doubleValue)
        guard let limiterJSON = state["limiter"], let schedulerJSON = state["scheduler"] else { throw bad("missing 'limiter' or 'scheduler'") }
        let limiter: ConcurrencyLimiter
        do { limiter = try ConcurrencyLimiter(restoring: limiterJSON) } catch { throw .search(error) }
        let scheduler: any TrialScheduler
        do { scheduler = try restoreScheduler(schedulerJSON) } catch { throw .schedule(error) }
        try self.init(config: config, limiter: limiter, scheduler: scheduler)
        guard let elapsed = state["elapsed_s"]?.doubleValue, elapsed >= 0, let created = state["created"]?.intValue, created >= 0,
              let items = state["trials"]?.arrayValue
        else { throw bad("malformed 'elapsed_s', 'created' or 'trials'") }
        elapsedBefore = elapsed
        self.created = Int(created)
        for item in items {
            guard let id = item["id"]?.stringValue, let configuration = item["configuration"],
                  let statusText = item["status"]?.stringValue, let status = TrialStatus(rawValue: statusText),
                  status != .running, let results = item["results"]?.arrayValue, let time = item["time_s"]?.doubleValue,
                  case .bool(let stoppedEarly) = item["stopped_early"]
            else { throw bad("malformed trial") }
            guard indexByID[id] == nil else { throw bad("trial '\(id)' appears twice") }
            var record = TrialRecord(id: id, configuration: configuration, status: status)
            for r in results {
                guard let members = r.objectValue else { throw bad("malformed result of trial '\(id)'") }
                var metrics: Metrics = [:]
                for (k, v) in members {
                    guard let x = v.doubleValue else { throw bad("result '\(k)' of trial '\(id)' is not a number") }
                    metrics[k] = x
                }
                record.results.append(metrics)
            }
            record.timeBefore = time
            record.stoppedEarly = stoppedEarly
            record.errorMessage = item["error"]?.stringValue
            // Unfinished trials must still be live in the limiter, finished ones not.
            let unfinished = status == .pending || status == .paused
            let live = limiter.live.contains(id) && !limiter.held.contains(where: { $0.id == id })
            guard unfinished == live else {
                throw bad("trial '\(id)' is \(status.rawValue) but the searcher \(unfinished ? "has no such unfinished trial" : "still waits for it")")
            }
            indexByID[id] = trials.count
            trials.append(record)
            if unfinished { waitingCount += 1 }
        }
        guard trials.count == self.created else { throw bad("'created' is \(created) but there are \(trials.count) trials") }
        for id in limiter.live where indexByID[id] == nil {
            throw bad("the searcher waits for trial '\(id)', which is not in the trial table")
        }
    }
}
