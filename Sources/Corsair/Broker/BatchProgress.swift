/// How far one batch has got, for the dashboard's progress bars (`GET /v1/batches`): its tracked tasks by state.
/// Finished tasks past `--retain-finished` are forgotten, and no longer counted.
public struct BatchProgress: Codable, Sendable, Hashable {
    /// The batch's name, or its random session in hex for an unnamed one.
    public var name: String
    /// Tracked tasks of the batch, and how many of them are held for later, wait, run, succeeded, failed and were
    /// cancelled.
    public var total: Int
    public var scheduled: Int
    public var queued: Int
    public var running: Int
    public var succeeded: Int
    public var failed: Int
    public var cancelled: Int
}
