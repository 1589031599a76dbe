/// Where a task stands in the broker: waiting for a worker, running, or finished one way or the other.
///
/// Its raw values are the names every layer shows and accepts: status reports, `corsair tasks --state`, the HTTP
/// gateway's `state` parameter and `corsair submit`'s report.
public enum TaskState: String, Sendable, Hashable, CaseIterable, Codable {
    case queued, running, succeeded, failed

    /// The state a task ends in when its last attempt ends with `outcome`: ``succeeded`` for
    /// ``TaskOutcome/succeeded``, ``failed`` for any other outcome.
    public init(finishedWith outcome: TaskOutcome) {
        self = outcome == .succeeded ? .succeeded : .failed
    }

    /// Every state's name, in the order a task goes through them.
    public static var names: [String] { allCases.map(\.rawValue) }
}
