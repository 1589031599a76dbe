/// Where a durable broker looks up the batch tasks its memory no longer holds, for de-duplication: its journal.
///
/// ``BrokerDriver`` calls it on the broker I/O thread to carry out ``BrokerAction/lookUp(_:then:)``; a journal
/// that does not implement it leaves de-duplication to what memory holds.
public protocol JournaledTaskLookup {
    /// Calls `body` with the key and id of each finished task of `batch` (the session's bytes) that the journal
    /// holds with a key above `afterKey`, in key order, at most `limit`.
    ///
    /// - Returns: how many it read; fewer than `limit` means it reached the end.
    /// - Throws: when the journal cannot be read.
    func forEachFinishedID(
        batch: [UInt8],
        afterKey: UInt64,
        limit: Int,
        _ body: (_ key: UInt64, _ id: String) -> Void
    ) throws -> Int

    /// The results of those of the finished tasks with `keys` that the journal still holds.
    ///
    /// - Throws: when the journal cannot be read.
    func finishedResults(keys: [UInt64]) throws -> [KeyedResult]
}
