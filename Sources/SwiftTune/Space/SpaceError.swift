/// What is wrong with a search space, a configuration or a point to evaluate.
public enum SpaceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A distribution's arguments are invalid (low >= high, sigma <= 0, q <= 0, non-finite, ...).
    case invalidDistribution(label: String, message: String)
    /// A choice is malformed (no options, bad probabilities).
    case invalidChoice(label: String, message: String)
    /// Two parameters share a label.
    case duplicateLabel(String)
    /// The JSON form of a space is malformed; `path` says where (`$.space.items.width`).
    case invalidJSON(path: String, message: String)
    /// A configuration or point does not fit the space.
    case mismatch(path: String, message: String)

    /// A one-line message for the user, naming the parameter, choice or JSON path at fault.
    public var description: String {
        switch self {
        case let .invalidDistribution(label, message): return "parameter '\(label)': \(message)"
        case let .invalidChoice(label, message): return "choice '\(label)': \(message)"
        case let .duplicateLabel(label):
            return "duplicate label '\(label)': every parameter needs its own label"
        case let .invalidJSON(path, message): return "invalid search space at \(path): \(message)"
        case let .mismatch(path, message): return "\(path): \(message)"
        }
    }
}
