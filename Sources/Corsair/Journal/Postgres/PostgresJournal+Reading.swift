import NIOCore
import PostgresNIO

extension PostgresJournal {
    /// The columns ``JournaledTask/init(postgresRow:)`` reads, in its order.
    static let columns = """
        key, batch, id, category, payload, priority, timeout_ms, max_attempts, submitted_ms, not_before_ms, state, \
        attempts, worker, started_ms, last_error, history, output, finished_ms
        """
    /// Rows per page of a restore's read, so a million queued tasks are never all in one reply.
    static let restorePage = 10_000

    public func snapshot(retainFinished: Int) throws(JournalError) -> JournalSnapshot {
        try gatheredSnapshot(retainFinished: retainFinished)
    }

    /// Folds the log, then hands each unfinished task and the newest `retainFinished` finished ones to `body`, by
    /// increasing key, a page of rows at a time. Returns the newest key handed out.
    public func restore(
        retainFinished: Int,
        into body: (JournaledTask) -> Void
    ) throws(JournalError) -> UInt64 {
        do {
            try foldAll()
            let lastKey =
                try reads.run(
                    "SELECT value::bigint FROM \(unescaped: schema).meta WHERE name = 'last_key'"
                ).first?.decode(Int64.self) ?? 0
            let finished = try fetch(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: schema).tasks WHERE state >= 2
                ORDER BY key DESC LIMIT \(Int64(retainFinished))
                """)
            var order = RestoreOrder(finishedNewestFirst: finished, lastKey: UInt64(bitPattern: lastKey))
            var after: Int64 = -1
            while true {
                let page = try fetch(
                    """
                    SELECT \(unescaped: Self.columns) FROM \(unescaped: schema).tasks WHERE state < 2 AND key > \(after)
                    ORDER BY key LIMIT \(Int64(Self.restorePage))
                    """)
                for task in page {
                    order.hand(task, to: body)
                }
                guard page.count == Self.restorePage, let last = page.last else { break }
                after = Int64(bitPattern: last.accepted.key)
            }
            return order.finish(body)
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "read")
        }
    }

    public func finishedResults(
        batch: [UInt8],
        afterKey: UInt64?,
        limit: Int
    ) throws(JournalError) -> [KeyedResult] {
        do {
            try foldAll()
            return try fetch(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: schema).tasks
                WHERE batch = \(ByteBuffer(bytes: batch)) AND key > \(Int64(bitPattern: afterKey ?? 0)) AND state >= 2
                ORDER BY key LIMIT \(Int64(limit))
                """
            ).map { KeyedResult(key: $0.accepted.key, result: $0.result) }
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "read results")
        }
    }

    public func tasks(matching query: TaskQuery) throws(JournalError) -> [TaskStatus] {
        guard query.limit > 0 else { return [] }
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 256, interpolationCount: 4)
        sql.appendInterpolation(unescaped: "SELECT \(Self.columns) FROM \(schema).tasks WHERE true")
        if let batch = query.batch {
            sql.appendLiteral(" AND batch IN (")
            sql.appendInterpolation(ByteBuffer(bytes: Array(batch.utf8)))
            sql.appendLiteral(", ")
            sql.appendInterpolation(ByteBuffer(bytes: BatchName.bytes(hex: batch) ?? []))
            sql.appendLiteral(")")
        }
        if let id = query.id {
            sql.appendLiteral(" AND id = ")
            sql.appendInterpolation(id)
        }
        if let category = query.category {
            sql.appendLiteral(" AND category = ")
            sql.appendInterpolation(category)
        }
        if let state = query.state.flatMap(TaskState.init(rawValue:)) {
            sql.appendLiteral(" AND state = \(JournaledTask.State(state).rawValue)")
        }
        sql.appendLiteral(" ORDER BY key DESC LIMIT \(query.limit)")
        do {
            try foldAll()
            return try fetch(PostgresQuery(stringInterpolation: sql)).map { $0.status(withResult: query.id != nil) }
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "read tasks")
        }
    }

    /// The tasks of a query of ``columns``.
    func fetch(_ query: PostgresQuery) throws -> [JournaledTask] {
        try reads.run(query).map { try JournaledTask(postgresRow: $0) }
    }
}

extension JournaledTask {
    /// The task in `row`, whose columns are ``PostgresJournal/columns``.
    init(postgresRow row: PostgresRow) throws {
        let cells = row.makeRandomAccess()
        func bytes(_ index: Int) throws -> [UInt8]? {
            try cells[index].decode(ByteBuffer?.self).map { Array($0.readableBytesView) }
        }
        func unsigned(_ index: Int) throws -> UInt64? {
            try cells[index].decode(Int64?.self).map { UInt64(bitPattern: $0) }
        }
        let accepted = AcceptedTask(
            key: try unsigned(0) ?? 0, batch: try bytes(1) ?? [], id: try cells[2].decode(String.self),
            category: try cells[3].decode(String.self), payload: try bytes(4) ?? [],
            priority: try cells[5].decode(Int32.self),
            timeoutMilliseconds: try unsigned(6).map { UInt32(clamping: $0) },
            maxAttempts: try unsigned(7).map { Int(clamping: $0) }, submitted: try unsigned(8) ?? 0,
            notBefore: try unsigned(9))
        self.init(
            accepted: accepted, state: State(rawValue: Int(try cells[10].decode(Int32.self))) ?? .queued,
            attempts: Int(try cells[11].decode(Int32.self)), worker: try cells[12].decode(String?.self),
            started: try unsigned(13), lastError: try cells[14].decode(String?.self),
            history: try cells[15].decode(String?.self).map { $0.split(separator: "\n").map(String.init) } ?? [],
            output: try bytes(16), finished: try unsigned(17))
    }
}
