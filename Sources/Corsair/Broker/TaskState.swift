/// Where a task stands in the broker: waiting for a worker, running, or finished one way or the other.
///
/// Its raw values are the names every layer shows and accepts: status reports, `corsair tasks --state`, the HTTP
/// gateway's `state` parameter and `corsair submit`'s report.
public enum TaskState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Waiting in its category for a worker with free credit (first submitted, or requeued after an attempt).
    case queued
    /// An attempt is running on a worker.
    case running
    /// Finished with a result.
    case succeeded
    /// Finished without a result, for good: out of attempts, refused by its worker, or no worker came in time.
    case failed

    /// The state a task ends in when its last attempt ends with `outcome`: ``succeeded`` for
    /// ``TaskOutcome/succeeded``, ``failed`` for any other outcome.
    public init(finishedWith outcome: TaskOutcome) {
        self = outcome == .succeeded ? .succeeded : .failed
    }

    /// Every state's name, in the order a task goes through them.
    public static var names: [String] { allCases.map(\.rawValue) }
}
