/// Where a durable broker keeps its batch tasks: what was accepted, each attempt's start and end, and each result.
///
/// One interface for every backend (SQLite now, PostgreSQL later). The broker loop is its only user and calls it from
/// its own thread: it reads a ``JournalSnapshot`` once at start, then commits each pass's records in one transaction
/// (group commit) before it sends that pass's acknowledgements and results.
public protocol Journal: AnyObject, Sendable {
    /// Where the journal lives, for messages.
    var location: String { get }

    /// Everything a restarted broker needs: unfinished tasks, and the newest `retainFinished` finished ones.
    func snapshot(retainFinished: Int) throws(JournalError) -> JournalSnapshot

    /// Stores `records`, in order, in one transaction, and notes `lastKey` as the newest key handed out.
    ///
    /// - Throws: ``JournalError`` with ``JournalError/Kind/full`` when the disk is full; nothing of `records` is
    ///   stored then, and the same records may be committed again later.
    func commit(_ records: [JournalRecord], lastKey: UInt64) throws(JournalError)

    /// Finished tasks of `batch` with keys above `afterKey`, oldest first, at most `limit`.
    func finishedResults(batch: [UInt8], afterKey: UInt64?, limit: Int) throws(JournalError) -> [TaskResult]

    /// The journaled tasks that match `query` (its batch and id; state and category filter too), newest first.
    func tasks(matching query: TaskQuery) throws(JournalError) -> [TaskStatus]

    /// Deletes finished tasks that finished before `cutoff` (Unix ms) and gives their space back to the file system,
    /// at most `limit` tasks a call; returns how many it deleted.
    func deleteFinished(before cutoff: UInt64, limit: Int) throws(JournalError) -> Int

    /// The space left for the journal to grow into, in bytes, and the size of the file system it is on; `nil` when
    /// the backend cannot tell (a database server). The broker refuses new submissions while little is left.
    func freeSpace() -> (available: UInt64, total: UInt64)?

    /// Closes the journal and releases its lock; nothing may be called afterwards.
    func close()
}
