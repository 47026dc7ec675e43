/// A validated search space: the user's tree of ``SpaceNode``s compiled into a flat table of
/// labelled parameters, each with the choices it is conditional on.
///
/// Values of a configuration are kept in two forms:
/// - the **configuration**: the nested value the objective receives (choices resolved to their
///   option values, integers as `.int`), as a ``JSONValue``;
/// - the **assignment**: one number per active parameter, by label (a choice's option *index*,
///   a numeric parameter's value). Searchers learn from assignments.
public struct SearchSpace: Sendable, Equatable {
    /// The space as written.
    public let root: SpaceNode
    /// Every parameter, in depth-first order of the tree (parents before their conditional children).
    public let parameters: [Parameter]
    let tree: CompiledNode
    let indexByLabel: [String: Int]

    /// One labelled parameter of the space.
    public struct Parameter: Sendable, Equatable {
        /// What values the parameter takes.
        public enum Domain: Sendable, Equatable {
            /// A numeric distribution.
            case numeric(Distribution)
            /// A choice among `count` options with these probabilities.
            case choice(probabilities: [Double])
        }
        /// The parameter's unique label (explicit, or its path in the space).
        public let label: String
        /// What values the parameter takes.
        public let domain: Domain
        /// The choices (parameter index, option index) that must all be taken for this parameter
        /// to be active; empty for an unconditional parameter.
        public let conditions: [Condition]

        /// One choice a conditional parameter depends on.
        public struct Condition: Sendable, Equatable {
            /// The index of the choice parameter in ``SearchSpace/parameters``.
            public let parameter: Int
            /// The index of the option that must be taken.
            public let option: Int
        }
    }

    indirect enum CompiledNode: Sendable, Equatable {
        case constant(JSONValue)
        case dict(keys: [String], children: [CompiledNode])
        case list([CompiledNode])
        case parameter(Int)
        case choice(Int, options: [CompiledNode])
    }

    /// Compiles and validates a space. O(size of the tree).
    /// - Throws: ``SpaceError`` naming the first invalid parameter or choice.
    public init(_ root: SpaceNode) throws(SpaceError) {
        var builder = Builder()
        let tree = try builder.compile(root, path: [], conditions: [])
        self.root = root
        self.parameters = builder.parameters
        self.tree = tree
        self.indexByLabel = builder.indexByLabel
    }

    /// Spaces are equal when they were written alike (everything else is compiled from the root).
    public static func == (a: SearchSpace, b: SearchSpace) -> Bool { a.root == b.root }

    /// The index of the parameter with this label. O(1).
    public func index(of label: String) -> Int? { indexByLabel[label] }

    private struct Builder {
        var parameters: [Parameter] = []
        var indexByLabel: [String: Int] = [:]

        mutating func add(_ label: String, _ domain: Parameter.Domain, _ conditions: [Parameter.Condition]) throws(SpaceError) -> Int {
            guard indexByLabel[label] == nil else { throw .duplicateLabel(label) }
            let i = parameters.count
            parameters.append(Parameter(label: label, domain: domain, conditions: conditions))
            indexByLabel[label] = i
            return i
        }

        func pathLabel(_ path: [String], _ what: String) throws(SpaceError) -> String {
            guard !path.isEmpty else {
                throw .invalidJSON(path: "$", message: "a \(what) at the top of the space needs a label")
            }
            return path.joined(separator: "/")
        }

