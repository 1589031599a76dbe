/// One task as the client submits it.
///
/// A batch is a list of task specs; ``BatchClient`` sends them to the broker in
/// `CRSC01` SUBMIT messages (see docs/PROTOCOL.md). Fields left `nil` fall back
/// to the broker's defaults.
public struct TaskSpec: Sendable, Hashable {
    /// The longest task id, in UTF-8 bytes, that the broker accepts.
    public static let maximumIDLength = 1024

    /// The client-chosen identifier, unique within a batch.
    public var id: String

    /// The category the task belongs to; the "service" on the MDP wire.
    public var category: String

    /// The opaque bytes handed to the worker.
    public var payload: [UInt8]

    /// The scheduling priority; higher values run first. Defaults to 0.
    public var priority: Int32

    /// How long one attempt may run, or `nil` for the broker's default.
    public var timeout: Duration?

    /// How many attempts the broker may make, or `nil` for the broker's default.
    public var maxAttempts: Int?

    /// When the task may first run, or `nil` for as soon as a worker is free.
    public var schedule: TaskSchedule?

    /// Creates a task spec.
    ///
    /// - Parameters:
    ///   - id: The client-chosen identifier, unique within a batch.
    ///   - category: The category (MDP service) the task belongs to.
    ///   - payload: The opaque bytes handed to the worker.
    ///   - priority: The scheduling priority; higher values run first.
    ///   - timeout: How long one attempt may run; `nil` means the broker's default.
    ///   - maxAttempts: How many attempts the broker may make; `nil` means the broker's default.
    ///   - schedule: When the task may first run; `nil` means at once.
    public init(
        id: String,
        category: String,
        payload: [UInt8],
        priority: Int32 = 0,
        timeout: Duration? = nil,
        maxAttempts: Int? = nil,
        schedule: TaskSchedule? = nil
    ) {
        self.id = id
        self.category = category
        self.payload = payload
        self.priority = priority
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.schedule = schedule
    }
}
