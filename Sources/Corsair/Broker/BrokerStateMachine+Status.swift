import Foundation

extension BrokerStateMachine {
    /// The broker's state at `now`, for `corsair status` and `corsair workers`. Costs one visit per category and per
    /// worker, however many tasks the broker holds, so scraping it stays cheap with a million queued.
    public func status(at now: ContinuousClock.Instant) -> BrokerStatus {
        let counts = categories.values.reduce(into: TaskCounts()) { $0.add($1.counts) }
        let byState = Dictionary(uniqueKeysWithValues: TaskState.allCases.map { ($0.rawValue, counts[$0]) })
        let workerStatuses = workers.values.sorted { ($0.category, $0.name) < ($1.category, $1.name) }.map { worker in
            WorkerStatus(
                id: worker.name, host: worker.host, pid: worker.pid, category: worker.category,
                protocol: worker.protocolName, credit: worker.credit,
                inFlight: worker.inFlight.count, completed: worker.completed, failed: worker.failed,
                lastHeartbeatAgeMilliseconds: (now - worker.lastReceivedAt).wholeMilliseconds, key: worker.keyName)
        }
        let categoryStatuses = categories.values.sorted { $0.name < $1.name }.map { queue in
            CategoryStatus(
                name: queue.name, workers: queue.workers.count, queued: queue.counts.queued,
                running: queue.counts.running, ordered: queue.isOrdered)
        }
        return BrokerStatus(
            uptimeMilliseconds: (now - startedAt).wholeMilliseconds, workers: workerStatuses,
            categories: categoryStatuses, tasks: byState, submitted: statistics.submitted,
            succeeded: statistics.succeeded, failed: statistics.failed, cancelled: statistics.cancelled,
            retried: statistics.requeued,
            badMessages: statistics.badMessages)
    }

    /// The tracked tasks that match `query`, newest first: with a state, the most recent to enter it first.
    ///
    /// Reads tasks from the newest until it has `query.limit` of them, through ``TaskStateIndex`` when the query
    /// names a state, so a query whose matches are recent costs O(limit), however many tasks the broker tracks.
    public func tasks(matching query: TaskQuery) -> [TaskStatus] {
        let matches = { (task: TaskRecord) in
            (query.category == nil || task.category == query.category)
                && (query.batch == nil || task.batch == query.batch)
                && (query.id == nil || task.id == query.id)
        }
        var found: [TaskRecord] = []
        let limit = max(0, query.limit)
        if let name = query.state {
            guard let state = TaskState(rawValue: name) else { return [] }
            var seen: Set<TaskKey> = []
            for key in stateIndex.newest(in: state) {
                guard found.count < limit else { break }
                if let task = tasks[key], task.state == state, matches(task), seen.insert(key).inserted {
                    found.append(task)
                }
            }
        } else {
            for task in tasks.newestFirst {
                guard found.count < limit else { break }
                if matches(task) {
                    found.append(task)
                }
            }
        }
        return found.map { task in
            TaskStatus(
                id: task.id, category: task.category, state: task.state.rawValue, worker: task.workerName,
                started: task.startedAt.map { anchor.unixMilliseconds(at: $0) },
                finished: task.finishedAt.map { anchor.unixMilliseconds(at: $0) }, attempts: task.attempts,
                lastError: task.lastError, batch: task.batch,
                result: query.id == nil ? nil : task.output.map { String(decoding: $0, as: UTF8.self) },
                notBefore: task.notBefore.map { anchor.unixMilliseconds(at: $0) }, client: task.client)
        }
    }

    /// Answers a status query. A durable broker's driver answers a query for tasks by batch or id, since the journal
    /// holds what memory may no longer (``BrokerAction/answerTasks(_:framing:to:)``), as the HTTP gateway's do.
    mutating func answer(_ query: BrokerQuery, framing: Framing, from peer: PeerID, at now: ContinuousClock.Instant) {
        switch query {
        case .status:
            actions.append(.send(.batch(framing, .report(Self.reportJSON(status(at: now)))), to: peer))
        case .tasks(let taskQuery) where configuration.journaled && (taskQuery.batch != nil || taskQuery.id != nil):
            actions.append(.answerTasks(taskQuery, framing: framing, to: peer))
        case .tasks(let taskQuery):
            actions.append(.send(.batch(framing, .report(Self.reportJSON(tasks(matching: taskQuery)))), to: peer))
        case .worker(let name):
            reply(workerReport(named: name, at: now), framing: framing, to: peer)
        case .batches(let limit):
            reply(batchProgress(limit: limit), framing: framing, to: peer)
        }
    }

    private mutating func reply(_ value: some Encodable, framing: Framing, to peer: PeerID) {
        actions.append(.send(.batch(framing, .report(Self.reportJSON(value))), to: peer))
    }

    /// `value` as a REPORT's JSON: sorted keys, `{}` should it not encode.
    static func reportJSON(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
    }
}
