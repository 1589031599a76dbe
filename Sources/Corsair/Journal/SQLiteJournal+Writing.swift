import GRDB

extension SQLiteJournal {
    public func commit(_ records: [JournalRecord], lastKey: UInt64) throws(JournalError) {
        do {
            try database.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    let writer = try RecordWriter(db)
                    for record in records {
                        try writer.write(record)
                    }
                    writer.lastKey.bind(1, lastKey)
                    try writer.lastKey.run()
                    return .commit
                }
            }
        } catch {
            throw Self.journalError(error, path: location, doing: "commit")
        }
    }

    public func deleteFinished(before cutoff: UInt64, limit: Int) throws(JournalError) -> Int {
        do {
            return try database.writeWithoutTransaction { db in
                try db.execute(
                    sql: """
                        DELETE FROM tasks WHERE key IN (
                            SELECT key FROM tasks WHERE finished_ms IS NOT NULL AND finished_ms < ? LIMIT ?)
                        """,
                    arguments: [Int64(bitPattern: cutoff), limit])
                let deleted = db.changesCount
                // Give free pages back to the file system, keeping a few thousand for the next inserts.
                let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                if free > 4096 {
                    try db.execute(sql: "PRAGMA incremental_vacuum(\(free - 1024))")
                }
                return deleted
            }
        } catch {
            throw Self.journalError(error, path: location, doing: "delete expired results")
        }
    }
}

/// Writes records with the statements each kind needs, prepared once per connection (GRDB caches them).
private struct RecordWriter {
    let insert: SQLiteCall
    let started: SQLiteCall
    let ended: SQLiteCall
    let finished: SQLiteCall
    let lastKey: SQLiteCall

    init(_ db: Database) throws {
        insert = try SQLiteCall(
            db,
            """
            INSERT INTO tasks(key, batch, id, category, payload, priority, timeout_ms, max_attempts, submitted_ms, \
            not_before_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        started = try SQLiteCall(
            db, "UPDATE tasks SET state = 1, attempts = ?, worker = ?, started_ms = ? WHERE key = ?")
        ended = try SQLiteCall(
            db,
            """
            UPDATE tasks SET state = 0, attempts = ?1, last_error = ?2,
            history = CASE WHEN ?3 IS NULL THEN history WHEN history IS NULL THEN ?3 ELSE history || char(10) || ?3 END
            WHERE key = ?4
            """)
        finished = try SQLiteCall(
            db,
            """
            UPDATE tasks SET state = ?, attempts = ?, output = ?, finished_ms = ?, last_error = ?, payload = NULL
            WHERE key = ?
            """)
        lastKey = try SQLiteCall(db, "UPDATE meta SET value = ? WHERE name = 'last_key'")
    }

    func write(_ record: JournalRecord) throws {
        switch record {
        case .accepted(let task):
            insert.bind(1, Int64(bitPattern: task.key))
            insert.bind(2, task.batch)
            insert.bind(3, task.id)
            insert.bind(4, task.category)
            insert.bind(5, task.payload)
            insert.bind(6, Int64(task.priority))
            insert.bind(7, task.timeoutMilliseconds.map(Int.init))
            insert.bind(8, task.maxAttempts)
            insert.bind(9, task.submitted)
            insert.bind(10, task.notBefore)
            try insert.run()
        case .attemptStarted(let key, let attempt, let worker, let at):
            started.bind(1, Int64(attempt))
            started.bind(2, worker)
            started.bind(3, at)
            started.bind(4, Int64(bitPattern: key))
            try started.run()
        case .attemptEnded(let key, let attempts, let reason, let historyLine):
            ended.bind(1, Int64(attempts))
            ended.bind(2, reason)
            ended.bind(3, historyLine)
            ended.bind(4, Int64(bitPattern: key))
            try ended.run()
        case .finished(let task):
            finished.bind(1, Int64(task.outcome == .succeeded ? 2 : 3))
            finished.bind(2, Int64(task.attempts))
            finished.bind(3, task.output)
            finished.bind(4, task.finished)
            finished.bind(5, task.lastError)
            finished.bind(6, Int64(bitPattern: task.key))
            try finished.run()
        }
    }
}
