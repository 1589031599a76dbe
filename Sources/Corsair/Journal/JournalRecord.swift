/// One change to the broker's durable state, as the state machine emits it (``BrokerAction/journal(_:)``) and a
/// ``Journal`` stores it.
///
/// Only batch tasks (CRSC01 sessions and the HTTP gateway's batches) are journaled: a plain MDP client holds its
/// connection open for its reply and resends on its own, so its requests are not. Times are Unix milliseconds, so a
/// record means the same after a restart.
public enum JournalRecord: Sendable, Hashable {
    /// A task was accepted into a batch.
    case accepted(AcceptedTask)
    /// An attempt of task `key` started on `worker` at `started` (Unix ms); `attempt` counts from 1.
    case attemptStarted(key: UInt64, attempt: Int, worker: String, started: UInt64)
    /// The current attempt of task `key` ended without a result and the task is queued again. `attempts` is how many
    /// attempts count so far (an attempt given back unrun, or cut off by a broker restart, does not count);
    /// `historyLine` is what the attempt adds to the task's history, `nil` when it does not count.
    case attemptEnded(key: UInt64, attempts: Int, reason: String, historyLine: String?)
    /// Task `key` finished for good.
    case finished(FinishedTask)

    /// The key of the task the record is about.
    public var key: UInt64 {
        switch self {
        case .accepted(let task): task.key
        case .attemptStarted(let key, _, _, _): key
        case .attemptEnded(let key, _, _, _): key
        case .finished(let task): task.key
        }
    }
}

/// A task as it was accepted: everything needed to run it again after a restart.
public struct AcceptedTask: Sendable, Hashable {
    /// The broker's key for the task; keys increase in order of acceptance.
    public var key: UInt64
    /// The batch (session) bytes, as the client sent them.
    public var batch: [UInt8]
    /// The client's id of the task, unique within its batch.
    public var id: String
    /// The task's category.
    public var category: String
    /// The bytes handed to the worker.
    public var payload: [UInt8]
    /// Higher runs first.
    public var priority: Int32
    /// The task's own attempt timeout in milliseconds, or `nil` for the broker's default.
    public var timeoutMilliseconds: UInt32?
    /// The task's own attempt limit, or `nil` for the broker's default.
    public var maxAttempts: Int?
    /// When it was accepted, Unix ms.
    public var submitted: UInt64
    /// For a delayed task, the earliest time it may run (Unix ms); `nil` to run as soon as a worker is free.
    public var notBefore: UInt64?

    /// Creates an accepted task's record.
    public init(
        key: UInt64, batch: [UInt8], id: String, category: String, payload: [UInt8], priority: Int32,
        timeoutMilliseconds: UInt32?, maxAttempts: Int?, submitted: UInt64, notBefore: UInt64? = nil
    ) {
        self.key = key
        self.batch = batch
        self.id = id
        self.category = category
        self.payload = payload
        self.priority = priority
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxAttempts = maxAttempts
        self.submitted = submitted
        self.notBefore = notBefore
    }
}

/// How a task ended for good.
public struct FinishedTask: Sendable, Hashable {
    /// The task's key.
    public var key: UInt64
    /// ``TaskOutcome/succeeded``, ``TaskOutcome/failed`` or ``TaskOutcome/cancelled``.
    public var outcome: TaskOutcome
    /// The result on success, the error message on failure.
    public var output: [UInt8]
    /// How many attempts it took.
    public var attempts: Int
    /// When it finished, Unix ms.
    public var finished: UInt64
    /// The reason of the last attempt that ended without a result, if any did.
    public var lastError: String?

    /// Creates a finished task's record.
    public init(
        key: UInt64, outcome: TaskOutcome, output: [UInt8], attempts: Int, finished: UInt64, lastError: String?
    ) {
        self.key = key
        self.outcome = outcome
        self.output = output
        self.attempts = attempts
        self.finished = finished
        self.lastError = lastError
    }
}
