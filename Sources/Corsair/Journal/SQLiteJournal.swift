import Foundation
import GRDB
import Synchronization
import SystemPackage

/// The broker's journal in one SQLite file (through GRDB.swift and the system's SQLite), in WAL mode.
///
/// A commit appends one frame to the journal's ``CommitLog``, segment files beside the SQLite file: its records,
/// encoded by ``JournalRecordCodec``, in one `write` however many records a pass of the broker loop produced.
/// `tasks` holds a row per batch task: what was accepted, where it stands and, once finished, its result;
/// ``fold(limit:)`` moves the oldest frames into it later, where a task accepted, run and finished within the log's
/// backlog becomes one INSERT, and notes in the same transaction how far it has read the log. Every read (a
/// snapshot, results, task queries) folds the whole log first, so it sees every commit. `meta` holds the newest key
/// folded, the log position and the pid of the broker that holds the file. The schema's version is SQLite's
/// `user_version` and the file is marked with `application_id` `CRSR`, so a broker refuses files it does not know.
/// `auto_vacuum=INCREMENTAL` lets ``deleteFinished(before:limit:)`` give space back, so under steady load the file
/// stops growing once results start to expire.
public final class SQLiteJournal: Journal {
    /// The schema this broker writes and reads.
    public static let schemaVersion = 3
    /// `CRSR` in ASCII: SQLite's `application_id` of a Corsair journal.
    static let applicationID = 0x4352_5352

    public let location: String
    let database: DatabaseQueue
    private let lock: JournalLock
    /// The commits not yet folded into `tasks`.
    let log: CommitLog
    /// What opening the log repaired (a torn last commit cut off), for the broker to log; `nil` when nothing.
    public let repair: String?
    /// SQLite's check of an existing file while ``restore(retainFinished:into:)`` reads it
    /// (``IntegrityCheck/besideRestore``); `nil` when the file was new or checked at open.
    let check: JournalCheck?
    /// Copies the WAL back into the file beside the commits; started by the first commit, once the file is known
    /// good.
    let checkpointer = Mutex<WALCheckpointer?>(nil)

    /// When an existing journal gets SQLite's `PRAGMA quick_check`.
    public enum IntegrityCheck: Sendable {
        /// Before the initializer returns: a damaged file is refused by it.
        case atOpen
        /// On a thread of its own (``JournalCheck``), started by the initializer, beside the first
        /// ``restore(retainFinished:into:)``, which returns only once the check has finished and throws if it failed.
        /// Call the restore first (the broker does): until the check has passed it commits nothing of its own to the
        /// file, not even this broker's pid, and ``close()`` of a file that failed folds nothing into it, so a
        /// damaged file holds what it held (as when checked at open, opening it in WAL mode is all that is written).
        /// A file at an older schema version is checked at open, before the migration writes.
        case besideRestore
    }

