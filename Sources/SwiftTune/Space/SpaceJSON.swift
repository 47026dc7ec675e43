/// The versioned JSON form of a search space (see `docs/space-format.md`):
/// `{"format": "swifttune.space", "version": 1, "space": NODE}`.
extension SearchSpace {
    /// The format's current version.
    public static let formatVersion: Int64 = 1

    /// The space's JSON document. `SearchSpace(json: space.json) == space` always holds.
    public var json: JSONValue {
        .object([("format", "swifttune.space"), ("version", .int(Self.formatVersion)), ("space", root.json)])
    }

    /// Reads a space from its JSON document.
    /// - Throws: ``SpaceError`` with the path of the offending node.
    public init(json: JSONValue) throws(SpaceError) {
        guard let members = json.objectValue else {
            throw .invalidJSON(path: "$", message: "expected an object {\"format\": \"swifttune.space\", \"version\": 1, \"space\": ...}")
        }
        for (k, _) in members where !["format", "version", "space"].contains(k) {
            throw .invalidJSON(path: "$", message: "unknown key '\(k)'")
        }
        guard json["format"] == .string("swifttune.space") else {
            throw .invalidJSON(path: "$.format", message: "expected \"swifttune.space\"")
        }
        guard let version = json["version"]?.intValue else {
            throw .invalidJSON(path: "$.version", message: "expected an integer version")
        }
        guard version == Self.formatVersion else {
            throw .invalidJSON(path: "$.version", message: "version \(version) is not supported (this library reads version \(Self.formatVersion))")
        }
        guard let space = json["space"] else { throw .invalidJSON(path: "$", message: "missing 'space'") }
        try self.init(SpaceNode(json: space, path: "$.space"))
    }

    /// Reads a space from JSON text.
    public init(jsonText: String) throws(SpaceError) {
        let value: JSONValue
        do { value = try JSONValue(parsing: jsonText) } catch {
            throw .invalidJSON(path: "$", message: error.description)
        }
        try self.init(json: value)
    }
}

extension SpaceNode {
    /// The node's JSON form. Scalar constants are written bare; every other node is an object with
    /// a `"type"`.
    public var json: JSONValue {
        switch self {
        case .constant(let v):
            switch v {
            case .array, .object: return .object([("type", "const"), ("value", v)])
            default: return v
            }
        case .dict(let entries):
            return .object([("type", "dict"), ("items", .object(entries.map { ($0.key, $0.node.json) }))])
        case .list(let items):
            return .object([("type", "list"), ("items", .array(items.map(\.json)))])
        case let .parameter(label, d):
            let isLog = d.kind == .optunaFloatLog || d.kind == .optunaIntLog
            let type = d.kind == .optunaFloatLog ? "optuna.float" : d.kind == .optunaIntLog ? "optuna.int" : d.kind.rawValue
            var m: [(String, JSONValue)] = [("type", .string(type))]
            if let label { m.append(("label", .string(label))) }
            let (an, bn) = d.kind.argumentNames
            m.append((an, Self.number(d.a, integer: d.isInteger)))
            m.append((bn, Self.number(d.b, integer: d.isInteger)))
            if let q = d.q { m.append((d.kind.stepKey, Self.number(q, integer: d.isInteger))) }
            if isLog { m.append(("log", .bool(true))) }
            if let base = d.base { m.append(("base", .double(base))) }
            return .object(m)
        case .choice(let c):
            var m: [(String, JSONValue)]
            if c.isTuneChoice {
                m = [("type", "tune.choice")]
            } else {
                m = [("type", c.probabilities == nil ? "choice" : "pchoice")]
            }
            if let label = c.label { m.append(("label", .string(label))) }
            m.append((c.isTuneChoice ? "categories" : "options", .array(c.options.map(\.json))))
            if let p = c.probabilities { m.append(("p", .array(p.map { .double($0) }))) }
            return .object(m)
        }
    }

    static func number(_ x: Double, integer: Bool) -> JSONValue {
        if integer, let i = Int64(exactly: x) { return .int(i) }
        return .double(x)
    }

