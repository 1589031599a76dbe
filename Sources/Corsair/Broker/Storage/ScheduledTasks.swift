import HeapModule

/// Tasks held until their not-before time, earliest first.
///
/// A task's record says whether it is still held (``TaskRecord/notBefore``, set only while it is scheduled): a
/// cancelled task leaves its entry behind, skipped when it reaches the front, so cancelling never searches the heap.
///
/// A value held by ``BrokerStateMachine``; it reads no clock, so its rules are tested with given instants.
struct ScheduledTasks {
    private var heap = Heap<QueueDeadline>()

    /// How many entries are held, including ones of tasks no longer scheduled.
    var count: Int { heap.count }

    /// The earliest not-before time held; `nil` when none is held.
    var earliest: ContinuousClock.Instant? { heap.min?.deadline }

    /// Holds `task`, already in ``TaskState/scheduled``, until `notBefore`.
    mutating func hold(_ task: TaskRecord, until notBefore: ContinuousClock.Instant) {
        task.notBefore = notBefore
        // The record stores instants to the nanosecond; the entry must carry the same value it is compared against.
        heap.insert(QueueDeadline(deadline: task.notBefore ?? notBefore, key: task.key))
    }

    /// Removes and returns the task, still scheduled in `tasks`, whose not-before time is the earliest at or before
    /// `now`; `nil` when no scheduled task is due.
    mutating func popDue(at now: ContinuousClock.Instant, in tasks: TaskTable) -> TaskRecord? {
        while let entry = heap.min, entry.deadline <= now {
            heap.removeMin()
            guard let task = tasks[entry.key], task.state == .scheduled, task.notBefore == entry.deadline else {
                continue
            }
            return task
        }
        return nil
    }
}
