/// The queue timeout: a task that waits the queue timeout in a category without workers fails with `no_worker`.
extension BrokerStateMachine {
    /// Starts the queue timeout of `task`, which waits in a category without workers.
    mutating func startQueueTimeout(_ task: TaskRecord, at now: ContinuousClock.Instant) {
        queueDeadlines.start(task, deadline: now + configuration.queueTimeout)
    }

    /// Fails tasks that waited the queue timeout in a category that still has no worker.
    mutating func expireWaiting(at now: ContinuousClock.Instant) {
        while let task = queueDeadlines.popExpired(at: now, in: tasks) {
            guard workerCount(category: task.category) == 0 else { continue }
            let timeout = DurationParser.format(configuration.queueTimeout)
            let reason = "no_worker: no worker for category '\(task.category)' within \(timeout)"
            task.lastError = reason
            finish(task.key, outcome: .failed, output: [Array(reason.utf8)], at: now)
        }
    }
}
