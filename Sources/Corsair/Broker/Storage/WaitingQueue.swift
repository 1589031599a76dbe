import DequeModule
import HeapModule

/// A category's waiting tasks, best first: higher priority, then lower key (submission order).
///
/// New tasks arrive with ever larger keys, so within one priority they form a FIFO: a deque per priority takes them
/// in O(1). Only a task that goes back to its queue (a retry, which keeps its place by its older key) can arrive out
/// of order; those few go to a small heap, and the best of both is taken. A single heap over a million waiting tasks
/// spent its time in cache misses.
struct WaitingQueue: Sendable {
    /// Tasks in key order, per priority.
    private var fresh: [Int32: Deque<TaskKey>] = [:]
    /// The priorities in ``fresh`` with tasks, highest first.
    private var priorities: [Int32] = []
    /// Tasks that arrived behind a newer task of their priority.
    private var requeued = Heap<QueueEntry>()
    /// How many entries the queue holds.
    private(set) var count = 0

    mutating func insert(_ entry: QueueEntry) {
        count += 1
        if let last = fresh[entry.priority]?.last, last > entry.key {
            requeued.insert(entry)
            return
        }
        if fresh[entry.priority] == nil {
            let index = priorities.firstIndex { $0 < entry.priority } ?? priorities.endIndex
            priorities.insert(entry.priority, at: index)
        }
        fresh[entry.priority, default: []].append(entry.key)
    }

    /// The best entry.
    var min: QueueEntry? {
        let head = priorities.first.flatMap { priority in
            fresh[priority]?.first.map { QueueEntry(priority: priority, key: $0) }
        }
        switch (head, requeued.min) {
        case (let head?, let retry?): return retry < head ? retry : head
        case (let head?, nil): return head
        case (nil, let retry): return retry
        }
    }

    /// Removes and returns the best entry.
    @discardableResult
    mutating func removeMin() -> QueueEntry? {
        guard let best = min else { return nil }
        count -= 1
        if let retry = requeued.min, retry == best {
            requeued.removeMin()
            return best
        }
        fresh[best.priority]!.removeFirst()
        if fresh[best.priority]!.isEmpty {
            fresh[best.priority] = nil
            priorities.removeFirst()
        }
        return best
    }

    /// Every entry, in no particular order.
    var unordered: [QueueEntry] {
        requeued.unordered + fresh.flatMap { priority, keys in keys.map { QueueEntry(priority: priority, key: $0) } }
    }
}
