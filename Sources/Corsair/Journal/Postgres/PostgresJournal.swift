import DequeModule
import Foundation
import NIOPosix
import PostgresNIO
import Synchronization

/// The broker's journal in a PostgreSQL database (through PostgresNIO), for a broker whose host may be lost: the
/// database, replicated and failed over by the team's own PostgreSQL set-up, outlives it.
///
/// The design is the SQLite journal's (``SQLiteJournal``) on a server. A commit is one INSERT of one row into the
/// schema's `log` table: the pass's records, encoded by ``JournalRecordCodec``, however many there are, so a commit
/// costs one round trip and one WAL flush of the server's. ``fold(limit:)`` moves the oldest rows into `tasks` later,
/// a row per task, in one transaction that also deletes them; every read folds the whole log first. Commits and folds
/// run on connections of their own, so a long fold never holds a commit back.
///
/// One broker at a time uses a journal: it holds a session-level advisory lock on the schema's name for as long as its
/// commit connection lives, and PostgreSQL releases it when that session ends, however the broker ended.
public final class PostgresJournal: Journal {
    /// The schema version this broker writes and reads, in `meta`.
    public static let schemaVersion = 1
    /// The most records one fold transaction takes from the log.
    static let foldLimit = 16_384

    public let location: String
    let address: PostgresAddress
    /// The schema's name, quoted for statements.
    let schema: String
    private let group: MultiThreadedEventLoopGroup
    /// Commits, and the lock: used by the writer's thread (and the loop's, for a small pass while the writer idles).
    let commits: PostgresSession
    /// Folds and reads.
    let reads: PostgresSession
    /// The sequence number and record count of each committed log row not yet folded, oldest first.
    let pending: Mutex<Deque<(sequence: Int64, count: Int)>>

