/// Gathers tasks, in order, into the chunks a client sends as `CRSC01` SUBMIT messages: at most ``maxCount`` tasks
/// and ``maxBytes`` bytes of ids, categories and payloads each, a task larger than that alone. So a batch of large
/// tasks stays far below the broker's `--max-message-size` (16 MiB by default) however many tasks a client has room
/// for. ``BatchClient``, ``SessionClient`` and `corsair-bench` split their SUBMITs by it.
public struct SubmitChunker: Sendable {
    /// The most tasks per SUBMIT that clients use unless told otherwise.
    public static let standardCount = 1000
    /// The most bytes per SUBMIT that clients use unless told otherwise: a sixteenth of the broker's default limit.
    public static let standardBytes = 1 << 20

    /// The most tasks in one chunk.
    public let maxCount: Int
    /// The most bytes, by ``size(of:)``, in one chunk of more than one task.
    public let maxBytes: Int
    private var chunk: [TaskSpec] = []
    private var bytes = 0

    /// Creates a chunker that holds no task yet.
    public init(maxCount: Int = standardCount, maxBytes: Int = standardBytes) {
        precondition(maxCount >= 1, "a SUBMIT carries at least one task")
        self.maxCount = maxCount
        self.maxBytes = maxBytes
    }

    /// What `task` counts for against ``maxBytes``: its payload, id and category.
    public static func size(of task: TaskSpec) -> Int {
        task.payload.count + task.id.utf8.count + task.category.utf8.count
    }

    /// Adds `task` to the chunk being gathered.
    ///
    /// - Returns: the chunk gathered so far when `task` does not fit in it, to be sent now (`task` starts the next
    ///   one); `nil` otherwise.
    public mutating func add(_ task: TaskSpec) -> [TaskSpec]? {
        let size = Self.size(of: task)
        var full: [TaskSpec]?
        if !chunk.isEmpty, chunk.count == maxCount || bytes + size > maxBytes {
            full = chunk
            chunk.removeAll(keepingCapacity: true)
            bytes = 0
        }
        chunk.append(task)
        bytes += size
        return full
    }

    /// Ends the gathering.
    ///
    /// - Returns: the last chunk, or `nil` when no task waits.
    public mutating func finish() -> [TaskSpec]? {
        guard !chunk.isEmpty else { return nil }
        defer {
            chunk.removeAll(keepingCapacity: true)
            bytes = 0
        }
        return chunk
    }

    /// Splits `tasks` into chunks, in order, by the rule of ``add(_:)``.
    public static func chunks(
        of tasks: some Sequence<TaskSpec>, maxCount: Int = standardCount, maxBytes: Int = standardBytes
    ) -> [[TaskSpec]] {
        var chunker = SubmitChunker(maxCount: maxCount, maxBytes: maxBytes)
        var chunks = tasks.compactMap { chunker.add($0) }
        if let last = chunker.finish() {
            chunks.append(last)
        }
        return chunks
    }
}
