import GRDB
import Glibc
import Synchronization

extension SQLiteJournal {
    /// The most records one fold transaction takes from the log, so a fold never holds the file long.
    static let foldLimit = 16_384

    public func commit(_ records: EncodedRecords, lastKey: UInt64) throws(JournalError) {
        guard !records.isEmpty else { return }
        try log.append(records, lastKey: lastKey)
    }

    public var backlog: Int { log.backlog }

    public var commitsInline: Bool { log.sync == .normal }

    public func fold(limit: Int) throws(JournalError) -> Int {
        do {
            let folded = try database.writeWithoutTransaction { db in
                let (records, next) = try foldStep(db, from: log.foldedPosition, limit: limit)
                self.folded(through: next, records: records)
                return records
            }
            // Copy the WAL back beside the folds from now on: the writer's fold is the first write once the file is
            // known good (a read's fold may run before, or during the close, which stops it).
            checkpointer.withLock { checkpointer in
                if checkpointer == nil {
                    checkpointer = WALCheckpointer(path: location)
                }
            }
            return folded
        } catch {
            throw Self.journalError(error, path: location, doing: "fold the log")
        }
    }

    /// Folds the whole log into `tasks`, a step at a time: what every read does first. Inside a transaction already
    /// (a restore beside the journal's check), the steps are part of it and the log is told nothing: the caller tells
    /// it where they got to (``folded(through:records:)``) once that transaction has committed.
    @discardableResult
    func foldAll(_ db: Database) throws -> (position: CommitLog.Position, records: Int) {
        var position = log.foldedPosition
        var total = 0
        while true {
            let (records, next) = try foldStep(db, from: position, limit: Self.foldLimit)
            guard next != position else { break }
            if !db.isInsideTransaction {
                folded(through: next, records: records)
            }
            position = next
            total += records
        }
        return (position, total)
    }

    /// Once the whole log is folded (the journal is closing): notes the segment after the newest as where the log
    /// goes on, and deletes the others, so that a stopped broker leaves no log behind.
    func retireLog(_ db: Database) throws {
        guard log.backlog == 0 else { return }
        let next = CommitLog.Position(segment: log.newestSegment + 1, offset: 0)
        try Self.store(next, db)
        log.folded(through: next, records: 0)
    }

    /// Stores the log's folded position in `meta` when opening the log moved it (a new segment after one that is
    /// gone or was folded past its end), so that commits to the new segment are found after a crash. Called once, at
    /// open or by the restore; from then on every fold stores the position it reaches.
    func storeFoldedPosition(_ db: Database) throws {
        let position = log.foldedPosition
        guard try Self.foldedPosition(db) != position else { return }
        try Self.store(position, db)
    }

    /// Notes in `meta` that `tasks` holds the log up to `position`.
    private static func store(_ position: CommitLog.Position, _ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE meta SET value = CASE name WHEN 'log_segment' THEN ? ELSE ? END
                WHERE name IN ('log_segment', 'log_offset')
                """,
            arguments: [Int64(position.segment), Int64(position.offset)])
    }

    /// Tells the log that `tasks` holds it up to `position`, committed, so that it deletes the segments before it.
    /// With `--journal-sync normal` SQLite syncs a commit only at its next checkpoint: the WAL is synced first, so
    /// that a power loss cannot take the fold back once its segments are gone.
    func folded(through position: CommitLog.Position, records: Int) {
        guard position != log.foldedPosition else { return }
        if log.sync == .normal, log.deletes(through: position) {
            let descriptor = open(location + "-wal", O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = fdatasync(descriptor)
                Glibc.close(descriptor)
            }
        }
        log.folded(through: position, records: records)
    }

    /// Folds the log's frames from `start`, `limit` records' worth or a little more (whole frames), into `tasks` in
    /// one transaction, or in the one already open, with the position after them and the newest key they name;
    /// returns how many records it folded and that position.
    private func foldStep(
        _ db: Database,
        from start: CommitLog.Position,
        limit: Int
    ) throws -> (records: Int, next: CommitLog.Position) {
        let (frames, next) = try log.read(from: start, records: limit)
        guard next != start else { return (0, start) }
        var records: [JournalRecord] = []
        var lastKey: UInt64 = 0
        for frame in frames {
            lastKey = max(lastKey, frame.lastKey)
            if let error = frame.payload.withUnsafeBytes({ JournalRecordCodec.failure(decoding: $0, into: &records) }) {
                throw JournalError(
                    .corrupt, path: log.segmentPath(start.segment),
                    "a commit after byte \(start.offset) passed its checksum but cannot be decoded at byte "
                        + "\(error.offset) of its records: this broker cannot read what wrote it")
            }
        }
        try db.inTransaction(ifNoneOpen: .immediate) {
            let writer = try RecordWriter(db)
            let (rows, updates) = NewRow.folding(records)
            for row in rows {
                try writer.insert(row)
            }
            for record in updates {
                try writer.write(record)
            }
            try Self.store(next, db)
            try db.execute(
                sql: "UPDATE meta SET value = max(value, ?) WHERE name = 'last_key'",
                arguments: [Int64(bitPattern: lastKey)])
            return .commit
        }
        return (records.count, next)
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

extension Database {
    /// Runs `body` in a new transaction of `kind`, or, inside a transaction already, as part of it (whose owner then
    /// commits or rolls back).
    fileprivate func inTransaction(
        ifNoneOpen kind: TransactionKind,
        _ body: () throws -> TransactionCompletion
    ) throws {
        if isInsideTransaction {
            _ = try body()
        } else {
            try inTransaction(kind, body)
        }
    }
}

/// Folds records into `tasks` with the statements each kind needs, prepared once per connection (GRDB caches them).
private struct RecordWriter {
    let insert: SQLiteCall
    let started: SQLiteCall
    let ended: SQLiteCall
    let finished: SQLiteCall

    init(_ db: Database) throws {
        insert = try SQLiteCall(
            db,
            """
            INSERT INTO tasks(key, batch, id, category, payload, priority, timeout_ms, max_attempts, submitted_ms, \
            not_before_ms, state, attempts, worker, started_ms, last_error, history, output, finished_ms) \
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
    }

