/// What `corsair status`, `corsair workers` and `corsair tasks` ask the broker.
public enum BrokerQuery: Codable, Sendable, Hashable {
    /// The whole ``BrokerStatus``.
    case status
    /// The tasks that match, as ``TaskStatus`` values.
    case tasks(TaskQuery)
    /// The ``WorkerReport`` of the worker with this name, or JSON `null` when none is connected.
    case worker(String)
    /// The ``BatchProgress`` of the batches with the newest tasks, at most `limit`.
    case batches(limit: Int)
}
