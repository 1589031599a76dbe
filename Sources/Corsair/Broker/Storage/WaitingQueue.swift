import DequeModule

/// A category's waiting tasks: a higher priority always first; within a priority, batches take turns (round robin),
/// one task each, and each batch's tasks go in submission order. A queue that is not fair (an `--ordered` category)
/// keeps one line per priority, so that all its tasks go in submission order.
///
/// Every operation costs O(1) amortised, however many tasks wait: each batch waits in its own ``WaitingLine``, a
/// FIFO; the lines of a priority wait in a ring, and a line that has just given a task goes to the back of it. A
/// batch that arrives behind a million queued tasks of another therefore gives its first task within one turn of
/// the ring: one task of every other batch of its priority.
struct WaitingQueue {
    /// The lines of one priority, in turn order: the first gives the next task.
    private struct Level {
        let priority: Int32
        var ring: Deque<WaitingLine>
        /// Whether the ring's one line gave the last task: a line that arrives then goes ahead of it. (With more
        /// lines, the one that gave a task has gone to the back already.)
        var soleLineServed = false
    }

    /// Whether batches take turns; `false` keeps submission order across batches.
    let isFair: Bool
    /// Every line with tasks, to find a task's line when it arrives.
    private var lines: [WaitingLine.ID: WaitingLine] = [:]
    /// The priorities with tasks, highest first.
    private var levels: [Level] = []
    /// How many entries the queue holds.
    private(set) var count = 0

    init(isFair: Bool) {
        self.isFair = isFair
    }

    /// Adds `task` to its batch's line (``TaskRecord/waitingOwner``), in its place by key: a requeued task keeps
    /// the place its older key gives it in that line.
    mutating func insert(_ task: TaskRecord) {
        insert(task.key, priority: task.priority, owner: task.waitingOwner)
    }

    /// Adds the task `key` of `owner`'s batch at `priority`.
    mutating func insert(_ key: TaskKey, priority: Int32, owner: WaitingLine.Owner) {
        count += 1
        let id = WaitingLine.ID(priority: priority, owner: isFair ? owner : .everyone)
        if let line = lines[id] {
            line.insert(key)
            return
        }
        let line = WaitingLine(id: id)
        line.insert(key)
        lines[id] = line
        if let index = levels.firstIndex(where: { $0.priority <= priority }), levels[index].priority == priority {
            if levels[index].soleLineServed {
                levels[index].ring.prepend(line)
                levels[index].soleLineServed = false
            } else {
                levels[index].ring.append(line)
            }
        } else {
            let index = levels.firstIndex { $0.priority < priority } ?? levels.endIndex
            levels.insert(Level(priority: priority, ring: [line]), at: index)
        }
    }

    /// The entry that goes next.
    var min: QueueEntry? {
        guard !levels.isEmpty, let key = levels[0].ring.first?.head else { return nil }
        return QueueEntry(priority: levels[0].priority, key: key)
    }

    /// Removes and returns the entry that goes next; its line goes to the back of its ring.
    @discardableResult
    mutating func removeMin() -> QueueEntry? {
        // Reached through `levels[0]` each time: a copy of the level would make the ring's changes copy it.
        guard !levels.isEmpty, let line = levels[0].ring.first, let key = line.removeHead() else { return nil }
        let priority = levels[0].priority
        count -= 1
        if line.isEmpty {
            lines[line.id] = nil
            levels[0].ring.removeFirst()
            if levels[0].ring.isEmpty {
                levels.removeFirst()
            }
        } else if levels[0].ring.count > 1 {
            levels[0].ring.removeFirst()
            levels[0].ring.append(line)
        } else {
            levels[0].soleLineServed = true
        }
        return QueueEntry(priority: priority, key: key)
    }

    /// Every entry, in no particular order.
    var unordered: [QueueEntry] {
        levels.flatMap { level in
            level.ring.flatMap { line in line.keys.map { QueueEntry(priority: level.priority, key: $0) } }
        }
    }
}
