/// What a journal holds at a broker's start, for ``BrokerStateMachine/restore(_:at:)``.
public struct JournalSnapshot: Sendable {
    /// The newest key the broker handed out; new tasks get keys after it.
    public var lastKey: UInt64
    /// Unfinished tasks and the newest finished ones, by increasing key.
    public var tasks: [JournaledTask]

    /// Creates a snapshot.
    public init(lastKey: UInt64, tasks: [JournaledTask]) {
        self.lastKey = lastKey
        self.tasks = tasks
    }
}

/// One task as the journal holds it.
public struct JournaledTask: Sendable, Hashable {
    /// Where a journaled task stands.
    public enum State: Int, Sendable, Hashable {
        /// Waiting for a worker.
        case queued = 0
        /// An attempt was running when the journal was last written.
        case running = 1
        /// Finished with a result.
        case succeeded = 2
        /// Finished without one, for good.
        case failed = 3
        /// Cancelled before it finished. (A scheduled task is stored as ``queued`` with its not-before time.)
        case cancelled = 4

        /// The state a task finished with `outcome` is stored in.
        public init(finishedWith outcome: TaskOutcome) {
            switch TaskState(finishedWith: outcome) {
            case .succeeded: self = .succeeded
            case .cancelled: self = .cancelled
            default: self = .failed
            }
        }
    }

    /// The task as it was accepted.
    public var accepted: AcceptedTask
    /// Where it stands.
    public var state: State
    /// How many attempts count so far (for ``State/running``, including the running one).
    public var attempts: Int
    /// The worker of the current or last attempt.
    public var worker: String?
    /// When the current or last attempt started, Unix ms.
    public var started: UInt64?
    /// The reason of the last attempt that ended without a result.
    public var lastError: String?
    /// One line per counted attempt that ended without a result.
    public var history: [String]
    /// The result or error, once finished.
    public var output: [UInt8]?
    /// When it finished, Unix ms.
    public var finished: UInt64?

    /// Creates a journaled task.
    public init(
        accepted: AcceptedTask, state: State, attempts: Int, worker: String?, started: UInt64?,
        lastError: String?, history: [String], output: [UInt8]?, finished: UInt64?
    ) {
        self.accepted = accepted
        self.state = state
        self.attempts = attempts
        self.worker = worker
        self.started = started
        self.lastError = lastError
        self.history = history
        self.output = output
        self.finished = finished
    }
}
