/// The ids of a session's finished tasks that a durable broker's journal holds and its memory does not (they
/// finished before a restart and were not among the newest `--retain-finished`), for de-duplication by (batch, id).
///
/// They are read from the journal once, when a client first submits to or attaches to the session after the
/// restart, and kept as 16-byte slots of the id's hash and the task's key. A hash that matches is confirmed by
/// reading the task by its key (``JournalLookup/results(session:keys:)``), which also gives its stored result.
struct JournaledIDs {
    /// Whether the journal may hold ids that memory does not.
    enum State {
        /// It holds none: memory has every id it holds, or the broker forgot them while running (as an in-memory
        /// broker does, past `--retain-finished`).
        case none
        /// It may hold some, not read yet, or not all read yet (up to ``JournaledIDs/readThrough``).
        case unread
        /// They are in ``JournaledIDs/index``.
        case read
    }

    var state = State.none
    /// The key of the last task read while reading in slices; the next slice starts after it.
    var readThrough: UInt64 = 0
    /// The hash of each id read and its task's key, matched on the hash alone.
    private(set) var index = TaskIDIndex()
    /// What the journal said of the keys asked about for the submission being taken: the result, or `nil` when the
    /// task has left the journal (`--result-ttl`). Emptied once the submission is taken.
    var confirmed: [UInt64: TaskResult?] = [:]

    /// How many ids the index holds.
    var count: Int { index.count }

    /// Adds the id with `hash` and `key`; a second id with the same hash is not added (its resubmission runs again).
    mutating func insert(hash: UInt64, key: UInt64) {
        _ = index.insert("", hash: hash, key: TaskKey(rawValue: key)) { _ in "" }
    }

    /// Notes that memory forgot the finished task with `key`, whose id has `hash`: kept once the ids are read, or
    /// once the reading has passed `key` (a later slice would not see it).
    mutating func forgot(hash: UInt64, key: UInt64) {
        if state == .read || (state == .unread && key <= readThrough) {
            insert(hash: hash, key: key)
        }
    }

    /// The key of an id with `hash`, if the index holds one.
    func key(ofHash hash: UInt64) -> UInt64? {
        index.key(of: "", hash: hash) { _ in "" }?.rawValue
    }

    /// Drops the entry of `key`, whose id has `hash`: the journal no longer holds the task.
    mutating func remove(key: UInt64, hash: UInt64) {
        index.remove(TaskKey(rawValue: key), hash: hash)
    }
}
