/// A change to a saved state (JSON), as an append-only journal records it: applied in order to the
/// state saved before them, the patches of a journal give the state as it is now.
///
/// Paths name a place in the JSON tree from its root: object members by key, array elements by
/// index. A patch is a list of operations:
///
/// | operation | JSON | effect |
/// |---|---|---|
/// | ``Op/set(_:_:)`` | `["set", path, value]` | the value at `path` becomes `value`; an index one past the end appends |
/// | ``Op/merge(_:_:)`` | `["merge", path, {members}]` | each member replaces the object's member of that key, or is added |
/// | ``Op/splice(_:keep:_:)`` | `["splice", path, k, [items]]` | the array keeps its first `k` elements, then `items` follow |
/// | ``Op/dropFirst(_:_:)`` | `["drop_first", path, n]` | the array loses its first `n` elements |
public struct StatePatch: Sendable, Equatable {
    /// One element of a path: an object member's key or an array index.
    public enum Step: Sendable, Equatable {
        /// An object member, by key.
        case key(String)
        /// An array element, by index.
        case index(Int)

        var json: JSONValue {
            switch self {
            case .key(let k): return .string(k)
            case .index(let i): return .int(Int64(i))
            }
        }
    }

    /// One operation of a patch.
    public enum Op: Sendable, Equatable {
        /// The value at the path becomes the given one (an index one past an array's end appends).
        case set([Step], JSONValue)
        /// The members given replace the object's members of the same keys, or are added.
        case merge([Step], [(String, JSONValue)])
        /// The array keeps its first `keep` elements, then the given ones follow.
        case splice([Step], keep: Int, [JSONValue])
        /// The array loses its first `n` elements.
        case dropFirst([Step], Int)

        /// The operation's path.
        public var path: [Step] {
            switch self {
            case .set(let p, _), .merge(let p, _), .splice(let p, _, _), .dropFirst(let p, _): return p
            }
        }

        /// The same operation at `prefix` + its path.
        public func under(_ prefix: [Step]) -> Op {
            switch self {
            case .set(let p, let v): return .set(prefix + p, v)
            case .merge(let p, let m): return .merge(prefix + p, m)
            case .splice(let p, let k, let items): return .splice(prefix + p, keep: k, items)
            case .dropFirst(let p, let n): return .dropFirst(prefix + p, n)
            }
        }

        public static func == (a: Op, b: Op) -> Bool {
            switch (a, b) {
            case let (.set(p, v), .set(q, w)): return p == q && v == w
            case let (.merge(p, m), .merge(q, n)): return p == q && JSONValue.object(m) == JSONValue.object(n)
            case let (.splice(p, k, x), .splice(q, l, y)): return p == q && k == l && x == y
            case let (.dropFirst(p, n), .dropFirst(q, m)): return p == q && n == m
            default: return false
            }
        }

        /// The operation as JSON (the table above).
        public var json: JSONValue {
            let path = JSONValue.array(self.path.map(\.json))
            switch self {
            case .set(_, let v): return .array(["set", path, v])
            case .merge(_, let m): return .array(["merge", path, .object(m)])
            case .splice(_, let k, let items): return .array(["splice", path, .int(Int64(k)), .array(items)])
            case .dropFirst(_, let n): return .array(["drop_first", path, .int(Int64(n))])
            }
        }

        /// Reads an operation from its JSON form.
        /// - Throws: ``StatePatchError`` naming what is malformed.
        public init(json: JSONValue) throws(StatePatchError) {
            guard let parts = json.arrayValue, parts.count >= 3, let name = parts[0].stringValue,
                  let steps = parts[1].arrayValue
            else { throw .malformed("an operation must be [name, path, ...], got \(json)") }
            var path: [Step] = []
            for s in steps {
                if let k = s.stringValue {
                    path.append(.key(k))
                } else if let i = s.intValue, i >= 0, i <= Int64(Int32.max) {
                    path.append(.index(Int(i)))
                } else {
                    throw .malformed("a path step must be a key or an index >= 0, got \(s)")
                }
            }
            func count(_ v: JSONValue) throws(StatePatchError) -> Int {
                guard let n = v.intValue, n >= 0, n <= Int64(Int32.max) else { throw .malformed("'\(name)' needs a count >= 0, got \(v)") }
                return Int(n)
            }
            switch (name, parts.count) {
            case ("set", 3): self = .set(path, parts[2])
            case ("merge", 3):
                guard let m = parts[2].objectValue else { throw .malformed("'merge' needs an object, got \(parts[2])") }
                self = .merge(path, m)
            case ("splice", 4):
                guard let items = parts[3].arrayValue else { throw .malformed("'splice' needs an array of items, got \(parts[3])") }
                self = .splice(path, keep: try count(parts[2]), items)
            case ("drop_first", 3): self = .dropFirst(path, try count(parts[2]))
            default: throw .malformed("unknown operation '\(name)' with \(parts.count - 1) arguments")
            }
        }
    }