    /// Inserts a task accepted in this commit, with what later records of the same commit did to it.
    func insert(_ row: NewRow) throws {
        let task = row.task
        insert.bind(1, Int64(bitPattern: task.key))
        insert.bind(2, task.batch)
        insert.bind(3, task.id)
        insert.bind(4, task.category)
        if let finished = row.finished {
            insert.bind(5, nil as String?)
            insert.bind(11, Int64(JournaledTask.State(finishedWith: finished.outcome).rawValue))
            insert.bind(15, finished.lastError)
            insert.bind(17, finished.output)
            insert.bind(18, finished.finished)
        } else {
            insert.bind(5, task.payload)
            insert.bind(11, Int64(row.state))
            insert.bind(15, row.lastError)
            insert.bind(17, nil as String?)
            insert.bind(18, nil as UInt64?)
        }
        insert.bind(6, Int64(task.priority))
        insert.bind(7, task.timeoutMilliseconds.map(Int.init))
        insert.bind(8, task.maxAttempts)
        insert.bind(9, task.submitted)
        insert.bind(10, task.notBefore)
        insert.bind(12, Int64(row.finished?.attempts ?? row.attempts))
        insert.bind(13, row.worker)
        insert.bind(14, row.started)
        insert.bind(16, row.history.isEmpty ? nil : row.history.joined(separator: "\n"))
        try insert.run()
    }

    /// Applies a record about a task accepted in an earlier commit.
    func write(_ record: JournalRecord) throws {
        switch record {
        case .accepted(let task):
            try insert(NewRow(task: task))
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
            finished.bind(1, Int64(JournaledTask.State(finishedWith: task.outcome).rawValue))
            finished.bind(2, Int64(task.attempts))
            finished.bind(3, task.output)
            finished.bind(4, task.finished)
            finished.bind(5, task.lastError)
            finished.bind(6, Int64(bitPattern: task.key))
            try finished.run()
        }
    }
}

/// A task accepted in the log rows being folded, with the records after its acceptance in the same rows folded in:
/// a task accepted, run and finished within one fold is one INSERT, where it would otherwise be an INSERT and two
/// UPDATEs, each maintaining the table's indexes.
struct NewRow {
    let task: AcceptedTask
    var state = 0
    var attempts = 0
    var worker: String?
    var started: UInt64?
    var lastError: String?
    var history: [String] = []
    var finished: FinishedTask?

    /// Splits `records` into rows to insert (tasks accepted here, with later records about them folded in) and
    /// records about tasks accepted in earlier folds, kept in their order. The two touch different keys, so the
    /// inserts may go first. A task accepted twice (a commit sent again after its answer was lost) is one row.
    static func folding(_ records: [JournalRecord]) -> (rows: [NewRow], updates: [JournalRecord]) {
        var rows: [NewRow] = []
        var updates: [JournalRecord] = []
        var index: [UInt64: Int] = [:]
        for record in records {
            if case .accepted(let task) = record, index[task.key] == nil {
                index[task.key] = rows.count
                rows.append(NewRow(task: task))
            } else if let position = index[record.key] {
                rows[position].apply(record)
            } else {
                updates.append(record)
            }
        }
        return (rows, updates)
    }

    private mutating func apply(_ record: JournalRecord) {
        switch record {
        case .accepted:
            break
        case .attemptStarted(_, let attempt, let worker, let started):
            (state, attempts, self.worker, self.started) = (1, attempt, worker, started)
        case .attemptEnded(_, let attempts, let reason, let historyLine):
            (state, self.attempts, lastError) = (0, attempts, reason)
            if let historyLine {
                history.append(historyLine)
            }
        case .finished(let task):
            finished = task
        }
    }
}
