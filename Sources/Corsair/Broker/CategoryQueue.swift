import DequeModule

/// One category's waiting tasks and the workers that can take them.
struct CategoryQueue: Sendable {
    /// Waiting tasks, best first (see ``QueueEntry``).
    var waiting = WaitingQueue()
    /// Workers with free credit, least recently used first. Entries of workers that left or filled up are skipped
    /// when popped, so removal never scans.
    var available = Deque<PeerID>()
    /// Every connected worker of the category.
    var workers: Set<PeerID> = []
    /// How many attempts workers of the category hold, timed-out ones they have not answered included.
    var held = 0
}
