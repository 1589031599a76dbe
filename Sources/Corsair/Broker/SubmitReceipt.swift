/// What the broker did with a submission made in its own process.
public struct SubmitReceipt: Sendable, Hashable {
    /// The ids taken, in submission order, duplicates of tasks the session already has included.
    public var accepted: [String] = []
    /// How many of ``accepted`` the session had submitted before; they were not queued again.
    public var duplicates = 0
    /// The tasks refused, with the reason for each.
    public var rejected: [TaskRejection] = []

    /// Creates an empty receipt.
    public init() {}
}
