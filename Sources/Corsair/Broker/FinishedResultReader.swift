/// Where the broker reads finished results it no longer holds in memory: its journal.
///
/// The journal (issue 16) implements it; ``BrokerDriver`` calls it on the broker I/O thread to carry out
/// ``BrokerAction/replayResults(session:after:limit:to:)``, after the pass's records are committed.
public protocol FinishedResultReader {
    /// Up to `limit` finished results of `batch` (the session's bytes) with task keys above `afterKey` (all when
    /// `nil`), oldest key first.
    ///
    /// - Throws: when the journal cannot be read; the attached client is told so with ERROR.
    func finishedResults(batch: [UInt8], afterKey: UInt64?, limit: Int) throws -> [KeyedResult]
}