    /// Opens (creating if need be) the journal at `path`, takes its lock and checks it, at open or, with
    /// ``IntegrityCheck/besideRestore``, while the restore reads it.
    ///
    /// - Throws: ``JournalError``: ``JournalError/Kind/cannotCreate`` for a missing directory or no permission,
    ///   ``JournalError/Kind/inUse(pid:)`` when another broker holds it, ``JournalError/Kind/corrupt`` when it is
    ///   not a Corsair journal or fails SQLite's check.
    public init(path: String, sync: JournalSync, check timing: IntegrityCheck = .atOpen) throws(JournalError) {
        location = path
        switch try JournalLock.acquire(path: path) {
        case .heldElsewhere:
            let pid = Self.holderPID(path: path)
            throw JournalError(
                .inUse(pid: pid), path: path,
                "in use by another broker\(pid.map { " (pid \($0))" } ?? ""); stop that broker, or give this one "
                    + "another --journal path")
        case .locked(let lock):
            self.lock = lock
        }
        do {
            var configuration = Configuration()
            configuration.journalMode = .wal
            configuration.busyMode = .timeout(2)
            configuration.label = "corsair.journal"
            database = try DatabaseQueue(path: path, configuration: configuration)
            let (checkLater, folded) = try database.writeWithoutTransaction { db in
                // After GRDB's own WAL set-up, which sets NORMAL.
                try db.execute(sql: "PRAGMA synchronous = \(sync == .full ? "FULL" : "NORMAL")")
                try db.execute(sql: "PRAGMA journal_size_limit = \(64 << 20)")
                // The checkpoint thread (WALCheckpointer) copies the WAL back as it grows; this connection's own
                // checkpoint, at 10 000 pages (40 MB of WAL) rather than 1 000, is the backstop. A 16 MB page cache
                // keeps the pages that inserts and finishes touch in memory.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
                try db.execute(sql: "PRAGMA cache_size = -16384")
                let checkLater = try Self.prepareSchema(db, path: path, check: timing)
                if !checkLater {
                    try Self.notePID(db)
                }
                Self.prepareLog(path: path)
                return (checkLater, try Self.foldedPosition(db))
            }
            (log, repair) = try CommitLog.open(journal: path, folded: folded, sync: sync)
            check = checkLater ? JournalCheck(path: path) : nil
            if !checkLater, log.foldedPosition != folded {
                // Beside a check, the restore's transaction stores it instead, once the check has passed.
                try database.writeWithoutTransaction { try storeFoldedPosition($0) }
            }
        } catch {
            lock.release()
            throw Self.journalError(error, path: path, doing: "open")
        }
    }

    /// How far `tasks` holds the log: the position `meta` notes.
    static func foldedPosition(_ db: Database) throws -> CommitLog.Position {
        let segment = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'log_segment'") ?? 1
        let offset = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'log_offset'") ?? 0
        return CommitLog.Position(segment: UInt64(max(1, segment)), offset: Int(max(0, offset)))
    }

    public func freeSpace() -> (available: UInt64, total: UInt64)? {
        Self.freeSpace(besideFile: location)
    }

    /// The space free on the file system of the directory that holds `path`, and its size, in bytes.
    static func freeSpace(besideFile path: String) -> (available: UInt64, total: UInt64)? {
        var info = statvfs()
        let directory = FilePath(path).directory
        guard statvfs(directory, &info) == 0 else { return nil }
        let block = UInt64(info.f_frsize)
        return (UInt64(info.f_bavail) * block, UInt64(info.f_blocks) * block)
    }

    /// The files the journal at `path` consists of now: the SQLite file, its WAL and shared-memory index, and the
    /// segments of its log, and the spares kept to become its next segments. Copy or remove them together.
    public static func files(path: String) -> [String] {
        let segments = (try? CommitLog.segments(journal: path)) ?? []
        return [path, path + "-wal", path + "-shm"] + segments.map { CommitLog.segmentPath(journal: path, $0) }
            + CommitLog.spares(journal: path)
    }

    /// Writes this broker's pid, for a second broker's refusal to name.
    static func notePID(_ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta(name, value) VALUES ('pid', ?)", arguments: [Int(getpid())])
    }

    public func close() {
        defer { log.close() }
        checkpointer.withLock { $0?.stop() }
        // A file that failed its check gets nothing more of ours: no fold, no pid deleted, no forced checkpoint.
        guard check?.failed != true else {
            try? database.close()
            lock.release()
            return
        }
        try? database.writeWithoutTransaction { db in
            // A restart then finds every task in `tasks`, with no log to fold before it can read them.
            try? foldAll(db)
            try? retireLog(db)
            try db.execute(sql: "DELETE FROM meta WHERE name = 'pid'")
            _ = try? db.checkpoint(.truncate)
        }
        try? database.close()
        lock.release()
    }

