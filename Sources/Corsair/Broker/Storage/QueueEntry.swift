/// A waiting task's priority and key, as a category's ``WaitingQueue`` gives them out.
struct QueueEntry: Hashable, Sendable {
    let priority: Int32
    let key: TaskKey
}
