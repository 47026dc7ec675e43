extension SearchSpace {
    /// An assignment (by label, as ``Suggestion/assignment`` holds it) as JSON, hyperopt's
    /// `misc.vals` view of a configuration: an object from the label of each active parameter,
    /// in the space's parameter order, to a choice's option index or an integer parameter's value
    /// (both JSON integers), or a float parameter's value. Labels the space does not have are left out.
    public func assignmentJSON(_ assignment: [String: Double]) -> JSONValue {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(assignment.count)
        for p in parameters {
            guard let v = assignment[p.label] else { continue }
            let integer: Bool
            switch p.domain {
            case .choice: integer = true
            case .numeric(let d): integer = d.isInteger
            }
            if integer, let n = Int64(exactly: v.rounded()) {
                members.append((p.label, .int(n)))
            } else {
                members.append((p.label, .double(v)))
            }
        }
        return .object(members)
    }
}