    /// The operations, applied in order.
    public var ops: [Op]

    /// A patch of `ops`.
    public init(_ ops: [Op] = []) { self.ops = ops }

    /// Whether the patch changes nothing.
    public var isEmpty: Bool { ops.isEmpty }

    /// The patch as JSON: an array of operations.
    public var json: JSONValue { .array(ops.map(\.json)) }

    /// Reads a patch from its JSON form.
    /// - Throws: ``StatePatchError`` naming what is malformed.
    public init(json: JSONValue) throws(StatePatchError) {
        guard let items = json.arrayValue else { throw .malformed("a patch must be an array of operations") }
        var ops: [Op] = []
        ops.reserveCapacity(items.count)
        for item in items { ops.append(try Op(json: item)) }
        self.ops = ops
    }

    /// Applies the operations to `state`, in order. On error, `state` may hold the operations
    /// before the failing one.
    /// - Throws: ``StatePatchError/doesNotApply(_:)`` when a path does not lead to a value of the
    ///   kind its operation needs.
    public func apply(to state: inout JSONValue) throws(StatePatchError) {
        for op in ops { try Self.apply(op, op.path[...], to: &state) }
    }

    private static func describe(_ path: ArraySlice<Step>) -> String {
        path.map { s in
            switch s {
            case .key(let k): return "." + k
            case .index(let i): return "[\(i)]"
            }
        }.joined()
    }

    /// Walks `rest` down from `value`, in place (each level is taken out of its parent while it
    /// changes, so arrays and objects are not copied).
    private static func apply(_ op: Op, _ rest: ArraySlice<Step>, to value: inout JSONValue) throws(StatePatchError) {
        guard let step = rest.first else {
            try applyHere(op, to: &value)
            return
        }
        let tail = rest.dropFirst()
        // No tuple of (step, value) is switched on: it would hold a second reference to the
        // container, and every change below would copy it whole.
        switch step {
        case .key(let k):
            guard case .object(var members) = value else {
                throw .doesNotApply("\(describe(op.path[...rest.startIndex])) is not in the state")
            }
            value = .null
            defer { value = .object(members) }
            if let at = members.firstIndex(where: { $0.0 == k }) {
                try apply(op, tail, to: &members[at].1)
            } else if tail.isEmpty, case .set(_, let v) = op {
                members.append((k, v))
            } else {
                throw .doesNotApply("no member '\(k)' at \(describe(op.path[..<rest.startIndex]))")
            }
        case .index(let i):
            guard case .array(var items) = value else {
                throw .doesNotApply("\(describe(op.path[...rest.startIndex])) is not in the state")
            }
            value = .null
            defer { value = .array(items) }
            if i < items.count {
                try apply(op, tail, to: &items[i])
            } else if i == items.count, tail.isEmpty, case .set(_, let v) = op {
                items.append(v)
            } else {
                throw .doesNotApply("index \(i) is past the end (\(items.count)) at \(describe(op.path[..<rest.startIndex]))")
            }
        }
    }

    private static func applyHere(_ op: Op, to value: inout JSONValue) throws(StatePatchError) {
        let at = describe(op.path[...])
        switch op {
        case .set(_, let v):
            value = v
        case .merge(_, let given):
            guard case .object(var members) = value else { throw .doesNotApply("'merge' at \(at), which is not an object") }
            value = .null
            for (k, v) in given {
                if let i = members.firstIndex(where: { $0.0 == k }) { members[i].1 = v } else { members.append((k, v)) }
            }
            value = .object(members)
        case .splice(_, let keep, let items):
            guard case .array(var a) = value else { throw .doesNotApply("'splice' at \(at), which is not an array") }
            guard keep <= a.count else { throw .doesNotApply("'splice' keeps \(keep) elements at \(at), which has \(a.count)") }
            value = .null
            a.removeSubrange(keep...)
            a.append(contentsOf: items)
            value = .array(a)
        case .dropFirst(_, let n):
            guard case .array(var a) = value else { throw .doesNotApply("'drop_first' at \(at), which is not an array") }
            guard n <= a.count else { throw .doesNotApply("'drop_first' drops \(n) elements at \(at), which has \(a.count)") }
            value = .null
            a.removeFirst(n)
            value = .array(a)
        }
    }
}

/// Why a patch could not be read or applied.
public enum StatePatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The patch's JSON is not a patch.
    case malformed(String)
    /// The patch names a place the state does not have.
    case doesNotApply(String)

    /// A message naming the problem.
    public var description: String {
        switch self {
        case .malformed(let m): return "malformed state patch: \(m)"
        case .doesNotApply(let m): return "state patch does not apply: \(m)"
        }
    }
}
