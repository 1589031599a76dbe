import DequeModule

/// One category's waiting tasks and the workers that can take them. A class, shared by the category's workers'
/// records, so the hot paths reach it without a lookup by name; only the broker's state machine holds these.
final class CategoryQueue {
    /// The category's name.
    let name: String
    /// Whether the category runs one attempt at a time (`--ordered`).
    let isOrdered: Bool
    /// Waiting tasks, best first (see ``QueueEntry``).
    var waiting = WaitingQueue()
    /// Workers with free credit, least recently used first. Entries of workers that left or filled up are skipped
    /// when popped, so removal never scans.
    var available = Deque<WorkerRecord>()
    /// Every connected worker of the category.
    var workers: Set<PeerID> = []
    /// How many attempts workers of the category hold, timed-out ones they have not answered included.
    var held = 0

    init(name: String, isOrdered: Bool) {
        self.name = name
        self.isOrdered = isOrdered
    }
}
