import Foundation

extension BrokerStateMachine {
    /// The broker's state at `now`, for `corsair status` and `corsair workers`.
    public func status(at now: ContinuousClock.Instant) -> BrokerStatus {
        var byState: [String: Int] = ["queued": 0, "running": 0, "succeeded": 0, "failed": 0]
        var running: [String: Int] = [:]
        var queued: [String: Int] = [:]
        for task in tasks.values {
            byState[task.state.rawValue, default: 0] += 1
            if task.state == .running { running[task.category, default: 0] += 1 }
            if task.state == .queued { queued[task.category, default: 0] += 1 }
        }
        let workerStatuses = workers.values.sorted { ($0.category, $0.name) < ($1.category, $1.name) }.map { worker in
            WorkerStatus(
                id: worker.name, host: worker.host, pid: worker.pid, category: worker.category,
                protocol: worker.isExtended ? "corsair/1" : "mdp/0.2", credit: worker.credit,
                inFlight: worker.inFlight.count, completed: worker.completed, failed: worker.failed,
                lastHeartbeatAgeMilliseconds: (now - worker.lastReceivedAt).wholeMilliseconds)
        }
        let categoryStatuses = categories.keys.sorted().map { name in
            CategoryStatus(
                name: name, workers: workerCount(category: name), queued: queued[name] ?? 0,
                running: running[name] ?? 0, ordered: configuration.orderedCategories.contains(name))
        }
        return BrokerStatus(
            uptimeMilliseconds: (now - startedAt).wholeMilliseconds, workers: workerStatuses,
            categories: categoryStatuses, tasks: byState, submitted: statistics.submitted,
            succeeded: statistics.succeeded, failed: statistics.failed, retried: statistics.requeued,
            badMessages: statistics.badMessages)
    }

    /// The tracked tasks that match `query`, newest first.
    public func tasks(matching query: TaskQuery) -> [TaskStatus] {
        tasks.values
            .filter { task in
                (query.state == nil || task.state.rawValue == query.state)
                    && (query.category == nil || task.category == query.category)
                    && (query.batch == nil || task.batch == query.batch)
                    && (query.id == nil || task.id == query.id)
            }
            .sorted { $0.key > $1.key }
            .prefix(max(0, query.limit))
            .map { task in
                TaskStatus(
                    id: task.id, category: task.category, state: task.state.rawValue, worker: task.workerName,
                    started: task.startedAt.map { anchor.unixMilliseconds(at: $0) },
                    finished: task.finishedAt.map { anchor.unixMilliseconds(at: $0) }, attempts: task.attempts,
                    lastError: task.lastError, batch: task.batch,
                    result: query.id == nil ? nil : task.output.map { String(decoding: $0, as: UTF8.self) })
            }
    }

    /// The JSON answer to `query`.
    func report(_ query: BrokerQuery, at now: ContinuousClock.Instant) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json: Data?
        switch query {
        case .status:
            json = try? encoder.encode(status(at: now))
        case .tasks(let taskQuery):
            json = try? encoder.encode(tasks(matching: taskQuery))
        }
        return json.map(Array.init) ?? Array("{}".utf8)
    }
}
