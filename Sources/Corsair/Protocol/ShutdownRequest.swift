/// What `corsair shutdown` asks the broker (CRSC01 SHUTDOWN, JSON): which workers to stop, how, and whether the
/// broker stops after them.
public struct ShutdownRequest: Codable, Sendable, Hashable {
    /// Only the workers of this category; `nil` for every worker, after which the broker stops too (unless
    /// ``workersOnly``).
    public var category: String?
    /// Hand the tasks in flight back now (the broker requeues them uncounted) instead of finishing them.
    public var now: Bool
    /// Keep the broker running after every worker has stopped.
    public var workersOnly: Bool

    /// Creates a request.
    public init(category: String? = nil, now: Bool = false, workersOnly: Bool = false) {
        self.category = category
        self.now = now
        self.workersOnly = workersOnly
    }

    /// Whether the broker stops once the workers told to stop have left.
    public var stopsBroker: Bool { category == nil && !workersOnly }
}

/// The broker's answer to a ``ShutdownRequest`` (a REPORT): whom it told to stop.
public struct ShutdownReport: Codable, Sendable, Hashable {
    /// The worker connections sent SHUTDOWN, by name (a worker serving two categories appears twice).
    public var stopping: [String]
    /// Connections that cannot be told (plain MDP workers, or Corsair workers that did not offer `shutdown=1`): they
    /// keep their work, and the broker does not wait for them.
    public var skipped: [String]
    /// Whether the broker stops once the stopping workers have left.
    public var brokerStops: Bool

    /// Creates a report.
    public init(stopping: [String], skipped: [String], brokerStops: Bool) {
        self.stopping = stopping
        self.skipped = skipped
        self.brokerStops = brokerStops
    }
}
