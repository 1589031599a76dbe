/// One finished task, as the broker reports it to the client that submitted it.
public struct TaskResult: Sendable, Hashable {
    /// The client's id of the task.
    public var id: String
    /// The task's category.
    public var category: String
    /// Whether it succeeded or failed for good.
    public var outcome: TaskOutcome
    /// How many attempts it took.
    public var attempts: Int
    /// The name of the worker that ran the last attempt, if any ran.
    public var worker: String?
    /// When the last attempt started, in Unix milliseconds, if any started.
    public var started: UInt64?
    /// When the task finished, in Unix milliseconds.
    public var finished: UInt64
    /// The result on success, the error message on failure.
    public var output: [UInt8]

    /// Creates a result.
    public init(
        id: String, category: String, outcome: TaskOutcome, attempts: Int, worker: String?, started: UInt64?,
        finished: UInt64, output: [UInt8]
    ) {
        self.id = id
        self.category = category
        self.outcome = outcome
        self.attempts = attempts
        self.worker = worker
        self.started = started
        self.finished = finished
        self.output = output
    }
}
