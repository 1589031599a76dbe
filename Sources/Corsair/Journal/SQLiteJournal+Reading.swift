import GRDB

extension SQLiteJournal {
    /// The columns ``JournaledTask/init(reading:)`` reads, in its order.
    static let columns = """
        key, batch, id, category, payload, priority, timeout_ms, max_attempts, submitted_ms, not_before_ms, state, \
        attempts, worker, started_ms, last_error, history, output, finished_ms
        """

    public func snapshot(retainFinished: Int) throws(JournalError) -> JournalSnapshot {
        try gatheredSnapshot(retainFinished: retainFinished)
    }

    /// Folds the log, then hands each unfinished task and the newest `retainFinished` finished ones to `body`, by
    /// increasing key, one row at a time: a restart on a million queued tasks never holds them all as values beside
    /// the machine's own records. Returns the newest key handed out.
    ///
    /// While SQLite's check of the file runs beside it (``IntegrityCheck/besideRestore``), the fold, the read and this
    /// broker's pid are one transaction, committed once the check has passed and rolled back if it failed; the
    /// restore then throws what the check found, as the initializer would have, whatever the read met meanwhile.
    public func restore(
        retainFinished: Int,
        into body: (JournaledTask) -> Void
    ) throws(JournalError) -> UInt64 {
        // The read filled SQLite's page cache with rows no pass touches again: the machine holds them now.
        defer { database.releaseMemory() }
        guard let check else { return try read(retainFinished: retainFinished, into: body) }
        do {
            var newest: UInt64 = 0
            try database.writeWithoutTransaction { db in
                var fold: (position: CommitLog.Position, records: Int)?
                try db.inTransaction(.immediate) {
                    try Self.notePID(db)
                    // Without a check beside it, the initializer stored the position already.
                    try storeFoldedPosition(db)
                    fold = try foldAll(db)
                    newest = try read(db, retainFinished: retainFinished, into: body)
                    try check.wait()
                    return .commit
                }
                if let fold {
                    folded(through: fold.position, records: fold.records)
                }
            }
            return newest
        } catch {
            do throws(DatabaseError) {
                try check.wait()
            } catch {
                throw Self.journalError(error, path: location, doing: "open")
            }
            throw Self.journalError(error, path: location, doing: "read")
        }
    }

    /// ``restore(retainFinished:into:)`` of a journal with no check running beside it.
    private func read(
        retainFinished: Int,
        into body: (JournaledTask) -> Void
    ) throws(JournalError) -> UInt64 {
        do {
            return try database.writeWithoutTransaction { db in
                try foldAll(db)
                return try read(db, retainFinished: retainFinished, into: body)
            }
        } catch {
            throw Self.journalError(error, path: location, doing: "read")
        }
    }

    /// The reads of ``restore(retainFinished:into:)``, on `db`, once the log is folded.
    private func read(
        _ db: Database,
        retainFinished: Int,
        into body: (JournaledTask) -> Void
    ) throws -> UInt64 {
        let lastKey = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'last_key'") ?? 0
        let finished = try Self.fetch(
            db, "SELECT \(Self.columns) FROM tasks WHERE state >= 2 ORDER BY key DESC LIMIT ?",
            bind: { $0.bind(1, Int64(retainFinished)) })
        var order = RestoreOrder(finishedNewestFirst: finished, lastKey: UInt64(bitPattern: lastKey))
        try Self.stream(db, "SELECT \(Self.columns) FROM tasks WHERE state < 2 ORDER BY key") {
            order.hand($0, to: body)
        }
        return order.finish(body)
    }

    public func finishedResults(
        batch: [UInt8],
        afterKey: UInt64?,
        limit: Int
    ) throws(JournalError) -> [KeyedResult] {
        do {
            return try database.writeWithoutTransaction { db in
                try foldAll(db)
                return try Self.fetch(
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
            return try database.writeWithoutTransaction { db in
                try foldAll(db)
                return try Self.fetch(
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
        var tasks: [JournaledTask] = []
        try stream(db, sql, bind: bind) { tasks.append($0) }
        return tasks
    }

    /// Runs a query of ``columns`` and hands each row's task to `body`.
    private static func stream(
        _ db: Database,
        _ sql: String,
        bind: (SQLiteCall) -> Void = { _ in },
        _ body: (JournaledTask) -> Void
    ) throws {
        let call = try SQLiteCall(db, sql)
        defer { call.reset() }
        bind(call)
        var batch: [UInt8] = []
        while try call.next() {
            batch = call.bytes(1, reusing: batch)
            body(JournaledTask(reading: call, batch: batch))
        }
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
