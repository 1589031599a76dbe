/// Where a streaming submission takes its tasks from, one at a time, so that a batch need not be held in memory.
public protocol TaskSource {
    /// The next task, or `nil` when there are no more.
    ///
    /// - Throws: ``BatchFileError`` when the source turns out to be malformed.
    mutating func next() throws -> TaskSpec?
}

/// A batch already in memory (parsed from standard input or a plain batch), as a ``TaskSource``.
public struct ArrayTaskSource: TaskSource {
    private let tasks: [TaskSpec]
    private var index = 0

    /// Creates a source of `tasks`, in order.
    public init(_ tasks: [TaskSpec]) {
        self.tasks = tasks
    }

    public mutating func next() -> TaskSpec? {
        guard index < tasks.count else { return nil }
        defer { index += 1 }
        return tasks[index]
    }
}
