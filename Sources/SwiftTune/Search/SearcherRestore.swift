// Restoring searchers from their saved state: the parts every searcher's state shares, and the
// dispatch on the searcher's kind.

/// Restores any of swifttune's searchers from its saved state (``Searcher/saveState()``), by
/// the state's `"searcher"` kind.
/// - Throws: ``SearchError/invalidState(_:)`` for an unknown kind or a malformed state.
public func restoreSearcher(_ state: JSONValue) throws(SearchError) -> any Searcher {
    switch state["searcher"]?.stringValue {
    case "tpe": return try TPESearch(restoring: state)
    case "random": return try RandomSearch(restoring: state)
    case "anneal": return try AnnealSearch(restoring: state)
    case "bohb": return try BOHBSearch(restoring: state)
    case "optuna_tpe": return try OptunaTPESearch(restoring: state)
    case "callback": return try CallbackSearcher(restoring: state)
    case "repeater": return try Repeater(restoring: state)
    default: throw .invalidState("unknown searcher state '\(state["searcher"]?.stringValue ?? "none")'")
    }
}

/// Reading and checking the parts of a saved searcher state that all searchers share.
struct SavedState {
    /// The whole state, for the searcher's own fields.
    let json: JSONValue
    let space: SearchSpace
    let mode: Mode
    let seed: UInt64
    let log: TrialLog

    /// Reads the shared fields of the state of a searcher of kind `searcher` ("tpe", "random").
    init(_ json: JSONValue, searcher: String) throws(SearchError) {
        self.json = json
        guard json["searcher"]?.stringValue == searcher else {
            throw .invalidState("expected the state of a '\(searcher)' searcher, got '\(json["searcher"]?.stringValue ?? "none")'")
        }
        guard json["version"]?.intValue == 1 else { throw .invalidState("unsupported state version \(json["version"].map { "\($0)" } ?? "none")") }
        guard let spaceJSON = json["space"] else { throw .invalidState("missing 'space'") }
        do { space = try SearchSpace(json: spaceJSON) } catch { throw .space(error) }
        guard let m = json["mode"]?.stringValue, let mode = Mode(rawValue: m) else { throw .invalidState("'mode' must be \"min\" or \"max\"") }
        self.mode = mode
        guard let s = json["seed"]?.intValue else { throw .invalidState("'seed' must be an integer") }
        seed = UInt64(bitPattern: s)
        log = try TrialLog(json: json["trials"] ?? .array([]), points: json["points_to_evaluate"], space: space)
    }

    /// The shared fields, first in every searcher's state.
    static func header(searcher: String, space: SearchSpace, mode: Mode, seed: UInt64) -> [(String, JSONValue)] {
        [("searcher", .string(searcher)), ("version", 1), ("space", space.json), ("mode", .string(mode.rawValue)),
         ("seed", .int(Int64(bitPattern: seed)))]
    }
}
