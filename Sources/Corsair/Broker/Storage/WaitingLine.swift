import DequeModule
import HeapModule

/// The waiting tasks of one batch at one priority, in key (submission) order: one line of a ``WaitingQueue``.
///
/// New tasks arrive with ever larger keys, so they form a FIFO: a deque takes them in O(1). Only a task that goes
/// back to its line (a retry, which keeps its place by its older key) can arrive out of order; those few go to a
/// small heap, and the better of both heads goes first. A single heap over a million waiting tasks spent its time in
/// cache misses. A class, so that the queue's ring and its index share each line.
final class WaitingLine {
    /// Whose tasks a line holds.
    enum Owner: Hashable {
        /// Every task of the priority: the one line of a queue that is not fair.
        case everyone
        /// The tasks of one batch session.
        case session(ObjectIdentifier)
        /// The requests of one plain MDP client.
        case peer(PeerID)
    }

    /// A line's place in its queue.
    struct ID: Hashable {
        let priority: Int32
        let owner: Owner
    }

    let id: ID
    /// Tasks in key order.
    private var fresh = Deque<TaskKey>()
    /// Tasks that arrived behind a newer task of the line.
    private var requeued = Heap<TaskKey>()

    init(id: ID) {
        self.id = id
    }

    /// Whether the line holds no task.
    var isEmpty: Bool { fresh.isEmpty && requeued.isEmpty }

    /// The lowest key held.
    var head: TaskKey? {
        switch (fresh.first, requeued.min) {
        case (let first?, let retry?): Swift.min(first, retry)
        case (let first?, nil): first
        case (nil, let retry): retry
        }
    }

    /// Adds `key` in its place.
    func insert(_ key: TaskKey) {
        if let last = fresh.last, last > key {
            requeued.insert(key)
        } else {
            fresh.append(key)
        }
    }

    /// Removes and returns the lowest key held.
    func removeHead() -> TaskKey? {
        if let retry = requeued.min, fresh.first.map({ retry < $0 }) ?? true {
            return requeued.removeMin()
        }
        return fresh.popFirst()
    }

    /// Every key held, in no particular order.
    var keys: [TaskKey] { requeued.unordered + fresh }
}

extension TaskRecord {
    /// The line the task waits in: its batch session's, or its plain MDP client's.
    var waitingOwner: WaitingLine.Owner {
        switch origin {
        case .batch(let session): .session(ObjectIdentifier(session))
        case .mdp(let peer, _, _): .peer(peer)
        }
    }
}
