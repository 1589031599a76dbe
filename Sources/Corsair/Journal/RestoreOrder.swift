/// How a journal's restore hands its tasks out by increasing key: the unfinished ones as they are read, in key order,
/// with the newest finished ones (read first) slotted in between, so that neither list is sorted with the other.
struct RestoreOrder {
    /// The finished tasks to hand out, oldest first.
    private let finished: [JournaledTask]
    private var next = 0
    /// The newest key seen so far, or the journal's own newest key if that is newer.
    private(set) var newestKey: UInt64

    /// Starts with the newest finished tasks, read newest first, and the newest key the journal notes.
    init(finishedNewestFirst: [JournaledTask], lastKey: UInt64) {
        finished = finishedNewestFirst.reversed()
        newestKey = max(lastKey, finishedNewestFirst.first?.accepted.key ?? 0)
    }

    /// Hands `body` the finished tasks older than `task`, then `task`, an unfinished one.
    mutating func hand(_ task: JournaledTask, to body: (JournaledTask) -> Void) {
        while next < finished.endIndex, finished[next].accepted.key < task.accepted.key {
            body(finished[next])
            next += 1
        }
        newestKey = max(newestKey, task.accepted.key)
        body(task)
    }

    /// Hands `body` the finished tasks left; returns the newest key handed out.
    mutating func finish(_ body: (JournaledTask) -> Void) -> UInt64 {
        finished[next...].forEach(body)
        next = finished.endIndex
        return newestKey
    }
}

extension Journal {
    /// A ``JournalSnapshot`` gathered from ``restore(retainFinished:into:)``, for a backend that streams its restore.
    func gatheredSnapshot(retainFinished: Int) throws(JournalError) -> JournalSnapshot {
        var tasks: [JournaledTask] = []
        let lastKey = try restore(retainFinished: retainFinished) { tasks.append($0) }
        return JournalSnapshot(lastKey: lastKey, tasks: tasks)
    }
}
