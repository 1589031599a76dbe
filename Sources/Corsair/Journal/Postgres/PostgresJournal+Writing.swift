import NIOCore
import PostgresNIO
import Synchronization

extension PostgresJournal {
    public func commit(_ records: EncodedRecords, lastKey: UInt64) throws(JournalError) {
        guard !records.isEmpty else { return }
        let epoch = try lease.epoch()
        do {
            let row = try commits.run(
                """
                INSERT INTO \(unescaped: schema).log(count, last_key, records)
                SELECT \(Int32(clamping: records.count)), \(Int64(bitPattern: lastKey)), \(ByteBuffer(bytes: records.bytes))
                FROM \(unescaped: schema).lease WHERE id = 1 AND epoch = \(epoch) FOR KEY SHARE
                RETURNING sequence
                """
            ).first
            guard let sequence = try row?.decode(Int64.self) else { throw deposed(epoch) }
            pending.withLock { $0.append(sequence: sequence, count: records.count) }
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "commit")
        }
    }

    public var backlog: Int {
        pending.withLock { $0.records }
    }

    public func fold(limit: Int) throws(JournalError) -> Int {
        let epoch = try lease.epoch()
        let (records, last): (Int, Int64)
        do {
            (records, last) = try reads.transaction { transaction in
                try fence(transaction, epoch)
                return try foldStep(transaction, limit: limit)
            }
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "fold the log")
        }
        // Only once the fold is committed: a fold that failed leaves its rows for the next.
        pending.withLock { $0.removeThrough(last) }
        return records
    }

    /// Folds the whole log into `tasks`, a step at a time: what every read does first.
    func foldAll() throws(JournalError) {
        while try fold(limit: Self.foldLimit) > 0 {}
    }

    /// Folds the log's rows up to the one where `limit` records' worth of the rows this broker committed is reached,
    /// into `tasks` within `transaction`, and deletes them from the log; returns how many records it folded and the
    /// sequence number it folded through. Rows this broker does not know of are folded too, in their place: a commit
    /// whose answer a broken connection lost may have landed before the copy sent again.
    private func foldStep(_ transaction: PostgresSession.Transaction, limit: Int) throws -> (Int, Int64) {
        let last = pending.withLock { $0.last(coveringRecords: limit) }
        guard let last else { return (0, 0) }
        var records: [JournalRecord] = []
        var lastKey: Int64 = 0
        let rows = try transaction.run(
            """
            SELECT sequence, last_key, records FROM \(unescaped: schema).log
            WHERE sequence <= \(last) ORDER BY sequence
            """)
        for row in rows {
            let (sequence, newest, bytes) = try row.decode((Int64, Int64, ByteBuffer).self)
            lastKey = max(lastKey, newest)
            try decode(bytes, sequence: sequence, into: &records)
        }
        let (inserts, updates) = NewRow.folding(records)
        if !inserts.isEmpty {
            try transaction.run(PostgresFoldStatements.insert(inserts, schema: schema))
        }
        if !updates.isEmpty {
            try transaction.run(PostgresFoldStatements.update(TaskChange.folding(updates), schema: schema))
        }
        try transaction.run("DELETE FROM \(unescaped: schema).log WHERE sequence <= \(last)")
        try transaction.run(
            """
            UPDATE \(unescaped: schema).meta SET value = greatest(value::bigint, \(lastKey))::text
            WHERE name = 'last_key'
            """)
        return (records.count, last)
    }

    private func decode(_ bytes: ByteBuffer, sequence: Int64, into records: inout [JournalRecord]) throws {
        if let failure = bytes.withUnsafeReadableBytes({ JournalRecordCodec.failure(decoding: $0, into: &records) }) {
            throw JournalError(
                .corrupt, path: location,
                "log row \(sequence) cannot be decoded at byte \(failure.offset) of its records: this broker cannot "
                    + "read what wrote it")
        }
    }

    public func deleteFinished(before cutoff: UInt64, limit: Int) throws(JournalError) -> Int {
        let epoch = try lease.epoch()
        do {
            return try reads.transaction { transaction in
                try fence(transaction, epoch)
                return try deleteFinished(transaction, before: cutoff, limit: limit)
            }
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "delete expired results")
        }
    }

    private func deleteFinished(
        _ transaction: PostgresSession.Transaction,
        before cutoff: UInt64,
        limit: Int
    ) throws -> Int {
        let result = try transaction.run(
            """
                DELETE FROM \(unescaped: schema).tasks WHERE key IN (
                    SELECT key FROM \(unescaped: schema).tasks
                    WHERE finished_ms IS NOT NULL AND finished_ms < \(Int64(bitPattern: cutoff)) LIMIT \(Int64(limit)))
            """)
        return result.metadata.rows ?? 0
    }

    /// Locks the lease row for the rest of `transaction` if this broker still holds it in `epoch`; throws
    /// ``JournalError/Kind/deposed`` if another broker took it over.
    private func fence(_ transaction: PostgresSession.Transaction, _ epoch: Int64) throws {
        let held = try transaction.run(
            "SELECT 1 FROM \(unescaped: schema).lease WHERE id = 1 AND epoch = \(epoch) FOR KEY SHARE")
        guard !held.isEmpty else { throw deposed(epoch) }
    }

    /// Notes that the lease of `epoch` was taken over, and the error that says so.
    private func deposed(_ epoch: Int64) -> JournalError {
        let reason = "another broker took the journal's lease over (this broker's epoch \(epoch) has ended)"
        lease.depose(reason)
        return JournalError(.deposed, path: location, reason)
    }
}
