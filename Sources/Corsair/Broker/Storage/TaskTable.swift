import DequeModule

/// The broker's tasks by key.
///
/// Keys are handed out in increasing order, so instead of a hash table the table is a window of slots over the keys
/// from the oldest task still held to the newest: a lookup is an index into a deque, and a slot costs one pointer.
/// Removing the oldest task slides the window forward past every removed slot.
struct TaskTable {
    private var slots = Deque<TaskRecord?>()
    /// The key of `slots[0]`.
    private var firstKey: UInt64 = 1
    /// How many tasks the table holds.
    private(set) var count = 0

    subscript(key: TaskKey) -> TaskRecord? {
        guard let index = index(of: key) else { return nil }
        return slots[index]
    }

    /// Adds `task`, whose key must be newer than every key added before.
    mutating func insert(_ task: TaskRecord) {
        if slots.isEmpty {
            firstKey = task.key.rawValue
        }
        precondition(task.key.rawValue >= firstKey + UInt64(slots.count), "task keys must increase")
        while firstKey + UInt64(slots.count) < task.key.rawValue {
            slots.append(nil)
        }
        slots.append(task)
        count += 1
        task.queue.stateIndex.entered(task.state, task.key)
    }

    /// Removes the task with `key`, if the table holds it.
    mutating func remove(_ key: TaskKey) {
        guard let index = index(of: key), slots[index] != nil else { return }
        slots[index] = nil
        count -= 1
        while let first = slots.first, first == nil {
            slots.removeFirst()
            firstKey += 1
        }
    }

    /// Whether `token` names the attempt its task is running now.
    func isRunning(_ token: AssignmentToken) -> Bool {
        guard let task = self[token.task] else { return false }
        return task.state == .running && task.attempts == token.attempt
    }

    /// The key of the newest task the table holds, or `nil` when it holds none.
    var newestKey: UInt64? {
        slots.isEmpty ? nil : firstKey + UInt64(slots.count) - 1
    }

    /// Every task, oldest first.
    var values: some Sequence<TaskRecord> {
        slots.lazy.compactMap { $0 }
    }

    /// Every task, newest first.
    var newestFirst: some Sequence<TaskRecord> {
        slots.reversed().lazy.compactMap { $0 }
    }

    private func index(of key: TaskKey) -> Int? {
        guard key.rawValue >= firstKey else { return nil }
        let offset = key.rawValue - firstKey
        return offset < UInt64(slots.count) ? Int(offset) : nil
    }
}
