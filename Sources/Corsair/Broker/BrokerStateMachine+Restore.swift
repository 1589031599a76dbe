/// Restore: a durable broker's state after a restart, from its journal.
extension BrokerStateMachine {
    /// Takes back the tasks `snapshot` holds; call it once, before any other event.
    ///
    /// Queued tasks return to their categories in their old order (priority, then key). Attempts that were running
    /// when the broker stopped end with reason `broker_restart` and their tasks are queued again; such an attempt does
    /// not count against the task's attempts (the task did nothing wrong, and a broker that restarts often must not
    /// fail good tasks), so the record emitted for it says the lower count. Finished tasks come back with their
    /// results, and every task's id goes back into its batch's index, so a resubmission is still a duplicate.
    ///
    /// - Returns: the journal records of the requeued attempts.
    public mutating func restore(_ snapshot: JournalSnapshot, at now: ContinuousClock.Instant) -> [BrokerAction] {
        lastKey = max(lastKey, snapshot.lastKey)
        var session: BatchSession?
        var queue: CategoryQueue?
        for journaled in snapshot.tasks {
            let accepted = journaled.accepted
            if session?.bytes != accepted.batch {
                session = self.session(accepted.batch)
            }
            if queue?.name != accepted.category {
                queue = self.queue(for: accepted.category)
            }
            guard let session, let queue, accepted.key > (tasks.newestKey ?? 0) else { continue }
            restore(journaled, session: session, queue: queue, at: now)
        }
        noteRestored(finished: finishedOrder.count)
        return takeActions()
    }

    /// Adds one journaled task to the table, its queue and its batch's index.
    private mutating func restore(
        _ journaled: JournaledTask,
        session: BatchSession,
        queue: CategoryQueue,
        at now: ContinuousClock.Instant
    ) {
        let accepted = journaled.accepted
        let key = TaskKey(rawValue: accepted.key)
        let task = TaskRecord(
            key: key, id: accepted.id, queue: queue, priority: accepted.priority, origin: .batch(session),
            timeout: accepted.timeoutMilliseconds.map { .milliseconds(Int($0)) }, maxAttempts: accepted.maxAttempts,
            body: .single(accepted.payload))
        _ = session.ids.insert(accepted.id, hash: TaskIDIndex.hash(accepted.id), key: key) { tasks[$0]?.id }
        session.track(accepted.key, finished: journaled.state == .succeeded || journaled.state == .failed)
        task.attempts = journaled.attempts
        if journaled.worker != nil {
            task.workerName = journaled.worker
        }
        task.startedAt = journaled.started.map { anchor.instant(atUnixMilliseconds: $0) }
        if !journaled.history.isEmpty {
            task.history = journaled.history
        }
        if let lastError = journaled.lastError {
            task.lastError = lastError
        }
        switch journaled.state {
        case .queued:
            enqueue(task, at: now)
        case .running:
            task.attempts -= 1
            actions.append(
                .journal(
                    .attemptEnded(
                        key: accepted.key, attempts: task.attempts, reason: "broker_restart", historyLine: nil)))
            enqueue(task, at: now)
        case .succeeded, .failed:
            tasks.insert(task)
            queue.counts[task.state] += 1
            task.state = journaled.state == .succeeded ? .succeeded : .failed
            task.finishedAt = anchor.instant(atUnixMilliseconds: journaled.finished ?? 0)
            task.output = journaled.output ?? []
            finishedOrder.append(key)
        }
    }
}
