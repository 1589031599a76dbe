extension BrokerStateMachine {
    /// The page of the worker named `name` at `now`, or `nil` when no connected worker has that name. Costs one visit
    /// per worker connection and per task the worker holds.
    public func workerReport(named name: String, at now: ContinuousClock.Instant) -> WorkerReport? {
        let records = workers.values.filter { $0.name == name }.sorted { $0.category < $1.category }
        guard let first = records.first else { return nil }
        let running = records.flatMap { worker in
            worker.inFlight.compactMap { runningAttempt($0, on: worker) }
        }
        let tasks = running.sorted { ($0.startedAt ?? now, $0.key) < ($1.startedAt ?? now, $1.key) }.map { task in
            WorkerReport.RunningTask(
                id: task.id, category: task.category, batch: task.batch, attempt: task.attempts,
                started: task.startedAt.map { anchor.unixMilliseconds(at: $0) },
                runningMilliseconds: task.startedAt.map { (now - $0).wholeMilliseconds } ?? 0)
        }
        let connections = records.map { worker in
            WorkerReport.Connection(
                category: worker.category, protocol: worker.protocolName,
                credit: worker.credit, inFlight: worker.inFlight.count, completed: worker.completed,
                failed: worker.failed, uptimeMilliseconds: (now - worker.joinedAt).wholeMilliseconds,
                lastHeartbeatAgeMilliseconds: (now - worker.lastReceivedAt).wholeMilliseconds,
                state: Self.connectionState(worker))
        }
        return WorkerReport(
            id: name, host: first.host, pid: first.pid, version: records.compactMap(\.version).first,
            uptimeMilliseconds: connections.map(\.uptimeMilliseconds).max() ?? 0,
            lastHeartbeatAgeMilliseconds: connections.map(\.lastHeartbeatAgeMilliseconds).min() ?? 0,
            inFlight: connections.reduce(0) { $0 + $1.inFlight },
            completed: connections.reduce(0) { $0 + $1.completed },
            failed: connections.reduce(0) { $0 + $1.failed }, connections: connections, tasks: tasks)
    }

    private static func connectionState(_ worker: WorkerRecord) -> String {
        worker.isShuttingDown ? "stopping" : worker.isDraining ? "draining" : "running"
    }
}
