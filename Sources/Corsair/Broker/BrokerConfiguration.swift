/// The broker's tunables. Every field has a command-line flag on `corsair-broker`.
public struct BrokerConfiguration: Sendable, Hashable {
    /// How often the broker heartbeats each worker, and how often it checks for silent ones.
    public var heartbeatInterval: Duration = .seconds(1)
    /// How many heartbeat intervals of silence make a worker dead. The interval used is the longer of the broker's
    /// and the worker's own (Corsair workers announce theirs), so differing settings never cause false expiry.
    public var liveness: Int = 3
    /// The time a worker has for one attempt of a task, unless the task says otherwise. Past it the attempt ends with
    /// reason `timeout` and the task is requeued (or fails when out of attempts). Sent to Corsair workers.
    public var taskTimeout: Duration = .seconds(10)
    /// How many attempts a task gets, unless it says otherwise.
    public var maxAttempts: Int = 3
    /// How long a task waits while its category has no worker at all before it fails with reason `no_worker`.
    /// Tasks wait indefinitely while workers exist, however busy.
    public var queueTimeout: Duration = .seconds(60)
    /// Categories that run strictly in order: one attempt in flight at a time (including a timed-out attempt its
    /// worker has not answered yet), in submission order across batches (other categories' batches take turns),
    /// retries included.
    public var orderedCategories: Set<String> = []
    /// The most unfinished tasks (queued, scheduled or running) one batch session may hold, or `nil` for no limit.
    /// A submission's new tasks past it are rejected one by one with reason `client_queue_full`, never dropped:
    /// those that fit are accepted, so the client may send the same submission again later and the accepted ones are
    /// duplicates. Duplicates of known tasks are always acknowledged. Plain MDP requests are not counted.
    public var maxQueuedPerClient: Int?
    /// How many finished batch tasks the broker keeps (for `corsair tasks`, `GET /v1/tasks/{id}` and answering a
    /// resubmission without running it again); past this the oldest finished ones are forgotten.
    public var retainFinished: Int = 100_000
    /// The most output bytes the finished tasks kept in memory hold together; past it the oldest finished ones are
    /// forgotten, as past ``retainFinished``. A durable broker still has their results in its journal.
    public var retainFinishedBytes: Int = 256 << 20
    /// The most result output bytes the broker sends one client between two messages from it. Past it, further
    /// results for that client are withheld: not sent, kept in the task table (and the journal), and sent once the
    /// client next sends something (a PING, a SUBMIT, MORE), which shows that it reads again. So a client that stops
    /// reading costs the broker at most this much queued in its socket, whatever it is owed.
    public var unreadResultBytes: Int = 64 << 20
    /// The largest message the broker handles, counting every frame after the routing id. A larger one is counted,
    /// logged and answered as bad input (DISCONNECT for a worker, ERROR for a batch client) without being decoded.
    public var maxMessageSize: Int = 16 << 20
    /// Whether the machine emits ``BrokerAction/journal(_:)`` records of its batch tasks (a durable broker). Off,
    /// the in-memory broker builds no records at all. On, the broker also tells clients it is durable and replays
    /// finished results to an attached client from the journal, not only from memory.
    public var journaled = false

    /// The most bytes of a result the broker relays to a batch client: what a RESULT entry's `u32` length carries.
    /// A larger result (possible only from a worker under a message limit the wire cannot carry) fails its task
    /// with `result_too_large`. Tests lower it to try that without gigabytes.
    var maxResultBytes = WireLengthError.maximumU32Length

    /// The most bytes a batching worker may put in one RESULTS message: well under ``maxMessageSize``, so that
    /// results that each fit never add up to a message the broker refuses.
    var resultBatchBytes: Int { min(TaskBatch.limit.bytes, maxMessageSize / 2) }

    /// Creates the default configuration.
    public init() {}
}
