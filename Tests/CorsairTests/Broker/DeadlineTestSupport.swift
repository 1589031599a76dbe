@testable import Corsair

/// A task table for the deadline queues' tests: tasks with keys 1…`count` in one category, each in `state` with one
/// attempt.
func deadlineTestTable(_ count: Int, state: TaskState) -> TaskTable {
    var table = TaskTable()
    let queue = CategoryQueue(name: "a", isOrdered: false)
    let session = BatchSession(bytes: [1])
    for key in 1...count {
        let task = TaskRecord(
            key: TaskKey(rawValue: UInt64(key)), id: "t\(key)", queue: queue, priority: 0, origin: .batch(session),
            timeout: nil, maxAttempts: nil, body: .single([]))
        table.insert(task)
        task.state = state
        task.attempts = 1
    }
    return table
}

/// The token of attempt `attempt` of the task with key `key`.
func attemptToken(_ key: UInt64, attempt: Int = 1) -> AssignmentToken {
    AssignmentToken(task: TaskKey(rawValue: key), attempt: attempt)
}