        mutating func compile(_ node: SpaceNode, path: [String], conditions: [Parameter.Condition]) throws(SpaceError) -> CompiledNode {
            switch node {
            case .constant(let v):
                return .constant(v)
            case .dict(let entries):
                var seen = Set<String>()
                var children: [CompiledNode] = []
                for e in entries {
                    guard seen.insert(e.key).inserted else {
                        throw .invalidJSON(path: path.isEmpty ? "$" : path.joined(separator: "/"), message: "duplicate key '\(e.key)'")
                    }
                    children.append(try compile(e.node, path: path + [e.key], conditions: conditions))
                }
                return .dict(keys: entries.map(\.key), children: children)
            case .list(let items):
                var children: [CompiledNode] = []
                for (i, item) in items.enumerated() {
                    children.append(try compile(item, path: path + [String(i)], conditions: conditions))
                }
                return .list(children)
            case let .parameter(label, dist):
                let name: String
                if let label { name = label } else { name = try pathLabel(path, "parameter") }
                guard !name.isEmpty else { throw .invalidDistribution(label: name, message: "the label must not be empty") }
                try dist.validate(label: name)
                return .parameter(try add(name, .numeric(dist), conditions))
            case .choice(let c):
                let name: String
                if let l = c.label { name = l } else { name = try pathLabel(path, "choice") }
                guard !name.isEmpty else { throw .invalidChoice(label: name, message: "the label must not be empty") }
                guard !c.options.isEmpty else { throw .invalidChoice(label: name, message: "needs at least one option") }
                let k = c.options.count
                var probabilities = Array(repeating: 1.0 / Double(k), count: k)
                if let p = c.probabilities {
                    guard p.count == k else {
                        throw .invalidChoice(label: name, message: "has \(k) options but \(p.count) probabilities")
                    }
                    for (i, x) in p.enumerated() {
                        guard x.isFinite, x >= 0 else {
                            throw .invalidChoice(label: name, message: "probability \(i) is \(x); probabilities must be finite and non-negative")
                        }
                    }
                    let sum = p.reduce(0, +)
                    guard abs(sum - 1) <= 1e-6 else {
                        throw .invalidChoice(label: name, message: "probabilities sum to \(sum), not 1")
                    }
                    probabilities = p
                }
                let index = try add(name, .choice(probabilities: probabilities), conditions)
                var options: [CompiledNode] = []
                for (i, option) in c.options.enumerated() {
                    // Ray's convention: a dict option continues the choice's path, others add the index.
                    var optionPath = c.label.map { [$0] } ?? path
                    if case .dict = option {} else { optionPath.append(String(i)) }
                    options.append(try compile(option, path: optionPath, conditions: conditions + [.init(parameter: index, option: i)]))
                }
                return .choice(index, options: options)
            }
        }
    }
}

// MARK: - Building configurations

extension SearchSpace {
    /// Walks the tree, asking `decide` for the value of each *active* parameter in depth-first
    /// order (a choice is decided before the parameters of its chosen option), and returns the
    /// assignment (NaN for inactive parameters) and the configuration.
    func build(_ decide: (Int) throws -> Double) rethrows -> (values: [Double], configuration: JSONValue) {
        var values = Array(repeating: Double.nan, count: parameters.count)
        let config = try walk(tree, &values, decide)
        return (values, config)
    }

    private func walk(_ node: CompiledNode, _ values: inout [Double], _ decide: (Int) throws -> Double) rethrows -> JSONValue {
        switch node {
        case .constant(let v): return v
        case let .dict(keys, children):
            var members: [(String, JSONValue)] = []
            members.reserveCapacity(keys.count)
            for (k, c) in zip(keys, children) { members.append((k, try walk(c, &values, decide))) }
            return .object(members)
        case .list(let children):
            var items: [JSONValue] = []
            for c in children { items.append(try walk(c, &values, decide)) }
            return .array(items)
        case .parameter(let i):
            let v = try decide(i)
            values[i] = v
            return parameterValue(i, v)
        case let .choice(i, options):
            let v = try decide(i)
            values[i] = v
            return try walk(options[Int(v)], &values, decide)
        }
    }

    /// The configuration value of numeric parameter `i` holding `v`.
    func parameterValue(_ i: Int, _ v: Double) -> JSONValue {
        if case .numeric(let d) = parameters[i].domain, d.isInteger, let n = Int64(exactly: v.rounded()) {
            return .int(n)
        }
        return .double(v)
    }

    /// A random assignment and configuration: every active parameter drawn from its prior the way
    /// its own library draws it (a choice by its option probabilities).
    func sample(_ rng: inout Xoshiro256) -> (values: [Double], configuration: JSONValue) {
        build { i in drawPrior(i, &rng) }
    }

    func drawPrior(_ i: Int, _ rng: inout Xoshiro256) -> Double {
        switch parameters[i].domain {
        case .numeric(let d): return d.sample(&rng)
        case .choice(let p): return Double(rng.categorical(p))
        }
    }

    /// The configuration of an assignment given by label (choice: option index; numeric: value).
    /// - Throws: ``SpaceError/mismatch(path:message:)`` when an active parameter is missing or a
    ///   value does not fit.
    public func configuration(for assignment: [String: Double]) throws(SpaceError) -> JSONValue {
        do {
            return try build { i throws(SpaceError) -> Double in
                let p = parameters[i]
                guard let v = assignment[p.label] else {
                    throw SpaceError.mismatch(path: p.label, message: "no value for this active parameter")
                }
                try check(i, v, asIndex: true)
                return v
            }.configuration
        } catch let e as SpaceError {
            throw e
        } catch {
            throw .mismatch(path: "$", message: "\(error)")
        }
    }