    /// Reads a node from its JSON form; `path` names it in error messages.
    public init(json: JSONValue, path: String = "$") throws(SpaceError) {
        guard case .object = json else {
            if case .array = json {
                throw .invalidJSON(path: path, message: "a list must be written {\"type\": \"list\", \"items\": [...]} (or {\"type\": \"const\", \"value\": [...]} for a fixed list)")
            }
            self = .constant(json)
            return
        }
        guard let type = json["type"]?.stringValue else {
            throw .invalidJSON(path: path, message: "an object node needs a string \"type\" (a dict of sub-spaces is {\"type\": \"dict\", \"items\": {...}})")
        }
        func fail(_ m: String) -> SpaceError { .invalidJSON(path: path, message: m) }
        func allow(_ keys: Set<String>) throws(SpaceError) {
            for (k, _) in json.objectValue ?? [] where !keys.contains(k) {
                throw fail("unknown key '\(k)' for type '\(type)'")
            }
        }
        func label(required: Bool) throws(SpaceError) -> String? {
            guard let l = json["label"] else {
                if required { throw fail("'\(type)' needs a \"label\"") }
                return nil
            }
            guard let s = l.stringValue else { throw fail("\"label\" must be a string") }
            return s
        }
        switch type {
        case "const":
            try allow(["type", "value"])
            guard let v = json["value"] else { throw fail("'const' needs a \"value\"") }
            self = .constant(v)
        case "dict":
            try allow(["type", "items"])
            guard let items = json["items"]?.objectValue else { throw fail("'dict' needs an object \"items\"") }
            var entries: [DictEntry] = []
            for (k, v) in items { entries.append(DictEntry(k, try SpaceNode(json: v, path: path + ".items." + k))) }
            self = .dict(entries)
        case "list":
            try allow(["type", "items"])
            guard let items = json["items"]?.arrayValue else { throw fail("'list' needs an array \"items\"") }
            var nodes: [SpaceNode] = []
            for (i, v) in items.enumerated() { nodes.append(try SpaceNode(json: v, path: path + ".items[\(i)]")) }
            self = .list(nodes)
        case "choice", "pchoice", "tune.choice":
            let isTune = type == "tune.choice"
            let listKey = isTune ? "categories" : "options"
            try allow(type == "pchoice" ? ["type", "label", "options", "p"] : ["type", "label", listKey])
            let l = try label(required: !isTune)
            guard let opts = json[listKey]?.arrayValue else { throw fail("'\(type)' needs an array \"\(listKey)\"") }
            var nodes: [SpaceNode] = []
            for (i, v) in opts.enumerated() { nodes.append(try SpaceNode(json: v, path: path + ".\(listKey)[\(i)]")) }
            var probabilities: [Double]? = nil
            if type == "pchoice" {
                guard let p = json["p"]?.arrayValue else { throw fail("'pchoice' needs an array \"p\" of probabilities") }
                var ps: [Double] = []
                for x in p {
                    guard let d = x.doubleValue else { throw fail("\"p\" must hold numbers") }
                    ps.append(d)
                }
                probabilities = ps
            }
            self = .choice(Choice(label: l, options: nodes, probabilities: probabilities, isTuneChoice: isTune))
        default:
            guard var kind = Distribution.Kind(rawValue: type) else {
                throw fail("unknown type '\(type)'")
            }
            if kind == .optunaFloat || kind == .optunaInt, let flag = json["log"] {
                guard case .bool(let isLog) = flag else { throw fail("\"log\" must be true or false, got \(flag)") }
                if isLog { kind = kind == .optunaFloat ? .optunaFloatLog : .optunaIntLog }
            }
            let (an, bn) = kind.argumentNames
            var keys: Set<String> = ["type", "label", an, bn]
            if kind.isOptuna { keys.formUnion(["step", "log"]) }
            if kind.takesQ { keys.insert(kind.stepKey) }
            if kind.takesBase { keys.insert("base") }
            try allow(keys)
            let l = try label(required: !type.hasPrefix("tune.") && !kind.isOptuna)
            func number(_ key: String, default d: Double? = nil) throws(SpaceError) -> Double? {
                guard let v = json[key] else { return d }
                guard let x = v.doubleValue else { throw fail("\"\(key)\" must be a number, got \(v)") }
                if kind.isInteger, key != "base", v.intValue == nil {
                    throw fail("\"\(key)\" must be an integer for '\(type)', got \(v)")
                }
                return x
            }
            let defaults: (Double?, Double?) = {
                switch kind {
                case .randint: return (0, nil)
                case .tuneRandn: return (0, 1)
                default: return (nil, nil)
                }
            }()
            guard let a = try number(an, default: defaults.0) else { throw fail("'\(type)' needs \"\(an)\"") }
            guard let b = try number(bn, default: defaults.1) else { throw fail("'\(type)' needs \"\(bn)\"") }
            var q = try number(kind.stepKey, default: kind.qIsOptional && !kind.isOptuna ? 1 : nil)
            if kind == .optunaInt, q == nil { q = 1 }  // IntDistribution's default step
            if kind == .optunaFloatLog || kind == .optunaIntLog, let step = q {
                // Optuna accepts step=1 (an int's default) beside log=True, and rejects any other.
                if kind == .optunaFloatLog { throw fail("FloatDistribution: The parameter `step` is not supported when `log` is true.") }
                guard step == 1 else { throw fail("IntDistribution: Samplers and other components in Optuna only accept step is 1 when `log` argument is True.") }
                q = nil
            }
            let base = try number("base")
            self = .parameter(label: l, Distribution(kind: kind, a, b, q: q, base: base))
        }
    }
}
