/// A finished task's result with the broker's key for the task, as an attached client receives it (STREAM).
///
/// Keys grow with submission order and survive a broker restart on its journal, so a client that has reported
/// every result up to a key can resume after it (``StreamProgress/cursor``) without being sent those again.
public struct KeyedResult: Sendable, Hashable {
    /// The broker's key of the task (the submission sequence number, from 1).
    public var key: UInt64
    /// The result.
    public var result: TaskResult

    /// Creates a keyed result.
    public init(key: UInt64, result: TaskResult) {
        self.key = key
        self.result = result
    }
}
