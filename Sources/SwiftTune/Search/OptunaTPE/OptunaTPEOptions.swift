/// Optuna 5.0's `TPESampler` options, with its defaults (see docs/tpe-optuna.md).
extension OptunaTPESearch {
    /// How many of the n finished trials form the good ("below") group.
    public enum Gamma: Sendable, Equatable {
        /// min(ceil(fraction * n), cap): Optuna's `default_gamma` is (0.1, 25); its multi-objective
        /// `default_gamma_multiobjective` has no cap (nil).
        case linear(fraction: Double, cap: Int?)
        /// min(ceil(fraction * sqrt(n)), cap): Optuna's `hyperopt_default_gamma` is (0.25, 25).
        case squareRoot(fraction: Double, cap: Int?)

        /// The size of the good group for n finished trials.
        public func callAsFunction(_ n: Int) -> Int {
            let (x, cap): (Double, Int?)
            switch self {
            case let .linear(f, c): (x, cap) = (f * Double(n), c)
            case let .squareRoot(f, c): (x, cap) = (f * Double(n).squareRoot(), c)
            }
            let g = Int(x.rounded(.up))
            return cap.map { Swift.min(g, $0) } ?? g
        }
    }

    /// The weights of a group's observations, in trial order.
    public enum Weights: String, Sendable, Equatable {
        /// Optuna's `default_weights`: 1 for the newest 25, older ones ramped linearly from 1/n.
        case `default`
        /// 1 for every observation.
        case uniform

        /// The weights of n observations.
        func callAsFunction(_ n: Int) -> [Double] {
            guard self == .default, n >= 25 else { return Array(repeating: 1, count: n) }
            let ramp = n - 25
            var w = [Double](repeating: 1, count: n)
            // numpy.linspace(1 / n, 1, num=ramp): start + i * (stop - start) / (ramp - 1), the
            // last one exactly stop.
            let start = 1 / Double(n)
            if ramp == 1 { w[0] = start }
            if ramp > 1 {
                let delta = (1 - start) / Double(ramp - 1)
                for i in 0..<ramp { w[i] = start + Double(i) * delta }
                w[ramp - 1] = 1
            }
            return w
        }
    }

    /// The sampler's options.
    public struct Options: Sendable, Equatable {
        /// Below this many finished (complete or pruned) trials, suggestions are random
        /// (Optuna's `RandomSampler`).
        public var nStartupTrials = 10
        /// Candidates drawn from the good group's estimator per suggestion.
        public var nEICandidates = 24
        /// Weight of the prior component (and the categorical kernels' pseudo-count).
        public var priorWeight = 1.0
        /// Clip kernel widths from below at (high - low) / min(100, n + 2).
        public var considerMagicClip = true
        /// Let the outermost kernels reach to the bounds.
        public var considerEndpoints = false
        /// One joint estimator over the parameters every finished trial has (Optuna 5.0's default
        /// for one objective); false: one estimator per parameter.
        public var multivariate = true
        /// Split the parameters into groups of ones that always occur together (conditional
        /// spaces) and model each group jointly; needs `multivariate`.
        public var group = false
        /// Running trials count as bad ones (Optuna 5.0's default) so concurrent suggestions
        /// spread out.
        public var constantLiar = true
        /// The split rule.
        public var gamma = Gamma.linear(fraction: 0.1, cap: 25)
        /// The observations' weights.
        public var weights = Weights.default

        /// Optuna's defaults.
        public init() {}

        /// Checks every option; messages name them as Optuna spells them.
        func validate() throws(SearchError) {
            guard nStartupTrials >= 0 else { throw .invalidOption("n_startup_trials must be >= 0, got \(nStartupTrials)") }
            guard nEICandidates >= 1 else { throw .invalidOption("n_ei_candidates must be >= 1, got \(nEICandidates)") }
            guard priorWeight.isFinite, priorWeight >= 0 else {
                throw .invalidOption("A non-negative value must be specified for prior_weight, but got \(priorWeight).")
            }
            if group && !multivariate { throw .invalidOption("``group`` option can only be enabled when ``multivariate`` is enabled.") }
            switch gamma {
            case let .linear(f, cap), let .squareRoot(f, cap):
                guard f.isFinite, f >= 0 else { throw .invalidOption("gamma's fraction must be a non-negative number, got \(f)") }
                if let cap, cap < 0 { throw .invalidOption("gamma's cap must be >= 0, got \(cap)") }
            }
        }