    /// Creates the schema in a new file; checks an existing one's mark, version and integrity. Returns whether the
    /// integrity check is still to be run, beside the restore.
    private static func prepareSchema(_ db: Database, path: String, check timing: IntegrityCheck) throws -> Bool {
        let application = try Int.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
        if application == 0 && version == 0 && tables == 0 {
            try refuseStaleLog(path: path)
            try createSchema(db)
            return false
        }
        guard application == applicationID else {
            throw JournalError(
                .corrupt, path: path,
                "is an SQLite file but not a Corsair journal; give --journal another path")
        }
        guard version <= schemaVersion else {
            throw JournalError(
                .corrupt, path: path,
                "has schema version \(version), newer than this broker's \(schemaVersion); run a newer corsair-broker")
        }
        if timing == .besideRestore && version == schemaVersion {
            return true
        }
        let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
        guard check == ["ok"] else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: check.prefix(3).joined(separator: "; "))
        }
        if version < schemaVersion {
            try migrate(db, from: version, path: path)
        }
        return false
    }

    /// Refuses to start a new journal at `path` beside log segments: they belong to an earlier journal at the same
    /// path, whose SQLite file was removed, and may hold tasks it had not folded.
    private static func refuseStaleLog(path: String) throws(JournalError) {
        guard let first = try CommitLog.segments(journal: path).first else { return }
        throw JournalError(
            .corrupt, path: path,
            "is a new journal, but log segments of an earlier one are beside it (\(CommitLog.segmentPath(journal: path, first)) "
                + "and on): restore the journal file they belong to, or move them aside to start empty")
    }

    private static func createSchema(_ db: Database) throws {
        // Switching WAL on wrote the header already, so auto_vacuum takes effect only through a VACUUM.
        try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
        try db.execute(sql: "VACUUM")
        try db.execute(
            sql: """
                CREATE TABLE meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;
                CREATE TABLE tasks(
                    key INTEGER PRIMARY KEY,
                    batch BLOB NOT NULL,
                    id TEXT NOT NULL,
                    category TEXT NOT NULL,
                    payload BLOB,
                    priority INTEGER NOT NULL,
                    timeout_ms INTEGER,
                    max_attempts INTEGER,
                    submitted_ms INTEGER NOT NULL,
                    not_before_ms INTEGER,
                    state INTEGER NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    worker TEXT,
                    started_ms INTEGER,
                    last_error TEXT,
                    history TEXT,
                    output BLOB,
                    finished_ms INTEGER
                );
                CREATE INDEX tasks_by_batch ON tasks(batch, key);
                CREATE INDEX tasks_by_finish ON tasks(finished_ms) WHERE finished_ms IS NOT NULL;
                INSERT INTO meta(name, value) VALUES ('last_key', 0), ('log_segment', 1), ('log_offset', 0);
                PRAGMA application_id = \(applicationID);
                PRAGMA user_version = \(schemaVersion);
                """)
    }

    /// The pid the broker holding the journal at `path` wrote, read without taking any lock of ours.
    private static func holderPID(path: String) -> Int? {
        var configuration = Configuration()
        configuration.readonly = true
        guard let reader = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        defer { try? reader.close() }
        return try? reader.read { try Int.fetchOne($0, sql: "SELECT value FROM meta WHERE name = 'pid'") }
    }

    /// `error`, thrown while `doing` something with the journal at `path`, as a ``JournalError`` that says what to
    /// do.
    static func journalError(_ error: any Error, path: String, doing: String) -> JournalError {
        if let error = error as? JournalError { return error }
        guard let error = error as? DatabaseError else {
            return JournalError(.io, path: path, "\(doing) failed: \(error)")
        }
        let detail = "SQLite: \(error.message ?? "\(error.resultCode)")"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return JournalError(
                .corrupt, path: path,
                "is damaged or truncated (\(detail)). Keep a copy; then move it aside to start with an empty "
                    + "journal, or salvage what it holds with `sqlite3 \(path) .recover | sqlite3 NEW` and start "
                    + "the broker with --journal NEW")
        case .SQLITE_FULL:
            return JournalError(.full, path: path, "the disk is full (\(detail))")
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return JournalError(
                .cannotCreate, path: path,
                "cannot open it for writing (\(detail)); its directory must be writable too, for the -wal and -shm "
                    + "files")
        default:
            return JournalError(.io, path: path, "\(doing) failed (\(detail))")
        }
    }
}
