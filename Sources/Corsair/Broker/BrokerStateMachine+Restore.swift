/// Restore: a durable broker's state after a restart, from its journal.
extension BrokerStateMachine {
    /// Takes back the tasks `snapshot` holds; call it once, before any other event.
    ///
    /// Queued tasks return to their categories in their old order (priority, then key). Attempts that were running
    /// when the broker stopped end with reason `broker_restart` and their tasks are queued again; such an attempt does
    /// not count against the task's attempts (the task did nothing wrong, and a broker that restarts often must not
    /// fail good tasks), so the record emitted for it says the lower count. A queued task whose not-before time is
    /// still ahead is scheduled again. Finished tasks come back with their results and state (a cancelled task stays
    /// cancelled), and every task's id goes back into its batch's index, so a resubmission is still a duplicate.
    ///
    /// - Returns: the journal records of the requeued attempts.
    public mutating func restore(_ snapshot: JournalSnapshot, at now: ContinuousClock.Instant) -> [BrokerAction] {
        var cursor = RestoreCursor()
        for journaled in snapshot.tasks {
            restore(journaled, cursor: &cursor, at: now)
        }
        lastKey = max(lastKey, snapshot.lastKey)
        noteRestored(finished: finishedOrder.count)
        return takeActions()
    }

    /// Takes back what `journal` holds, as ``restore(_:at:)`` does, reading it one task at a time: a restart on a
    /// million queued tasks holds each once, in the machine, instead of a snapshot of them all beside it.
    ///
    /// - Returns: how many tasks the journal held, and the journal records of the requeued attempts.
    public mutating func restore(
        from journal: any Journal,
        at now: ContinuousClock.Instant
    ) throws(JournalError) -> (tasks: Int, actions: [BrokerAction]) {
        var cursor = RestoreCursor()
        var count = 0
        let newest = try journal.restore(retainFinished: configuration.retainFinished) { journaled in
            count += 1
            restore(journaled, cursor: &cursor, at: now)
        }
        lastKey = max(lastKey, newest)
        noteRestored(finished: finishedOrder.count)
        return (count, takeActions())
    }

    /// The session and queue of the task restored last: consecutive tasks mostly share both.
    private struct RestoreCursor {
        var session: BatchSession?
        var queue: CategoryQueue?
    }

    private mutating func restore(
        _ journaled: JournaledTask,
        cursor: inout RestoreCursor,
        at now: ContinuousClock.Instant
    ) {
        let accepted = journaled.accepted
        if cursor.session?.bytes != accepted.batch {
            cursor.session = session(accepted.batch)
        }
        if cursor.queue?.name != accepted.category {
            cursor.queue = queue(for: accepted.category)
        }
        guard let session = cursor.session, let queue = cursor.queue, accepted.key > (tasks.newestKey ?? 0) else {
            return
        }
        restore(journaled, session: session, queue: queue, at: now)
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
        session.track(accepted.key, finished: TaskState(journaled.state).isFinished)
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
            if let notBefore = accepted.notBefore.map(anchor.clampedInstant(atUnixMilliseconds:)), notBefore > now {
                hold(task, until: notBefore)
            } else {
                enqueue(task, at: now)
            }
        case .running:
            task.attempts -= 1
            actions.append(
                .journal(
                    .attemptEnded(
                        key: accepted.key, attempts: task.attempts, reason: "broker_restart", historyLine: nil)))
            enqueue(task, at: now)
        case .succeeded, .failed, .cancelled:
            tasks.insert(task)
            queue.counts[task.state] += 1
            task.state = TaskState(journaled.state)
            task.finishedAt = anchor.instant(atUnixMilliseconds: journaled.finished ?? 0)
            task.output = journaled.output ?? []
            finishedOrder.append(key)
            retainedBytes += task.output?.count ?? 0
        }
    }
}
