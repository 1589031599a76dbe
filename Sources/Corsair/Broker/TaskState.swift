/// Where a task stands in the broker: waiting for a worker, running, or finished one way or the other.
///
/// Its raw values are the names every layer shows and accepts: status reports, `corsair tasks --state`, the HTTP
/// gateway's `state` parameter and `corsair submit`'s report.
public enum TaskState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Held by the broker until its not-before time (`delay` or `not_before`); it then joins its queue.
    case scheduled
    /// Waiting in its category for a worker with free credit (first submitted, or requeued after an attempt).
    case queued
    /// An attempt is running on a worker.
    case running
    /// Finished with a result.
    case succeeded
    /// Finished without a result, for good: out of attempts, refused by its worker, or no worker came in time.
    case failed
    /// Taken back by `corsair cancel` (or `DELETE /v1/tasks/{id}`) before it finished; it never runs again, and a
    /// result its worker sends afterwards is refused.
    case cancelled

    /// The state a task ends in when it finishes with `outcome`: ``succeeded`` for ``TaskOutcome/succeeded``,
    /// ``cancelled`` for ``TaskOutcome/cancelled``, ``failed`` for any other outcome.
    public init(finishedWith outcome: TaskOutcome) {
        switch outcome {
        case .succeeded: self = .succeeded
        case .cancelled: self = .cancelled
        case .failed, .rejected, .handedBack: self = .failed
        }
    }

    /// Whether the task is over: succeeded, failed or cancelled.
    public var isFinished: Bool {
        self == .succeeded || self == .failed || self == .cancelled
    }

    /// The outcome a client is told for a finished task in this state.
    var outcome: TaskOutcome {
        switch self {
        case .succeeded: .succeeded
        case .cancelled: .cancelled
        case .scheduled, .queued, .running, .failed: .failed
        }
    }

    /// Every state's name, in the order a task goes through them.
    public static var names: [String] { allCases.map(\.rawValue) }
}
