import DequeModule
import HeapModule

/// The deadlines of running attempts, earliest first.
///
/// Attempts under the broker's default timeout are dispatched in deadline order, so their deadlines queue in a deque
/// at no log-n cost; attempts of tasks with a timeout of their own, and the rare default one that would land out of
/// order, go to a heap. An attempt that ends before its deadline leaves its entry behind: entries are checked against
/// the task table when they reach the front, and dropped there if their attempt is over, so ending an attempt never
/// searches the queues.
///
/// A value held by ``BrokerStateMachine``; it reads no clock, so its rules are tested with given instants.
struct AttemptDeadlines {
    /// Deadlines of attempts under the default timeout, in deadline order.
    private var inOrder = Deque<DeadlineEntry>()
    /// Every other deadline.
    private var outOfOrder = Heap<DeadlineEntry>()

    /// How many entries are held, including entries of ended attempts not yet dropped.
    var count: Int { inOrder.count + outOfOrder.count }

    /// The earliest deadline held, ended attempts' included; `nil` when none is held.
    var earliest: ContinuousClock.Instant? {
        switch (inOrder.first?.deadline, outOfOrder.min?.deadline) {
        case (let first?, let heap?): min(first, heap)
        case (let first, nil): first
        case (nil, let heap): heap
        }
    }

    /// Adds the deadline of an attempt under the default timeout. These come in deadline order and are appended;
    /// one that does not (its event was given an earlier instant than the one before) goes to the heap.
    mutating func insertDefault(_ entry: DeadlineEntry) {
        if let last = inOrder.last, last.deadline > entry.deadline {
            outOfOrder.insert(entry)
        } else {
            inOrder.append(entry)
        }
    }

    /// Adds the deadline of an attempt with a timeout of its own.
    mutating func insert(_ entry: DeadlineEntry) {
        outOfOrder.insert(entry)
    }

    /// Drops the entries of attempts that already ended from the front of both queues. Attempts mostly end in the
    /// order they started, so this keeps the queues about as long as the number of attempts running, instead of one
    /// entry for every attempt started within the last timeout.
    mutating func dropEnded(in tasks: TaskTable) {
        while let first = inOrder.first, !tasks.isRunning(first.token) {
            inOrder.removeFirst()
        }
        while let earliest = outOfOrder.min, !tasks.isRunning(earliest.token) {
            outOfOrder.removeMin()
        }
    }

    /// Removes and returns the earliest attempt still running in `tasks` whose deadline is at or before `now`,
    /// dropping the ended attempts' entries it passes; `nil` when no running attempt is past its deadline.
    mutating func popExpired(at now: ContinuousClock.Instant, in tasks: TaskTable) -> AssignmentToken? {
        while true {
            let entry: DeadlineEntry
            if let first = inOrder.first, first.deadline <= now,
                outOfOrder.min.map({ first.deadline <= $0.deadline }) ?? true
            {
                entry = inOrder.removeFirst()
            } else if let earliest = outOfOrder.min, earliest.deadline <= now {
                entry = outOfOrder.removeMin()
            } else {
                return nil
            }
            if tasks.isRunning(entry.token) { return entry.token }
        }
    }
}

/// When a running attempt's time is up.
struct DeadlineEntry: Comparable, Sendable {
    let deadline: ContinuousClock.Instant
    let token: AssignmentToken

    static func < (lhs: DeadlineEntry, rhs: DeadlineEntry) -> Bool {
        lhs.deadline != rhs.deadline ? lhs.deadline < rhs.deadline : lhs.token.task < rhs.token.task
    }
}
