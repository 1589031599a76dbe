import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// One PostgreSQL connection used by blocking calls: the journal's callers are the broker loop's and the journal
/// writer's own threads, never an event loop, so each query waits for its result on the calling thread.
///
/// A mutex makes the connection one caller's at a time, so that a transaction's statements are never interleaved with
/// another caller's. The connection's I/O runs on the journal's one-thread event loop group.
final class PostgresSession: Sendable {
    private let connection: PostgresConnection
    private let lock = Mutex(())
    private let logger: Logger
    /// The journal's address, for errors.
    let address: PostgresAddress

    private init(connection: PostgresConnection, address: PostgresAddress, logger: Logger) {
        self.connection = connection
        self.address = address
        self.logger = logger
    }

    /// Connects to `address` on `group`, giving up after `timeout`.
    ///
    /// - Throws: ``JournalError`` with ``JournalError/Kind/cannotCreate`` when the server cannot be reached or refuses
    ///   the login, saying why.
    static func connect(
        to address: PostgresAddress,
        on group: any EventLoopGroup,
        timeout: Duration,
        name: String
    ) throws(JournalError) -> PostgresSession {
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: .disable)
        configuration.options.connectTimeout = .milliseconds(Int64(timeout / .milliseconds(1)))
        configuration.options.additionalStartupParameters = [("application_name", name)]
        var logger = Logger(label: "corsair.journal.postgres")
        logger.logLevel = .critical
        do {
            let connection = try PostgresConnection.connect(
                on: group.next(), configuration: configuration, id: 1, logger: logger
            ).wait()
            return PostgresSession(connection: connection, address: address, logger: logger)
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "connect")
        }
    }

    /// Runs `query` and waits for all its rows.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try lock.withLock { _ in try connection.query(query, logger: logger).wait() }
    }

    /// Runs `body` with the connection held, inside one transaction that commits when `body` returns and rolls back
    /// when it throws.
    func transaction<Result: Sendable>(_ body: (Transaction) throws -> Result) throws -> Result {
        try lock.withLock { _ in
            let transaction = Transaction(connection: connection, logger: logger)
            _ = try transaction.run("BEGIN")
            do {
                let result = try body(transaction)
                _ = try transaction.run("COMMIT")
                return result
            } catch {
                _ = try? transaction.run("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes the connection; nothing may be run afterwards.
    func close() {
        lock.withLock { _ in
            try? connection.close().wait()
        }
    }

    /// The statements of one transaction, on the connection ``transaction(_:)`` holds.
    struct Transaction {
        fileprivate let connection: PostgresConnection
        fileprivate let logger: Logger

        /// Runs `query` and waits for all its rows.
        @discardableResult
        func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
            try connection.query(query, logger: logger).wait()
        }
    }

    /// `error`, met while `doing` something with the journal at `address`, as a ``JournalError`` that says what to do.
    static func journalError(_ error: any Error, address: PostgresAddress, doing: String) -> JournalError {
        if let error = error as? JournalError { return error }
        let location = address.description
        guard let error = error as? PSQLError else {
            return JournalError(.cannotCreate, path: location, "cannot \(doing): \(error)")
        }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let detail = "PostgreSQL \(state): \(info[.message] ?? "no message")"
            switch state {
            case "53100":
                return JournalError(.full, path: location, "the database server's disk is full (\(detail))")
            case let state where state.hasPrefix("28") || state.hasPrefix("3D") || state == "42501":
                return JournalError(
                    .cannotCreate, path: location,
                    "\(detail); check the user, its password (in the address or PGPASSWORD), the database's name "
                        + "and the user's rights on it")
            default:
                return JournalError(.io, path: location, "\(doing) failed (\(detail))")
            }
        }
        let underlying = error.underlying.map { ": \($0)" } ?? ""
        switch error.code {
        case .connectionError, .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return JournalError(
                .cannotCreate, path: location,
                "cannot \(doing) to the database server (\(error.code)\(underlying)); is PostgreSQL running there, "
                    + "and does it accept this user from this host?")
        default:
            return JournalError(
                .io, path: location,
                "\(doing) failed: the connection to the database broke (\(error.code)\(underlying))")
        }
    }
}
