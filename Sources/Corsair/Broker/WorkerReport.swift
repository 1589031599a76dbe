/// One worker's own page, as `corsair workers ID` and `GET /v1/workers/{id}` show it: every connection the worker
/// has under its name (one per category it serves), the tasks it runs now, its counts, uptime, version and how long
/// ago the broker last heard from it. Encoded as JSON on the wire.
public struct WorkerReport: Codable, Sendable, Hashable {
    /// The worker's name (its routing id in hex for plain MDP workers).
    public var id: String
    /// Its host, process id and software version, when it said.
    public var host: String?
    public var pid: Int?
    public var version: String?
    /// How long its oldest connection has been registered, in milliseconds.
    public var uptimeMilliseconds: Int64
    /// Milliseconds since the broker last heard from any of its connections.
    public var lastHeartbeatAgeMilliseconds: Int64
    /// Tasks in flight, attempts finished with a result, and attempts reported failed, over all its connections.
    public var inFlight: Int
    public var completed: Int
    public var failed: Int
    /// Its connections, by category.
    public var connections: [Connection]
    /// The tasks it runs now, longest running first.
    public var tasks: [RunningTask]

    /// One connection of the worker, serving one category.
    public struct Connection: Codable, Sendable, Hashable {
        public var category: String
        /// `corsair/1`, `mdp/0.2` or `mdp/0.1`.
        public var `protocol`: String
        public var credit: Int
        public var inFlight: Int
        public var completed: Int
        public var failed: Int
        /// Milliseconds since this connection registered, and since the broker last heard from it.
        public var uptimeMilliseconds: Int64
        public var lastHeartbeatAgeMilliseconds: Int64
        /// `running`; `draining` when it handed a task back, `stopping` when `corsair shutdown` told it to stop:
        /// either way it gets no more work.
        public var state: String
    }

    /// A task the worker runs now.
    public struct RunningTask: Codable, Sendable, Hashable {
        public var id: String
        public var category: String
        /// The batch the task came in, or `nil` for a plain MDP request.
        public var batch: String?
        public var attempt: Int
        /// When the attempt started, in Unix milliseconds, and how long it has run.
        public var started: UInt64?
        public var runningMilliseconds: Int64
    }
}
