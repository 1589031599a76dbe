import GRDB

extension SQLiteJournal {
    /// The columns ``JournaledTask/init(reading:)`` reads, in its order.
    static let columns = """
        key, batch, id, category, payload, priority, timeout_ms, max_attempts, submitted_ms, not_before_ms, state, \
        attempts, worker, started_ms, last_error, history, output, finished_ms
        """

    public func snapshot(retainFinished: Int) throws(JournalError) -> JournalSnapshot {
        do {
            return try database.read { db in
                let lastKey = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'last_key'") ?? 0
                let unfinished = try Self.fetch(db, "SELECT \(Self.columns) FROM tasks WHERE state < 2 ORDER BY key")
                var finished = try Self.fetch(
                    db, "SELECT \(Self.columns) FROM tasks WHERE state >= 2 ORDER BY key DESC LIMIT ?",
                    bind: { $0.bind(1, Int64(retainFinished)) })
                finished.reverse()
                let maximum = max(
                    UInt64(lastKey), unfinished.last?.accepted.key ?? 0, finished.last?.accepted.key ?? 0)
                return JournalSnapshot(lastKey: maximum, tasks: Self.merged(unfinished, finished))
            }
        } catch {
            throw Self.journalError(error, path: location, doing: "read")
        }
    }

    public func finishedResults(
        batch: [UInt8],
        afterKey: UInt64?,
        limit: Int
    ) throws(JournalError) -> [KeyedResult] {
        do {
            return try database.read { db in
                try Self.fetch(
                    db,
                    """
                    SELECT \(Self.columns) FROM tasks WHERE batch = ? AND key > ? AND state >= 2 ORDER BY key LIMIT ?
                    """,
                    bind: {
                        $0.bind(1, batch)
                        $0.bind(2, Int64(bitPattern: afterKey ?? 0))
                        $0.bind(3, Int64(limit))
                    }
                ).map { KeyedResult(key: $0.accepted.key, result: $0.result) }
            }
        } catch {
            throw Self.journalError(error, path: location, doing: "read results")
        }
    }

    public func tasks(matching query: TaskQuery) throws(JournalError) -> [TaskStatus] {
        guard query.limit > 0 else { return [] }
        var conditions: [String] = []
        var text: [String] = []
        var blobs: [[UInt8]] = []
        if let batch = query.batch {
            conditions.append("batch IN (?, ?)")
            blobs = [Array(batch.utf8), BatchName.bytes(hex: batch) ?? []]
        }
        if let id = query.id {
            conditions.append("id = ?")
            text.append(id)
        }
        if let category = query.category {
            conditions.append("category = ?")
            text.append(category)
        }
        if let state = query.state.flatMap(TaskState.init(rawValue:)) {
            conditions.append("state = \(JournaledTask.State(state).rawValue)")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        do {
            return try database.read { db in
                try Self.fetch(
                    db, "SELECT \(Self.columns) FROM tasks \(filter) ORDER BY key DESC LIMIT \(query.limit)",
                    bind: { call in
                        var index: Int32 = 1
                        for blob in blobs {
                            call.bind(index, blob)
                            index += 1
                        }
                        for value in text {
                            call.bind(index, value)
                            index += 1
                        }
                    }
                ).map { $0.status(withResult: query.id != nil) }
            }
        } catch {
            throw Self.journalError(error, path: location, doing: "read tasks")
        }
    }

    private static func fetch(
        _ db: Database,
        _ sql: String,
        bind: (SQLiteCall) -> Void = { _ in }
    ) throws -> [JournaledTask] {
        let call = try SQLiteCall(db, sql)
        defer { call.reset() }
        bind(call)
        var tasks: [JournaledTask] = []
        var batch: [UInt8] = []
        while try call.next() {
            batch = call.bytes(1, reusing: batch)
            tasks.append(JournaledTask(reading: call, batch: batch))
        }
        return tasks
    }

    /// Two lists each sorted by key, as one.
    private static func merged(_ first: [JournaledTask], _ second: [JournaledTask]) -> [JournaledTask] {
        var result: [JournaledTask] = []
        result.reserveCapacity(first.count + second.count)
        var (i, j) = (0, 0)
        while i < first.count || j < second.count {
            if j == second.count || (i < first.count && first[i].accepted.key < second[j].accepted.key) {
                result.append(first[i])
                i += 1
            } else {
                result.append(second[j])
                j += 1
            }
        }
        return result
    }
}

extension JournaledTask {
    /// The task in the current row of `call`, whose columns are ``SQLiteJournal/columns``; `batch` is column 1's.
    init(reading call: SQLiteCall, batch: [UInt8]) {
        let accepted = AcceptedTask(
            key: UInt64(bitPattern: call.int(0)), batch: batch, id: call.text(2) ?? "",
            category: call.text(3) ?? "", payload: call.bytes(4) ?? [],
            priority: Int32(truncatingIfNeeded: call.int(5)),
            timeoutMilliseconds: call.optionalUInt(6).map { UInt32(clamping: $0) },
            maxAttempts: call.optionalUInt(7).map { Int($0) }, submitted: UInt64(bitPattern: call.int(8)),
            notBefore: call.optionalUInt(9))
        self.init(
            accepted: accepted, state: State(rawValue: Int(call.int(10))) ?? .queued, attempts: Int(call.int(11)),
            worker: call.text(12), started: call.optionalUInt(13), lastError: call.text(14),
            history: call.text(15).map { $0.split(separator: "\n").map(String.init) } ?? [], output: call.bytes(16),
            finished: call.optionalUInt(17))
    }

    /// The task as a client's result; only for finished tasks.
    var result: TaskResult {
        TaskResult(
            id: accepted.id, category: accepted.category, outcome: TaskState(state).outcome,
            attempts: attempts, worker: worker, started: started, finished: finished ?? 0, output: output ?? [])
    }

    /// The task as `corsair tasks` and the HTTP gateway show it.
    func status(withResult: Bool) -> TaskStatus {
        TaskStatus(
            id: accepted.id, category: accepted.category, state: TaskState(self.state).rawValue, worker: worker,
            started: started, finished: finished, attempts: attempts, lastError: lastError,
            batch: BatchName.display(accepted.batch),
            result: withResult ? output.map { String(decoding: $0, as: UTF8.self) } : nil)
    }
}

extension JournaledTask.State {
    /// The journal's state for a broker task state.
    init(_ state: TaskState) {
        switch state {
        // A scheduled task is stored as queued, with its not-before time.
        case .scheduled, .queued: self = .queued
        case .running: self = .running
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }
}

extension TaskState {
    /// The broker task state for a journal's state.
    init(_ state: JournaledTask.State) {
        switch state {
        case .queued: self = .queued
        case .running: self = .running
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }
}
