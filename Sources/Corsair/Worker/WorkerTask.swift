/// A task as a handler sees it.
public struct WorkerTask: Sendable, Hashable {
    /// The client's task id; `nil` under a plain MDP broker, which does not send one.
    public var id: String?
    /// The category it was sent to.
    public var category: String
    /// Which attempt this is, from 1; `nil` under a plain MDP broker.
    public var attempt: Int?
    /// How long the broker waits for this attempt; `nil` under a plain MDP broker. ``WorkerService`` cancels the
    /// handler when it passes.
    public var timeout: Duration?
    /// The request body (all body frames joined).
    public var payload: [UInt8]
    /// The most bytes of result this attempt may return (see ``ResultLimit``): a larger result fails the task for good
    /// with `result_too_large`, so a handler that produces output as it goes can stop at this size.
    public var maxResultBytes: Int

    /// Creates a task.
    public init(
        id: String?,
        category: String,
        attempt: Int?,
        timeout: Duration?,
        payload: [UInt8],
        maxResultBytes: Int = ResultLimit.bytes(messageBytes: nil, workerLimit: nil)
    ) {
        self.id = id
        self.category = category
        self.attempt = attempt
        self.timeout = timeout
        self.payload = payload
        self.maxResultBytes = maxResultBytes
    }
}

/// A task failure a handler reports: the message goes to the client.
public struct TaskFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in words for the person who submitted the task.
    public var message: String
    /// Whether another attempt might succeed. When `false` the broker fails the task at once.
    public var isRetryable: Bool

    /// Creates a failure.
    public init(_ message: String, isRetryable: Bool = true) {
        self.message = message
        self.isRetryable = isRetryable
    }

    public var description: String { message }
}

/// What a worker runs for each task: returns the result bytes, or throws to fail the task (a ``TaskFailure`` carries
/// its message as is; any other error is described with `String(describing:)`).
public typealias TaskHandler = @Sendable (WorkerTask) async throws -> [UInt8]

/// A handler cheap enough to run on the worker's socket thread as each task arrives, with no hop to Swift concurrency
/// and back: echo, small parsing. It must return in well under a heartbeat interval, since the thread does nothing
/// else meanwhile; anything that waits or may take long belongs in a ``TaskHandler``.
public typealias InlineTaskHandler = @Sendable (WorkerTask) throws(TaskFailure) -> [UInt8]
