/// A place in a category's queue: higher priority first, then submission order. Requeued tasks keep their place.
struct QueueEntry: Comparable, Sendable {
    let priority: Int32
    let key: TaskKey

    static func < (lhs: QueueEntry, rhs: QueueEntry) -> Bool {
        lhs.priority != rhs.priority ? lhs.priority > rhs.priority : lhs.key < rhs.key
    }
}
