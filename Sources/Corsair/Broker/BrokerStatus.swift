/// The broker's state at a glance, as `corsair status` and `corsair workers` show it. Encoded as JSON on the wire.
public struct BrokerStatus: Codable, Sendable, Hashable {
    /// How long the broker has been running, in milliseconds.
    public var uptimeMilliseconds: Int64
    /// Every connected worker connection.
    public var workers: [WorkerStatus]
    /// Every category the broker has seen, with its queue and workers.
    public var categories: [CategoryStatus]
    /// Tracked tasks by state (finished batch tasks stay tracked; finished plain MDP requests do not).
    public var tasks: [String: Int]
    /// Tasks accepted since the broker started.
    public var submitted: Int
    /// Tasks that succeeded, and that failed for good, since the broker started.
    public var succeeded: Int
    public var failed: Int
    /// Tasks cancelled since the broker started; `nil` from a broker that predates cancel.
    public var cancelled: Int?
    /// Attempts requeued, by reason: `worker_lost`, `timeout`, `handed_back`, or `failed` (the worker reported an error).
    public var retried: [String: Int]
    /// Messages dropped for breaking the protocol.
    public var badMessages: Int
}

/// One worker connection in a ``BrokerStatus``.
public struct WorkerStatus: Codable, Sendable, Hashable {
    /// The worker's name (its routing id in hex for plain MDP workers).
    public var id: String
    /// Its host and process id, when it said.
    public var host: String?
    public var pid: Int?
    public var category: String
    /// `corsair/1`, `mdp/0.2` or `mdp/0.1`.
    public var `protocol`: String
    public var credit: Int
    public var inFlight: Int
    public var completed: Int
    public var failed: Int
    /// Milliseconds since the broker last heard from it.
    public var lastHeartbeatAgeMilliseconds: Int64
    /// The name of the CURVE key it authenticated with (its `.pub` file's name), when the broker checks keys.
    public var key: String? = nil
}

/// One category in a ``BrokerStatus``.
public struct CategoryStatus: Codable, Sendable, Hashable {
    public var name: String
    public var workers: Int
    /// Tasks waiting for a worker.
    public var queued: Int
    /// Tasks running now.
    public var running: Int
    /// Whether the category runs strictly in order (`--ordered`).
    public var ordered: Bool
}

/// One task, as `corsair tasks` lists it.
public struct TaskStatus: Codable, Sendable, Hashable {
    public var id: String
    public var category: String
    /// A ``TaskState`` name: `scheduled`, `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    public var state: String
    /// The worker of the current or last attempt.
    public var worker: String?
    /// When the current or last attempt started, and when the task finished, in Unix milliseconds.
    public var started: UInt64?
    public var finished: UInt64?
    public var attempts: Int
    public var lastError: String?
    /// The batch the task came in (its name, or its random session in hex), or `nil` for a plain MDP request.
    public var batch: String?
    /// What the worker returned (UTF-8, invalid bytes replaced), or the failure text; only in answers to a query
    /// for one ``TaskQuery/id``.
    public var result: String?
    /// When a scheduled task joins its queue, in Unix milliseconds; `nil` for any other state.
    public var notBefore: UInt64? = nil
    /// The plain MDP client that sent the request, as `mdp:` and its routing id in hex; `nil` for a batch task.
    public var client: String? = nil
}

/// Which tasks `corsair tasks` asks for.
public struct TaskQuery: Codable, Sendable, Hashable {
    /// Only tasks in this state.
    public var state: String?
    /// Only tasks of this category.
    public var category: String?
    /// Only tasks of this batch, as ``TaskStatus/batch`` shows it.
    public var batch: String?
    /// Only tasks with this id, with their results.
    public var id: String?
    /// At most this many, newest first.
    public var limit: Int

    /// Creates a query.
    public init(
        state: String? = nil,
        category: String? = nil,
        batch: String? = nil,
        id: String? = nil,
        limit: Int = 100
    ) {
        self.state = state
        self.category = category
        self.batch = batch
        self.id = id
        self.limit = limit
    }
}
