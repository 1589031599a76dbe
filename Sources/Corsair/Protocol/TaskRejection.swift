/// A task the broker refused, and why.
public struct TaskRejection: Sendable, Hashable {
    /// The client's id of the task.
    public var id: String
    /// Why it was refused, for example `category 'mmi.x' is reserved for the broker's MMI services`.
    public var reason: String

    /// Creates a rejection.
    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }
}
