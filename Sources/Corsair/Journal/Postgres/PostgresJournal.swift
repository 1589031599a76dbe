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
/// Several brokers may share a journal; one at a time is active and writes it, the one that holds its lease
/// (``PostgresLease``): the others wait in ``acquire(name:endpoints:)`` for it to expire.
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
    /// Commits: used by the writer's thread (and the loop's, for a small pass while the writer idles).
    let commits: PostgresSession
    /// Folds and reads.
    let reads: PostgresSession
    /// Which broker is active, with the epoch that fences this one's writes.
    let lease: PostgresLease
    /// The committed log rows not yet folded.
    let pending = Mutex(PendingRows())

    /// Connects to the database at `address` and creates the journal's schema if need be; the journal is written only
    /// once ``acquire(name:endpoints:)`` has taken its lease.
    ///
    /// - Parameters:
    ///   - lease: how long a taken or renewed lease lasts: a standby takes over this long after the active broker
    ///     last renewed it.
    ///   - timeout: how long a connection attempt or a statement may take before it is given up.
    /// - Throws: ``JournalError``: ``JournalError/Kind/cannotCreate`` when the server cannot be reached or refuses
    ///   the login, ``JournalError/Kind/corrupt`` when the schema holds something else or a newer version.
    public init(
        address: PostgresAddress,
        lease: Duration = .seconds(2),
        timeout: Duration = .seconds(10)
    ) throws(JournalError) {
        self.address = address
        location = address.description
        schema = "\"\(address.schema)\""
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            commits = try PostgresSession(
                to: address, on: group, timeout: timeout, name: "corsair \(address.schema) commits")
            // A fold that a crash takes back leaves its log rows in place, to be folded again: it need not wait for
            // the server's disk.
            // A fold's transaction holds the lease row `FOR KEY SHARE`, which a takeover waits for: a broker that dies
            // in the middle of one must not hold it until TCP notices, so the server ends a transaction left idle.
            let idle = max(lease / 2, .seconds(1))
            reads = try PostgresSession(
                to: address, on: group, timeout: timeout, name: "corsair \(address.schema) reads",
                settings: [
                    ("synchronous_commit", "off"),
                    ("idle_in_transaction_session_timeout", "\(Int64(idle / .milliseconds(1)))"),
                ])
            // A takeover that waits long for writes in flight gives up and tries again at the next poll.
            let leaseSession = try PostgresSession(
                to: address, on: group, timeout: min(timeout, lease / 2), name: "corsair \(address.schema) lease",
                settings: [("lock_timeout", "\(Int64(lease / 2 / .milliseconds(1)))")])
            self.lease = PostgresLease(session: leaseSession, schema: schema, location: location, duration: lease)
            try Self.prepareSchema(commits, schema: schema, address: address)
        } catch {
            try? group.syncShutdownGracefully()
            throw PostgresSession.journalError(error, address: address, doing: "open")
        }
    }

    /// Takes the journal's lease if no other broker holds it, naming this one `name` (its host and pid) at
    /// `endpoints`, and reads which commits wait to be folded; returns `nil` once this broker is active, and who holds
    /// the lease while another does.
    public func acquire(name: String, endpoints: String) throws(JournalError) -> LeaseHolder? {
        do {
            do {
                try lease.acquire(name: name, endpoints: endpoints)
            } catch let held as PostgresLease.Held {
                return held.holder
            }
            do {
                let rows = try Self.pendingRows(reads, schema: schema)
                pending.withLock { $0 = rows }
            } catch {
                // Nothing would renew a lease this broker cannot use: let it go at once.
                lease.release()
                throw error
            }
            lease.startRenewing()
            return nil
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "take the lease")
        }
    }

    /// Throws ``JournalError/Kind/deposed`` once this broker no longer holds the journal's lease: it must stop
    /// dispatching and step down.
    public func checkStanding() throws(JournalError) {
        _ = try lease.epoch()
    }

    public var standingInterval: Duration? { lease.duration / 8 }

    public func freeSpace() -> (available: UInt64, total: UInt64)? { nil }

    public func close() {
        if (try? lease.epoch()) != nil {
            try? foldAll()
        }
        lease.release()
        reads.close()
        commits.close()
        lease.close()
        try? group.syncShutdownGracefully()
    }

    /// Drops the journal at `address`, its schema with everything in it, as deleting its file does an SQLite journal's;
    /// nothing when it does not exist.
    public static func remove(address: PostgresAddress) throws(JournalError) {
        let session = try PostgresSession(
            to: address, on: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(10), name: "corsair remove")
        defer { session.close() }
        do {
            try session.run(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(address.schema)\" CASCADE"))
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "remove")
        }
    }

    /// Creates the journal's tables in an empty database schema, or checks an existing journal's version, in one
    /// transaction under an advisory lock on the schema's name, so that brokers started together create it once.
    private static func prepareSchema(_ session: PostgresSession, schema: String, address: PostgresAddress) throws {
        try session.transaction { transaction in
            try transaction.run("SELECT pg_advisory_xact_lock(hashtext(\("corsair schema \(address.schema)")))")
            try prepareSchema(transaction, schema: schema, address: address)
        }
    }

    private static func prepareSchema(
        _ session: PostgresSession.Transaction,
        schema: String,
        address: PostgresAddress
    ) throws {
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

    private static func createSchema(_ transaction: PostgresSession.Transaction, schema: String) throws {
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
            """
            CREATE TABLE \(schema).lease(
                id integer PRIMARY KEY CHECK (id = 1), epoch bigint NOT NULL, holder text NOT NULL,
                endpoints text NOT NULL, expires timestamptz NOT NULL)
            """,
            "CREATE INDEX tasks_by_batch ON \(schema).tasks(batch, key)",
            "CREATE INDEX tasks_by_finish ON \(schema).tasks(finished_ms) WHERE finished_ms IS NOT NULL",
            """
            INSERT INTO \(schema).meta(name, value)
            VALUES ('version', '\(schemaVersion)'), ('last_key', '0')
            """,
            "INSERT INTO \(schema).lease VALUES (1, 0, '', '', '-infinity')",
        ]
        for statement in statements {
            try transaction.run(PostgresQuery(unsafeSQL: statement))
        }
    }

    /// The log rows not yet folded, oldest first.
    private static func pendingRows(_ session: PostgresSession, schema: String) throws -> PendingRows {
        var rows = PendingRows()
        for row in try session.run("SELECT sequence, count FROM \(unescaped: schema).log ORDER BY sequence") {
            let (sequence, count) = try row.decode((Int64, Int32).self)
            rows.append(sequence: sequence, count: Int(count))
        }
        return rows
    }
}
