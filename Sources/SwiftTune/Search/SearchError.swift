/// What went wrong in a searcher call. Nothing is changed when a call throws.
public enum SearchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `suggest` or `addEvaluated` was given a trial id the searcher already has.
    case duplicateTrial(String)
    /// `tell` was given a trial id the searcher never suggested.
    case unknownTrial(String)
    /// `tell` was called a second time for this trial.
    case trialAlreadyFinished(String)
    /// A searcher option (or a point to evaluate) is invalid; the message says which and why.
    case invalidOption(String)
    /// A saved state cannot be restored; the message says what is wrong with it.
    case invalidState(String)
    /// A configuration does not fit the space (a point to evaluate, an evaluated trial).
    case space(SpaceError)
    /// A searcher of the front end (``CallbackSearcher``) failed, is not attached, or answered
    /// something the engine cannot use; the message says which.
    case frontEnd(String)

    /// A one-line message for the user, naming the trial, option or state field at fault.
    public var description: String {
        switch self {
        case .duplicateTrial(let id): return "trial '\(id)' was already suggested"
        case .unknownTrial(let id): return "unknown trial '\(id)': it was never suggested by this searcher"
        case .trialAlreadyFinished(let id): return "trial '\(id)' has already finished"
        case .invalidOption(let m): return "invalid option: \(m)"
        case .invalidState(let m): return "invalid saved state: \(m)"
        case .space(let e): return e.description
        case .frontEnd(let m): return m
        }
    }
}

extension SearchSpace {
    /// Throws ``SearchError/invalidOption(_:)`` naming the first parameter with an Optuna
    /// distribution (`optuna.float` / `optuna.int`), for a searcher whose rules do not know them.
    func refuseOptunaDistributions(_ searcher: String, instead: String) throws(SearchError) {
        for p in parameters {
            if case .numeric(let d) = p.domain, d.kind.isOptuna {
                throw .invalidOption("\(searcher) does not take Optuna distributions ('\(p.label)' is \(d.kind.rawValue)); use \(instead)")
            }
        }
    }
}
