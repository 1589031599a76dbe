/// Where a durable broker looks up the batch tasks its memory no longer holds, for de-duplication: its journal.
///
/// ``BrokerDriver`` calls it on the broker I/O thread to carry out ``BrokerAction/lookUp(_:then:)``; a journal
/// that does not implement it leaves de-duplication to what memory holds.
public protocol JournaledTaskLookup {
    /// Calls `body` with the key and id of each finished task of `batch` (the session's bytes) that the journal
    /// holds, in key order.
    ///
    /// - Throws: when the journal cannot be read.
    func forEachFinishedID(batch: [UInt8], _ body: (_ key: UInt64, _ id: String) -> Void) throws

    /// The results of those of the finished tasks with `keys` that the journal still holds.
    ///
    /// - Throws: when the journal cannot be read.
    func finishedResults(keys: [UInt64]) throws -> [KeyedResult]
}
