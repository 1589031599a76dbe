/// The broker's record of one task: what it is, who asked, and where it stands.
///
/// A class, so the broker's hot paths update a task in place instead of copying a large value in and out of its
/// table; only the broker's state machine holds records.
final class TaskRecord {
    /// Where the task's result goes.
    enum Origin: Sendable, Hashable {
        /// A plain MDP client: reply in its framing and dialect.
        case mdp(PeerID, Framing, ClientDialect)
        /// A Corsair batch client session.
        case batch(session: [UInt8])
    }

    /// Where the task stands.
    enum State: String, Sendable, Hashable {
        case queued, running, succeeded, failed
    }

    let key: TaskKey
    let id: String
    let category: String
    let priority: Int32
    let origin: Origin
    let timeout: Duration?
    let maxAttempts: Int?
    /// The request body; dropped once the task has finished.
    var payload: [[UInt8]]
    var state: State = .queued
    var worker: PeerID?
    var workerName: String?
    var startedAt: ContinuousClock.Instant?
    var finishedAt: ContinuousClock.Instant?
    var attempts = 0
    var lastError: String?
    /// How each ended attempt ended, oldest first: `attempt 1 on host-12: worker_lost`.
    var history: [String] = []
    /// When the task fails with `no_worker` if its category still has no worker; `nil` while it runs or has workers.
    var queueDeadline: ContinuousClock.Instant?
    /// The outcome delivered to the client, kept so a resubmission of a finished task is answered again.
    var output: [UInt8]?
    /// The batch it came in, as ``TaskStatus/batch`` shows it.
    var batch: String? {
        guard case .batch(let session) = origin else { return nil }
        return BatchName.display(session)
    }
    /// When the task last joined its queue (first submission or requeue), for the dispatch latency.
    var queuedAt: ContinuousClock.Instant?

    init(
        key: TaskKey,
        id: String,
        category: String,
        priority: Int32,
        origin: Origin,
        timeout: Duration?,
        maxAttempts: Int?,
        payload: [[UInt8]]
    ) {
        self.key = key
        self.id = id
        self.category = category
        self.priority = priority
        self.origin = origin
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.payload = payload
    }
}

/// A place in a category's queue: higher priority first, then submission order. Requeued tasks keep their place.
struct QueueEntry: Comparable, Sendable {
    let priority: Int32
    let key: TaskKey

    static func < (lhs: QueueEntry, rhs: QueueEntry) -> Bool {
        lhs.priority != rhs.priority ? lhs.priority > rhs.priority : lhs.key < rhs.key
    }
}

/// When a task waiting in a category without workers gives up, if ``TaskRecord/queueDeadline`` still says so.
struct QueueDeadline: Comparable, Sendable {
    let deadline: ContinuousClock.Instant
    let key: TaskKey

    static func < (lhs: QueueDeadline, rhs: QueueDeadline) -> Bool {
        lhs.deadline != rhs.deadline ? lhs.deadline < rhs.deadline : lhs.key < rhs.key
    }
}

/// When a running attempt's time is up.
struct DeadlineEntry: Comparable, Sendable {
    let deadline: ContinuousClock.Instant
    let token: AssignmentToken

    static func < (lhs: DeadlineEntry, rhs: DeadlineEntry) -> Bool {
        lhs.deadline != rhs.deadline ? lhs.deadline < rhs.deadline : lhs.token.task < rhs.token.task
    }
}
