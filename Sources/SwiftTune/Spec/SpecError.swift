/// An invalid searcher, scheduler, experiment or resume specification (the JSON documents the
/// front ends build engines from), with what the engine part it describes rejected.
public enum SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The specification itself is wrong: not an object, an unknown or missing key, a value of
    /// the wrong type.
    case invalid(String)
    /// Its search space is invalid.
    case space(SpaceError)
    /// The searcher rejected an option.
    case search(SearchError)
    /// The scheduler rejected an option.
    case schedule(ScheduleError)
    /// The experiment rejected its configuration.
    case experiment(ExperimentError)

    /// The message, naming the option at fault.
    public var description: String {
        switch self {
        case .invalid(let m): return m
        case .space(let e): return e.description
        case .search(let e): return e.description
        case .schedule(let e): return e.description
        case .experiment(let e): return e.description
        }
    }
}

/// Typed reads of a specification's optional members: `nil` for an absent or `null` member, a
/// ``SpecError/invalid(_:)`` naming the member for a value of the wrong type.
struct SpecReader {
    let spec: JSONValue

    /// The specification's members, or an error saying that `what` must be a JSON object.
    static func members(_ spec: JSONValue, _ what: String) throws(SpecError) -> [(String, JSONValue)] {
        guard let members = spec.objectValue else { throw .invalid("\(what) must be a JSON object") }
        return members
    }

    /// The member `name`, nil when absent or null.
    func value(_ name: String) -> JSONValue? {
        guard let v = spec[name], v != .null else { return nil }
        return v
    }

    /// An integer member.
    func int(_ name: String) throws(SpecError) -> Int64? {
        guard let v = value(name) else { return nil }
        guard let i = v.intValue else { throw .invalid("'\(name)' must be an integer, got \(v)") }
        return i
    }

    /// A number member (an integer reads as a double).
    func double(_ name: String) throws(SpecError) -> Double? {
        guard let v = value(name) else { return nil }
        guard let d = v.doubleValue else { throw .invalid("'\(name)' must be a number, got \(v)") }
        return d
    }

    /// A string member.
    func string(_ name: String) throws(SpecError) -> String? {
        guard let v = value(name) else { return nil }
        guard let s = v.stringValue else { throw .invalid("'\(name)' must be a string, got \(v)") }
        return s
    }

    /// A boolean member.
    func bool(_ name: String) throws(SpecError) -> Bool? {
        guard let v = value(name) else { return nil }
        guard case .bool(let b) = v else { throw .invalid("'\(name)' must be true or false, got \(v)") }
        return b
    }

    /// A mode member, "min" or "max".
    func mode(_ name: String) throws(SpecError) -> Mode? {
        guard let s = try string(name) else { return nil }
        guard let m = Mode(rawValue: s) else { throw .invalid("'\(name)' must be \"min\" or \"max\", got \"\(s)\"") }
        return m
    }
}
