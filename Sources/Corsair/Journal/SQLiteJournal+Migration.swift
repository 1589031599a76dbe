import Foundation
import GRDB
import Glibc

extension SQLiteJournal {
    /// Brings a journal at an older schema `version` to this one, in place, once SQLite's check has passed.
    ///
    /// - Version 1 wrote records straight into `tasks`: it only lacks the log's position.
    /// - Version 2 kept its log in a table, `log`: its rows become the frames of the first segment of the
    ///   ``CommitLog``, written and synced before the transaction that drops the table, so that a crash between the two
    ///   finds version 2 again and writes the segment anew.
    static func migrate(_ db: Database, from version: Int, path: String) throws {
        if version == 2 {
            try moveLogTable(db, path: path)
        }
        try db.inTransaction {
            try db.execute(
                sql: """
                    DROP TABLE IF EXISTS log;
                    INSERT OR REPLACE INTO meta(name, value) VALUES ('log_segment', 1), ('log_offset', 0);
                    PRAGMA user_version = \(schemaVersion);
                    """)
            return .commit
        }
    }

    /// Writes the rows of version 2's `log` table, oldest first, as the frames of segment 1.
    private static func moveLogTable(_ db: Database, path: String) throws {
        // Segments of an earlier attempt that stopped before the table was dropped: start over.
        for number in try CommitLog.segments(journal: path) {
            unlink(CommitLog.segmentPath(journal: path, number))
        }
        let segment = CommitLog.segmentPath(journal: path, 1)
        let descriptor = Glibc.open(segment, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CommitLog.writeError(errno, path: segment, doing: "create") }
        defer { Glibc.close(descriptor) }
        let lastKey = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'last_key'") ?? 0
        let rows = try Row.fetchCursor(db, sql: "SELECT count, records FROM log ORDER BY seq")
        var offset = 0
        let salt = UInt64.random(in: .min ... .max)
        while let row = try rows.next() {
            let records: Data = row["records"]
            let count: Int = row["count"]
            let payload = [UInt8](records)
            let header = CommitLog.header(
                payload, count: count, lastKey: UInt64(bitPattern: lastKey), segment: 1, salt: salt)
            let failure = CommitLog.writeFrame(header, payload, to: descriptor, at: offset)
            guard failure == 0 else { throw CommitLog.writeError(failure, path: segment, doing: "write") }
            offset += header.count + payload.count
        }
        guard fsync(descriptor) == 0 else { throw CommitLog.writeError(errno, path: segment, doing: "sync") }
        CommitLog.syncDirectory(of: segment)
    }
}
