import DequeModule

/// The broker's tracked tasks by state, in the order they entered it, so that a status query for the newest few
/// tasks in one state reads those few instead of filtering and sorting every tracked task (50 ms a call with 500 000
/// queued before it, and each open dashboard asks twice a second).
///
/// Each state keeps a log of the keys that entered it. A key whose task has since left the state, or left the
/// broker, stays in the log until the next compaction and is skipped when read; a task that entered a state twice
/// (requeued, then queued again) appears twice and is read once. Compaction drops the stale keys once the logs have
/// grown past twice what the last one kept, so its cost is constant per state change, amortised.
///
/// A class, shared by the category queues (which tell it of each change, see ``TaskRecord/state``) and the state
/// machine that owns it; only the machine's thread uses it.
final class TaskStateIndex {
    private var logs = [Deque<TaskKey>](repeating: [], count: TaskState.allCases.count)
    private var entries = 0
    private var compactAt = TaskStateIndex.minimumCompaction

    /// Logs this many entries before the first compaction.
    static let minimumCompaction = 65_536

    /// Notes that the task with `key` entered `state`.
    func entered(_ state: TaskState, _ key: TaskKey) {
        logs[state.ordinal].append(key)
        entries += 1
    }

    /// The keys that entered `state`, the most recent first, stale ones and repeats included.
    func newest(in state: TaskState) -> ReversedCollection<Deque<TaskKey>> {
        logs[state.ordinal].reversed()
    }

    /// Whether the logs have grown enough since the last compaction for ``compact(against:)`` to be due.
    var needsCompaction: Bool { entries >= compactAt }

    /// Drops every key whose task is no longer in `tasks` in the state of its log, keeping the order of the rest.
    func compact(against tasks: TaskTable) {
        for state in TaskState.allCases {
            logs[state.ordinal] = Deque(logs[state.ordinal].lazy.filter { tasks[$0]?.state == state })
        }
        entries = logs.reduce(0) { $0 + $1.count }
        compactAt = max(Self.minimumCompaction, 2 * entries)
    }

    /// How many keys the logs hold, stale ones included.
    var count: Int { entries }
}

extension TaskState {
    /// The state's place among ``allCases``.
    var ordinal: Int {
        switch self {
        case .scheduled: 0
        case .queued: 1
        case .running: 2
        case .succeeded: 3
        case .failed: 4
        case .cancelled: 5
        }
    }
}