        /// The options as JSON (the specification's and the saved state's form).
        var json: JSONValue {
            let g: JSONValue
            switch gamma {
            case let .linear(f, cap): g = ["rule": "linear", "fraction": .double(f), "cap": cap.map { .int(Int64($0)) } ?? .null]
            case let .squareRoot(f, cap): g = ["rule": "sqrt", "fraction": .double(f), "cap": cap.map { .int(Int64($0)) } ?? .null]
            }
            return ["n_startup_trials": .int(Int64(nStartupTrials)), "n_ei_candidates": .int(Int64(nEICandidates)),
                    "prior_weight": .double(priorWeight), "consider_magic_clip": .bool(considerMagicClip),
                    "consider_endpoints": .bool(considerEndpoints), "multivariate": .bool(multivariate), "group": .bool(group),
                    "constant_liar": .bool(constantLiar), "gamma": g, "weights": .string(weights.rawValue)]
        }

        /// The option names ``init(json:)`` reads.
        public static let names = ["n_startup_trials", "n_ei_candidates", "prior_weight", "consider_magic_clip", "consider_endpoints",
                                   "multivariate", "group", "constant_liar", "gamma", "weights"]

        /// Reads options given as JSON (any subset of ``names``; the rest keep Optuna's defaults),
        /// not validated. `gamma` is `{"rule": "linear" | "sqrt", "fraction": F, "cap": N or null}`.
        public init(json: JSONValue) throws(SearchError) {
            self.init()
            func int(_ k: String) throws(SearchError) -> Int? {
                guard let v = json[k], v != .null else { return nil }
                guard let i = v.intValue else { throw .invalidOption("'\(k)' must be an integer, got \(v)") }
                return Int(clamping: i)
            }
            func bool(_ k: String) throws(SearchError) -> Bool? {
                guard let v = json[k], v != .null else { return nil }
                guard case .bool(let b) = v else { throw .invalidOption("'\(k)' must be true or false, got \(v)") }
                return b
            }
            if let v = try int("n_startup_trials") { nStartupTrials = v }
            if let v = try int("n_ei_candidates") { nEICandidates = v }
            if let v = json["prior_weight"], v != .null {
                guard let d = v.doubleValue else { throw .invalidOption("'prior_weight' must be a number, got \(v)") }
                priorWeight = d
            }
            if let v = try bool("consider_magic_clip") { considerMagicClip = v }
            if let v = try bool("consider_endpoints") { considerEndpoints = v }
            if let v = try bool("multivariate") { multivariate = v }
            if let v = try bool("group") { group = v }
            if let v = try bool("constant_liar") { constantLiar = v }
            if let g = json["gamma"], g != .null {
                guard let f = g["fraction"]?.doubleValue else { throw .invalidOption("'gamma' needs a numeric 'fraction'") }
                var cap: Int? = nil
                if let c = g["cap"], c != .null {
                    guard let i = c.intValue else { throw .invalidOption("'gamma' 'cap' must be an integer or null") }
                    cap = Int(clamping: i)
                }
                switch g["rule"]?.stringValue {
                case "linear": gamma = .linear(fraction: f, cap: cap)
                case "sqrt": gamma = .squareRoot(fraction: f, cap: cap)
                default: throw .invalidOption("'gamma' 'rule' must be \"linear\" or \"sqrt\"")
                }
            }
            if let w = json["weights"], w != .null {
                guard let s = w.stringValue, let v = Weights(rawValue: s) else { throw .invalidOption("'weights' must be \"default\" or \"uniform\"") }
                weights = v
            }
            for (k, _) in json.objectValue ?? [] where !Self.names.contains(k) { throw .invalidOption("unknown option '\(k)' of Optuna's TPE") }
        }
    }
}
