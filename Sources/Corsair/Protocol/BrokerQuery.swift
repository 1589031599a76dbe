/// What `corsair status`, `corsair workers` and `corsair tasks` ask the broker.
public enum BrokerQuery: Codable, Sendable, Hashable {
    /// The whole ``BrokerStatus``.
    case status
    /// The tasks that match, as ``TaskStatus`` values.
    case tasks(TaskQuery)
}
