/// Where a durable broker keeps its batch tasks: what was accepted, each attempt's start and end, and each result.
///
/// One interface for every backend (SQLite now, PostgreSQL later). The broker loop reads it once at start
/// (``restore(retainFinished:into:)``); then its ``JournalWriter`` thread commits the records of the loop's passes,
/// in order, each commit one transaction (group commit), and folds the backlog (a small pass the loop may commit
/// itself while the writer is idle); the loop sends a pass's acknowledgements and results once that pass is
/// committed. Reads (results, task queries) may come from the loop's thread meanwhile: a backend serializes them with
/// its writes.
public protocol Journal: AnyObject, Sendable, FinishedResultReader {
    /// Where the journal lives, for messages.
    var location: String { get }

    /// Everything a restarted broker needs: unfinished tasks, and the newest `retainFinished` finished ones.
    func snapshot(retainFinished: Int) throws(JournalError) -> JournalSnapshot

    /// What ``snapshot(retainFinished:)`` holds, handed to `body` one task at a time by increasing key, so a
    /// restart need not hold every task twice; returns the newest key handed out. A backend may check its store
    /// while this reads it (``SQLiteJournal/IntegrityCheck/besideRestore``): it returns once the check has passed,
    /// and throws what the check found if it failed.
    func restore(retainFinished: Int, into body: (JournaledTask) -> Void) throws(JournalError) -> UInt64

    /// How many committed records wait to be moved into the form reads use (SQLite: frames of its log not yet folded
    /// into the task table); 0 for a backend that writes records in place.
    var backlog: Int { get }

    /// Moves about `limit` of the oldest waiting records into the form reads use, in one transaction; returns how
    /// many it moved. Reads do this for the whole backlog first, so it only decides when the work is done.
    func fold(limit: Int) throws(JournalError) -> Int

    /// Whether a commit costs so little that the broker loop makes each one itself while the writer has nothing
    /// queued, large passes too (SQLite with `--journal-sync normal`: a `write` to its log, no sync); `false` by
    /// default, when only small passes are.
    var commitsInline: Bool { get }

    /// Stores `records`, in order, in one transaction, and notes `lastKey` as the newest key handed out.
    ///
    /// - Throws: ``JournalError`` with ``JournalError/Kind/full`` when the disk is full; nothing of `records` is
    ///   stored then, and the same records may be committed again later.
    func commit(_ records: EncodedRecords, lastKey: UInt64) throws(JournalError)

    /// Finished tasks of `batch` with keys above `afterKey`, oldest first, at most `limit`.
    func finishedResults(batch: [UInt8], afterKey: UInt64?, limit: Int) throws(JournalError) -> [KeyedResult]

    /// The journaled tasks that match `query` (its batch and id; state and category filter too), newest first.
    func tasks(matching query: TaskQuery) throws(JournalError) -> [TaskStatus]

    /// Deletes finished tasks that finished before `cutoff` (Unix ms) and gives their space back to the file system,
    /// at most `limit` tasks a call; returns how many it deleted.
    func deleteFinished(before cutoff: UInt64, limit: Int) throws(JournalError) -> Int

    /// The space left for the journal to grow into, in bytes, and the size of the file system it is on; `nil` when
    /// the backend cannot tell (a database server). The broker refuses new submissions while little is left.
    func freeSpace() -> (available: UInt64, total: UInt64)?

    /// Throws ``JournalError/Kind/deposed`` once another broker has taken the journal over (a shared PostgreSQL
    /// journal's lease): the broker loop checks before each pass and stops, dispatching nothing more. Never throws for
    /// a journal only one broker can open.
    func checkStanding() throws(JournalError)

    /// How often the broker loop checks ``checkStanding()`` while idle; `nil` for a journal only one broker can open.
    var standingInterval: Duration? { get }

    /// Closes the journal and releases its lock; nothing may be called afterwards.
    func close()
}

extension Journal {
    public func restore(retainFinished: Int, into body: (JournaledTask) -> Void) throws(JournalError) -> UInt64 {
        let snapshot = try snapshot(retainFinished: retainFinished)
        snapshot.tasks.forEach(body)
        return snapshot.lastKey
    }

    public var backlog: Int { 0 }

    public var commitsInline: Bool { false }

    public func fold(limit: Int) throws(JournalError) -> Int { 0 }

    public func checkStanding() throws(JournalError) {}

    public var standingInterval: Duration? { nil }
}
