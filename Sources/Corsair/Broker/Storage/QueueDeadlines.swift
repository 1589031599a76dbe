import HeapModule

/// The queue deadlines of tasks waiting in categories without workers, earliest first.
///
/// A task's record says which deadline is current (``TaskRecord/queueDeadline``): it loses it when dispatched and may
/// get a new one when its category loses its last worker again. Entries the record no longer carries are skipped when
/// they reach the front, so clearing a deadline never searches the heap.
///
/// A value held by ``BrokerStateMachine``; it reads no clock, so its rules are tested with given instants.
struct QueueDeadlines {
    private var heap = Heap<QueueDeadline>()

    /// How many entries are held, including ones their tasks no longer carry.
    var count: Int { heap.count }

    /// The earliest deadline held; `nil` when none is held.
    var earliest: ContinuousClock.Instant? { heap.min?.deadline }

    /// Gives `task`, waiting, the queue deadline `deadline`.
    mutating func start(_ task: TaskRecord, deadline: ContinuousClock.Instant) {
        task.queueDeadline = deadline
        // The record stores instants to the nanosecond; the entry must carry the same value it is compared against.
        heap.insert(QueueDeadline(deadline: task.queueDeadline ?? deadline, key: task.key))
    }

    /// Removes and returns the task, still waiting in `tasks`, whose current queue deadline is the earliest at or
    /// before `now`, and clears that deadline; `nil` when no waiting task is past its deadline.
    mutating func popExpired(at now: ContinuousClock.Instant, in tasks: TaskTable) -> TaskRecord? {
        while let entry = heap.min, entry.deadline <= now {
            heap.removeMin()
            guard let task = tasks[entry.key], task.state == .queued, task.queueDeadline == entry.deadline else {
                continue
            }
            task.queueDeadline = nil
            return task
        }
        return nil
    }
}

/// When a task waiting in a category without workers gives up, if ``TaskRecord/queueDeadline`` still says so.
///
/// Every task queued while its category has no worker has one, so it is kept to 16 bytes: a million such tasks hold
/// 16 MB of these rather than 32.
struct QueueDeadline: Comparable, Sendable {
    private let moment: Moment
    let key: TaskKey

    init(deadline: ContinuousClock.Instant, key: TaskKey) {
        self.moment = Moment(deadline)
        self.key = key
    }

    var deadline: ContinuousClock.Instant { moment.instant! }

    static func < (lhs: QueueDeadline, rhs: QueueDeadline) -> Bool {
        lhs.moment != rhs.moment ? lhs.moment < rhs.moment : lhs.key < rhs.key
    }
}