    func check(_ i: Int, _ v: Double, asIndex: Bool) throws(SpaceError) {
        let p = parameters[i]
        switch p.domain {
        case .numeric(let d):
            guard d.accepts(v) else {
                throw .mismatch(path: p.label, message: "\(JSONValue.format(v)) is not a value of \(d.kind.rawValue)(\(JSONValue.format(d.a)), \(JSONValue.format(d.b)))")
            }
        case .choice(let probs):
            guard v == v.rounded(), v >= 0, v < Double(probs.count) else {
                throw .mismatch(path: p.label, message: "option index \(v) is not in 0..<\(probs.count)")
            }
        }
    }

    /// The assignment (by label) of a configuration built by this space.
    public func assignment(of configuration: JSONValue) throws(SpaceError) -> [String: Double] {
        let values = try match(configuration, fillMissing: nil)
        var out: [String: Double] = [:]
        for (i, v) in values.enumerated() where !v.isNaN { out[parameters[i].label] = v }
        return out
    }

    /// Converts a point given by value (as in Ray's `points_to_evaluate`: a choice by its option's
    /// value, a nested dict for a conditional branch) into an assignment. Parameters the point
    /// leaves out are drawn by `fillMissing`, or are an error when it is nil.
    func match(_ point: JSONValue, fillMissing: ((Int) -> Double)?) throws(SpaceError) -> [Double] {
        var values = Array(repeating: Double.nan, count: parameters.count)
        var missing = fillMissing
        try matchNode(tree, point, path: "$", &values, &missing)
        return values
    }

    private func matchNode(_ node: CompiledNode, _ value: JSONValue?, path: String, _ values: inout [Double], _ fill: inout ((Int) -> Double)?) throws(SpaceError) {
        switch node {
        case .constant(let c):
            if let value, !Self.sameValue(value, c) {
                throw .mismatch(path: path, message: "\(value) does not match the constant \(c)")
            }
        case let .dict(keys, children):
            if let value, value.objectValue == nil {
                throw .mismatch(path: path, message: "expected an object, got \(value)")
            }
            if let value, let members = value.objectValue {
                for (k, _) in members where !keys.contains(k) {
                    throw .mismatch(path: path, message: "unknown key '\(k)'")
                }
            }
            for (k, c) in zip(keys, children) {
                try matchNode(c, value?[k], path: path + "." + k, &values, &fill)
            }
        case .list(let children):
            if let value {
                guard let items = value.arrayValue, items.count == children.count else {
                    throw .mismatch(path: path, message: "expected a list of \(children.count) values, got \(value)")
                }
                for (n, (c, v)) in zip(children, items).enumerated() {
                    try matchNode(c, v, path: path + "[\(n)]", &values, &fill)
                }
            } else {
                for (n, c) in children.enumerated() { try matchNode(c, nil, path: path + "[\(n)]", &values, &fill) }
            }
        case .parameter(let i):
            if let value {
                guard let x = value.doubleValue else {
                    throw .mismatch(path: path, message: "expected a number for '\(parameters[i].label)', got \(value)")
                }
                do { try check(i, x, asIndex: false) } catch {
                    throw .mismatch(path: path, message: "\(error)")
                }
                values[i] = x
            } else if let f = fill {
                values[i] = f(i)
            } else {
                throw .mismatch(path: path, message: "no value for '\(parameters[i].label)'")
            }
        case let .choice(i, options):
            if let value {
                // The first option the value matches (constants compared by value, sub-spaces by structure).
                for (k, option) in options.enumerated() {
                    var trial = values
                    var noFill: ((Int) -> Double)? = nil
                    if (try? matchNode(option, value, path: path, &trial, &noFill)) != nil {
                        values = trial
                        values[i] = Double(k)
                        return
                    }
                }
                // A partial sub-space: retry allowing missing parameters to be filled.
                if fill != nil {
                    for (k, option) in options.enumerated() {
                        var trial = values
                        var f = fill
                        if (try? matchNode(option, value, path: path, &trial, &f)) != nil {
                            values = trial
                            values[i] = Double(k)
                            return
                        }
                    }
                }
                throw .mismatch(path: path, message: "\(value) is none of the options of choice '\(parameters[i].label)'")
            } else if let f = fill {
                let k = f(i)
                values[i] = k
                try matchNode(options[Int(k)], nil, path: path, &values, &fill)
            } else {
                throw .mismatch(path: path, message: "no value for choice '\(parameters[i].label)'")
            }
        }
    }

    /// Equality of configuration values where 1 and 1.0 are the same number.
    static func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
        case let (.object(x), .object(y)):
            return x.count == y.count && x.allSatisfy { kv in b[kv.0].map { sameValue(kv.1, $0) } ?? false }
        default:
            if let x = a.doubleValue, let y = b.doubleValue { return x == y }
            return a == b
        }
    }
}
