import DequeModule

/// One category's waiting tasks and the workers that can take them. A class, shared by the category's workers'
/// records, so the hot paths reach it without a lookup by name; only the broker's state machine holds these.
final class CategoryQueue {
    /// The category's name.
    let name: String
    /// Whether the category runs one attempt at a time (`--ordered`).
    let isOrdered: Bool
    /// Waiting tasks: higher priority first; within a priority batches take turns, unless the category is ordered.
    var waiting: WaitingQueue
    /// Workers with free credit, least recently used first. Entries of workers that left or filled up are skipped
    /// when popped, so removal never scans.
    var available = Deque<WorkerRecord>()
    /// Every connected worker of the category.
    var workers: Set<PeerID> = []
    /// How many attempts workers of the category hold, timed-out ones they have not answered included.
    var held = 0
    /// How many of the category's tracked tasks are in each state, kept as they change so a status report does not
    /// visit every task.
    var counts = TaskCounts()
    /// Whether the category is in the machine's list of those with plain MDP requests to dispatch when the read pass
    /// ends.
    var hasRequestsToDispatch = false
    /// The broker's index of tasks by state, which each of the category's tasks tells of its changes.
    let stateIndex: TaskStateIndex

    init(name: String, isOrdered: Bool, stateIndex: TaskStateIndex = TaskStateIndex()) {
        self.name = name
        self.isOrdered = isOrdered
        self.stateIndex = stateIndex
        self.waiting = WaitingQueue(isFair: !isOrdered)
    }
}

/// How many tasks are in each ``TaskState``.
struct TaskCounts: Sendable, Hashable {
    private(set) var scheduled = 0
    private(set) var queued = 0
    private(set) var running = 0
    private(set) var succeeded = 0
    private(set) var failed = 0
    private(set) var cancelled = 0

    /// The count of tasks in `state`.
    subscript(state: TaskState) -> Int {
        get {
            switch state {
            case .scheduled: scheduled
            case .queued: queued
            case .running: running
            case .succeeded: succeeded
            case .failed: failed
            case .cancelled: cancelled
            }
        }
        set {
            switch state {
            case .scheduled: scheduled = newValue
            case .queued: queued = newValue
            case .running: running = newValue
            case .succeeded: succeeded = newValue
            case .failed: failed = newValue
            case .cancelled: cancelled = newValue
            }
        }
    }

    /// Adds `other`'s counts to these.
    mutating func add(_ other: TaskCounts) {
        for state in TaskState.allCases {
            self[state] += other[state]
        }
    }

    /// Counts a task that went from `old` to `new`.
    mutating func move(from old: TaskState, to new: TaskState) {
        self[old] -= 1
        self[new] += 1
    }
}
