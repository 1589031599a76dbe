/// What `corsair cancel` asks the broker to cancel: tasks by id, or every unfinished task of a batch. Encoded as JSON
/// in a CRSC01 CANCEL message.
///
/// An id names a task of ``batch`` when one is given. Without a batch it names the task with that id in any batch
/// (or a plain MDP request's `mdp-N`); an id that several batches hold is ambiguous and nothing is cancelled for it.
public struct CancelRequest: Codable, Sendable, Hashable {
    /// The batch the ids belong to, as ``TaskStatus/batch`` shows it (its name, or its session in hex).
    public var batch: String?
    /// The task ids to cancel.
    public var ids: [String]
    /// Cancel every unfinished task of ``batch`` (which must be given); ``ids`` is then ignored.
    public var all: Bool

    /// Creates a request.
    public init(batch: String? = nil, ids: [String] = [], all: Bool = false) {
        self.batch = batch
        self.ids = ids
        self.all = all
    }
}

/// What became of one task a ``CancelRequest`` named: the broker's answer, a JSON array of these in REPORT.
public struct CancelAnswer: Codable, Sendable, Hashable {
    /// What happened.
    public enum Outcome: String, Codable, Sendable, Hashable {
        /// The task was cancelled now: it will not run (again), and its result, if one comes, is refused.
        case cancelled
        /// The task had already finished (succeeded, failed or cancelled) and stays as it was.
        case finished
        /// No task with that id is tracked (never submitted, or finished and no longer kept).
        case notFound = "not_found"
        /// Without a batch, the id names tasks in more than one batch; nothing was cancelled.
        case ambiguous
    }

    /// The task id as asked.
    public var id: String
    /// The task's batch, when one task was found.
    public var batch: String?
    public var outcome: Outcome
    /// The task's state before the request: `scheduled`, `queued` or `running` for a task cancelled now; the state
    /// it finished in otherwise.
    public var state: String?
    /// For ``Outcome/ambiguous``, the batches that hold the id.
    public var batches: [String]?

    /// Creates an answer.
    public init(
        id: String,
        batch: String? = nil,
        outcome: Outcome,
        state: String? = nil,
        batches: [String]? = nil
    ) {
        self.id = id
        self.batch = batch
        self.outcome = outcome
        self.state = state
        self.batches = batches
    }
}