    /// Connects to the database at `address`, takes the journal's lock and creates its schema if need be.
    ///
    /// - Throws: ``JournalError``: ``JournalError/Kind/cannotCreate`` when the server cannot be reached or refuses
    ///   the login, ``JournalError/Kind/inUse(pid:)`` when another broker holds the journal,
    ///   ``JournalError/Kind/corrupt`` when the schema holds something else or a newer version.
    public init(address: PostgresAddress, connectTimeout: Duration = .seconds(10)) throws(JournalError) {
        self.address = address
        location = address.description
        schema = "\"\(address.schema)\""
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            commits = try PostgresSession.connect(
                to: address, on: group, timeout: connectTimeout, name: "corsair-broker commits")
            reads = try PostgresSession.connect(
                to: address, on: group, timeout: connectTimeout, name: "corsair-broker reads")
            // A fold that a crash takes back leaves its log rows in place, to be folded again: it need not wait for
            // the server's disk.
            try reads.run("SET synchronous_commit = off")
            try Self.lock(commits, address: address)
            try Self.prepareSchema(commits, schema: schema, address: address)
            pending = Mutex(try Self.pendingRows(reads, schema: schema))
        } catch {
            try? group.syncShutdownGracefully()
            throw PostgresSession.journalError(error, address: address, doing: "open")
        }
    }

    public func freeSpace() -> (available: UInt64, total: UInt64)? { nil }

    public func close() {
        _ = try? foldAll()
        reads.close()
        // Ending the commit session releases the advisory lock.
        commits.close()
        try? group.syncShutdownGracefully()
    }

    /// Drops the journal at `address`, its schema with everything in it, as deleting its file does an SQLite journal's;
    /// nothing when it does not exist.
    public static func remove(address: PostgresAddress) throws(JournalError) {
        let session = try PostgresSession.connect(
            to: address, on: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(10), name: "corsair remove")
        defer { session.close() }
        do {
            try session.run(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(address.schema)\" CASCADE"))
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "remove")
        }
    }

    /// Takes the journal's advisory lock without waiting, and notes this broker in `meta` once the schema exists.
    private static func lock(_ session: PostgresSession, address: PostgresAddress) throws {
        let key = "corsair journal \(address.schema)"
        let taken = try session.run("SELECT pg_try_advisory_lock(hashtext(\(key)))")
        guard try taken.first?.decode(Bool.self) == true else {
            let holder = try? session.run(
                """
                SELECT coalesce(host(a.client_addr), 'local') || ', PostgreSQL backend ' || a.pid::text
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objid = hashtext(\(key))::oid LIMIT 1
                """
            ).first?.decode(String.self)
            throw JournalError(
                .inUse(pid: nil), path: address.description,
                "in use by another broker\(holder.map { " (\($0))" } ?? ""); stop that broker, or give this one "
                    + "another schema (?schema=NAME)")
        }
    }

    /// Creates the schema in an empty database schema; checks an existing one's mark and version.
    private static func prepareSchema(_ session: PostgresSession, schema: String, address: PostgresAddress) throws {
        let meta = try session.run("SELECT to_regclass(\(address.schema + ".meta"))::text").first?.decode(String?.self)
        guard meta != nil else {
            let tables = try session.run(
                "SELECT count(*) FROM pg_tables WHERE schemaname = \(address.schema)"
            ).first?.decode(Int64.self)
            guard tables == 0 else {
                throw JournalError(
                    .corrupt, path: address.description,
                    "schema \(address.schema) holds tables but is not a Corsair journal; give ?schema=NAME another name"
                )
            }
            try createSchema(session, schema: schema)
            return
        }
        let version = try session.run(
            "SELECT value FROM \(unescaped: schema).meta WHERE name = 'version'"
        ).first?.decode(String.self)
        guard let version = version.flatMap(Int.init) else {
            throw JournalError(
                .corrupt, path: address.description, "schema \(address.schema) has a meta table without a version")
        }
        guard version <= schemaVersion else {
            throw JournalError(
                .corrupt, path: address.description,
                "has schema version \(version), newer than this broker's \(schemaVersion); run a newer corsair-broker")
        }
    }

    private static func createSchema(_ session: PostgresSession, schema: String) throws {
        try session.transaction { transaction in
            let statements = [
                "CREATE SCHEMA IF NOT EXISTS \(schema)",
                "CREATE TABLE \(schema).meta(name text PRIMARY KEY, value text NOT NULL)",
                """
                CREATE TABLE \(schema).log(
                    sequence bigserial PRIMARY KEY, count integer NOT NULL, last_key bigint NOT NULL,
                    records bytea NOT NULL)
                """,
                """
                CREATE TABLE \(schema).tasks(
                    key bigint PRIMARY KEY, batch bytea NOT NULL, id text NOT NULL, category text NOT NULL,
                    payload bytea, priority integer NOT NULL, timeout_ms bigint, max_attempts bigint,
                    submitted_ms bigint NOT NULL, not_before_ms bigint, state integer NOT NULL DEFAULT 0,
                    attempts integer NOT NULL DEFAULT 0, worker text, started_ms bigint, last_error text,
                    history text, output bytea, finished_ms bigint)
                """,
                "CREATE INDEX tasks_by_batch ON \(schema).tasks(batch, key)",
                "CREATE INDEX tasks_by_finish ON \(schema).tasks(finished_ms) WHERE finished_ms IS NOT NULL",
                """
                INSERT INTO \(schema).meta(name, value)
                VALUES ('version', '\(schemaVersion)'), ('last_key', '0')
                """,
            ]
            for statement in statements {
                try transaction.run(PostgresQuery(unsafeSQL: statement))
            }
        }
    }

    /// The log rows not yet folded, oldest first.
    private static func pendingRows(
        _ session: PostgresSession,
        schema: String
    ) throws -> Deque<(sequence: Int64, count: Int)> {
        var rows = Deque<(sequence: Int64, count: Int)>()
        for row in try session.run("SELECT sequence, count FROM \(unescaped: schema).log ORDER BY sequence") {
            let (sequence, count) = try row.decode((Int64, Int32).self)
            rows.append((sequence, Int(count)))
        }
        return rows
    }
}
