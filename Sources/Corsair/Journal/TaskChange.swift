/// What a fold's records do to one task accepted in an earlier fold, merged: one UPDATE per task however many
/// records it has, so a backend can send a fold's updates as a few statements instead of one per record.
struct TaskChange: Equatable {
    /// The task's key.
    let key: UInt64
    /// The state it ends in (``JournaledTask/State``'s raw value).
    var state = 0
    /// How many attempts count.
    var attempts = 0
    /// The worker and start of the newest attempt, when one started.
    var started: (worker: String, at: UInt64)?
    /// Whether ``lastError`` replaces the stored one.
    var setsLastError = false
    /// The reason of the newest attempt that ended without a result, or the finished task's.
    var lastError: String?
    /// The lines to append to the task's history.
    var history: [String] = []
    /// How it finished, if it did.
    var finished: FinishedTask?

    static func == (lhs: TaskChange, rhs: TaskChange) -> Bool {
        lhs.key == rhs.key && lhs.state == rhs.state && lhs.attempts == rhs.attempts
            && lhs.started?.worker == rhs.started?.worker && lhs.started?.at == rhs.started?.at
            && lhs.setsLastError == rhs.setsLastError && lhs.lastError == rhs.lastError
            && lhs.history == rhs.history && lhs.finished == rhs.finished
    }

    /// `records` (none of them ``JournalRecord/accepted(_:)``) merged per task, in the order each task first
    /// appears.
    static func folding(_ records: [JournalRecord]) -> [TaskChange] {
        var changes: [TaskChange] = []
        var index: [UInt64: Int] = [:]
        for record in records {
            let position: Int
            if let known = index[record.key] {
                position = known
            } else {
                position = changes.count
                index[record.key] = position
                changes.append(TaskChange(key: record.key))
            }
            changes[position].apply(record)
        }
        return changes
    }

    private mutating func apply(_ record: JournalRecord) {
        switch record {
        case .accepted:
            break
        case .attemptStarted(_, let attempt, let worker, let at):
            (state, attempts, started) = (JournaledTask.State.running.rawValue, attempt, (worker, at))
        case .attemptEnded(_, let attempts, let reason, let historyLine):
            (state, self.attempts, setsLastError, lastError) = (
                JournaledTask.State.queued.rawValue, attempts, true, reason
            )
            if let historyLine {
                history.append(historyLine)
            }
        case .finished(let task):
            state = JournaledTask.State(finishedWith: task.outcome).rawValue
            (attempts, setsLastError, lastError, finished) = (task.attempts, true, task.lastError, task)
        }
    }
}
