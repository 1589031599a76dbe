extension BrokerStateMachine {
    /// The progress of the `limit` batches with the newest tasks, newest first. Visits every tracked task, so it
    /// costs what `corsair tasks` without a filter does; the dashboard asks once a second.
    public func batchProgress(limit: Int) -> [BatchProgress] {
        var progress: [String: (newest: TaskKey, counts: TaskCounts)] = [:]
        for task in tasks.values {
            guard let batch = task.batch else { continue }
            var entry = progress[batch] ?? (task.key, TaskCounts())
            entry.newest = max(entry.newest, task.key)
            entry.counts[task.state] += 1
            progress[batch] = entry
        }
        return progress.sorted { $0.value.newest > $1.value.newest }.prefix(max(0, limit)).map { name, entry in
            let counts = entry.counts
            return BatchProgress(
                name: name, total: TaskState.allCases.reduce(0) { $0 + counts[$1] }, scheduled: counts[.scheduled],
                queued: counts[.queued], running: counts[.running], succeeded: counts[.succeeded],
                failed: counts[.failed], cancelled: counts[.cancelled])
        }
    }
}
