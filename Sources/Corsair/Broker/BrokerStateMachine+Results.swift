import DequeModule

/// Results: a task's end, the retention of finished batch tasks, and delivery of results to their clients.
extension BrokerStateMachine {
    /// Ends task `key` with `outcome`. `output` is the result's frames, or the failure's text as one frame; a Corsair
    /// worker's single output comes as a `CollectionOfOne`, which costs no array per task.
    mutating func finish(
        _ key: TaskKey,
        outcome: TaskOutcome,
        output: some Collection<[UInt8]>,
        at now: ContinuousClock.Instant
    ) {
        guard let task = tasks[key] else { return }
        if case .batch = task.origin, let tooLarge = unrelayable(output) {
            task.lastError = tooLarge
            end(task, outcome: .failed, output: CollectionOfOne(Array(tooLarge.utf8)), at: now)
        } else {
            end(task, outcome: outcome, output: output, at: now)
        }
    }

    /// Ends `task` with `outcome` and `output`, which its client can be sent.
    private mutating func end(
        _ task: TaskRecord,
        outcome: TaskOutcome,
        output: some Collection<[UInt8]>,
        at now: ContinuousClock.Instant
    ) {
        let key = task.key
        task.state = TaskState(finishedWith: outcome)
        task.finishedAt = now
        if outcome == .succeeded && !reportsEveryTask {
            countSuccess()
        } else {
            emit(
                .taskFinished(
                    id: task.id, category: task.category, outcome: outcome, attempts: task.attempts,
                    reason: outcome != .succeeded ? output.first.map { String(decoding: $0, as: UTF8.self) } : nil))
        }
        switch task.origin {
        case .mdp(let client, let framing, let dialect):
            var body = Array(output)
            if outcome != .succeeded {
                body.insert(Array("corsair.error".utf8), at: 0)
            }
            let reply = BrokerOutbound.reply(framing, dialect, final: true, category: task.category, body: body)
            actions.append(.send(reply, to: client))
            // Kept like a batch task, so that `corsair tasks` lists it with its outcome until retention drops it.
            task.output = output.count == 1 ? output.first! : output.reduce(into: []) { $0.append(contentsOf: $1) }
            retain(key)
        case .batch(let session):
            task.output = output.count == 1 ? output.first! : output.reduce(into: []) { $0.append(contentsOf: $1) }
            session.unfinished -= 1
            // Keep the session's unfinished keys short whether or not anyone attaches.
            _ = session.lowestUnfinished { hasFinished($0) }
            if configuration.journaled {
                actions.append(
                    .journal(
                        .finished(
                            FinishedTask(
                                key: key.rawValue, outcome: task.state.outcome,
                                output: task.output ?? [], attempts: task.attempts,
                                finished: anchor.unixMilliseconds(at: now), lastError: task.lastError))))
            }
            deliver(task)
            follow(task, of: session)
            retain(key)
        }
    }

    /// The failure of a batch task whose result (`output`'s frames together) is longer than a RESULT entry carries
    /// (``BrokerConfiguration/maxResultBytes``), or `nil` when it fits: such a task fails for good instead of its
    /// result stopping the broker or being dropped.
    private func unrelayable(_ output: some Collection<[UInt8]>) -> String? {
        let bytes = output.reduce(0) { $0 + $1.count }
        guard bytes > configuration.maxResultBytes else { return nil }
        return "result_too_large: the result is \(bytes) bytes, over the \(configuration.maxResultBytes) bytes a "
            + "RESULT entry carries"
    }

    /// Keeps finished task `key`, forgetting the oldest finished tasks beyond the retention limits.
    private mutating func retain(_ key: TaskKey) {
        finishedOrder.append(key)
        retainedBytes += tasks[key]?.output?.count ?? 0
        forgetBeyondRetention()
    }

    /// Forgets the oldest finished tasks while more than ``BrokerConfiguration/retainFinished`` are kept or their
    /// outputs hold more than ``BrokerConfiguration/retainFinishedBytes``. A result withheld from a client that was
    /// not reading may go too: memory stays bounded; a durable broker still has it in its journal (`+Withhold`).
    mutating func forgetBeyondRetention() {
        while finishedOrder.count > configuration.retainFinished || retainedBytes > configuration.retainFinishedBytes,
            let oldest = finishedOrder.popFirst()
        {
            guard let task = tasks[oldest] else { continue }
            retainedBytes -= task.output?.count ?? 0
            forget(task)
            if case .batch(let session) = task.origin {
                let hash = TaskIDIndex.hash(task.id)
                session.ids.remove(oldest, hash: hash)
                // Once the session's ids are read from the journal, it keeps knowing the ones it forgets.
                session.journaled.forgot(hash: hash, key: oldest.rawValue)
                session.dropForgotten { tasks[TaskKey(rawValue: $0)] != nil }
            }
        }
    }

    /// Stops tracking `task`.
    private mutating func forget(_ task: TaskRecord) {
        task.queue.counts[task.state] -= 1
        tasks.remove(task.key)
    }

    /// Queues a finished batch task's result for its session's current peer; ``takeActions()`` sends a session's
    /// results of one event together.
    mutating func deliver(_ task: TaskRecord) {
        guard case .batch(let session) = task.origin, session.client != nil else { return }
        deliver(result(of: task), key: task.key.rawValue, of: session)
    }

    /// Queues `result` (of the task with `key`, or `nil` for one read from the journal) for `session`'s current
    /// peer, if it has one, or withholds it while that peer is not reading (`+Withhold`); an attached peer has a
    /// result of the journal from its replay, which reaches every key up to the session's newest.
    mutating func deliver(_ result: TaskResult, key: UInt64?, of session: BatchSession) {
        guard let client = session.client else { return }
        guard session.withheld.isEmpty, client.unread < configuration.unreadResultBytes else {
            withhold(key, from: client, of: session)
            return
        }
        send(result, toClientOf: session)
    }

    /// Queues `result` for `session`'s client, counting its output against the client's unread limit.
    mutating func send(_ result: TaskResult, toClientOf session: BatchSession) {
        session.client?.unread += result.output.count
        session.outgoing.append(result)
        if !session.hasResultsToSend {
            session.hasResultsToSend = true
            sessionsWithResults.append(session)
        }
    }

    /// The result of finished `task`, as its client is told it.
    func result(of task: TaskRecord) -> TaskResult {
        TaskResult(
            id: task.id, category: task.category, outcome: task.state.outcome,
            attempts: task.attempts, worker: task.workerName,
            started: task.startedAt.map { anchor.unixMilliseconds(at: $0) },
            finished: anchor.unixMilliseconds(at: task.finishedAt ?? anchor.instant), output: task.output ?? [])
    }
}
