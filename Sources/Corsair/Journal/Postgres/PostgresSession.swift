import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// One PostgreSQL connection used by blocking calls: the journal's callers are the broker loop's, the journal
/// writer's and the lease's own threads, never an event loop, so each query waits for its result on the calling
/// thread.
///
/// A mutex makes the connection one caller's at a time, so that a transaction's statements are never interleaved with
/// another caller's. A query that gets no answer within the session's timeout (a cut link: TCP would retry for many
/// minutes) closes the connection and fails; a closed connection is opened again by the next query.
final class PostgresSession: Sendable {
    private let connection: Mutex<PostgresConnection?>
    private let logger: Logger
    private let group: any EventLoopGroup
    private let name: String
    private let timeout: Duration
    private let settings: [(String, String)]
    /// The journal's address, for errors.
    let address: PostgresAddress

    /// Connects to `address` on `group`, with `settings` for the session; each connection attempt and each query then
    /// gives up after `timeout`.
    ///
    /// - Throws: ``JournalError`` with ``JournalError/Kind/cannotCreate`` when the server cannot be reached or refuses
    ///   the login, saying why.
    init(
        to address: PostgresAddress,
        on group: any EventLoopGroup,
        timeout: Duration,
        name: String,
        settings: [(String, String)] = []
    ) throws(JournalError) {
        self.address = address
        self.settings = settings
        self.group = group
        self.timeout = timeout
        self.name = name
        var logger = Logger(label: "corsair.journal.postgres")
        logger.logLevel = .critical
        self.logger = logger
        connection = Mutex(nil)
        let opened = try open()
        connection.withLock { $0 = opened }
    }

    private func open() throws(JournalError) -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: .disable)
        configuration.options.connectTimeout = .milliseconds(Int64(timeout / .milliseconds(1)))
        configuration.options.additionalStartupParameters = [("application_name", name)] + settings
        do {
            return try PostgresConnection.connect(
                on: group.next(), configuration: configuration, id: 1, logger: logger
            ).wait()
        } catch {
            throw PostgresSession.journalError(error, address: address, doing: "connect")
        }
    }

    /// Runs `query` and waits for all its rows.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try withConnection { try $0.run(query) }
    }

    /// Runs `body` with the connection held, inside one transaction that commits when `body` returns and rolls back
    /// when it throws.
    func transaction<Result: Sendable>(_ body: (Transaction) throws -> Result) throws -> Result {
        try withConnection { transaction in
            try transaction.run("BEGIN")
            do {
                let result = try body(transaction)
                try transaction.run("COMMIT")
                return result
            } catch {
                _ = try? transaction.run("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` on the open connection, opening one first if the last was closed.
    private func withConnection<Result: Sendable>(_ body: (Transaction) throws -> Result) throws -> Result {
        try connection.withLock { connection in
            let live = try connection.flatMap { $0.isClosed ? nil : $0 } ?? open()
            connection = live
            return try body(Transaction(connection: live, logger: logger, timeout: timeout))
        }
    }

    /// Closes the connection; nothing may be run afterwards.
    func close() {
        connection.withLock { connection in
            try? connection?.close().wait()
            connection = nil
        }
    }

    /// The statements of one transaction, on the connection ``transaction(_:)`` holds.
    struct Transaction {
        fileprivate let connection: PostgresConnection
        fileprivate let logger: Logger
        fileprivate let timeout: Duration

        /// Runs `query` and waits for all its rows, closing the connection if none come within the timeout.
        @discardableResult
        func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
            let connection = self.connection
            let deadline = connection.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout / .milliseconds(1)))) {
                let _: EventLoopFuture<Void> = connection.close()
            }
            defer { deadline.cancel() }
            return try connection.query(query, logger: logger).wait()
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
            return serverError(info, location: location, doing: doing)
        }
        let underlying = error.underlying.map { ": \($0)" } ?? ""
        switch error.code {
        case .connectionError, .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return JournalError(
                .cannotCreate, path: location,
                "cannot \(doing) to the database server (\(error.code)\(underlying)); is PostgreSQL running there, "
                    + "and does it accept this user from this host?")
        case .clientClosedConnection:
            return JournalError(.io, path: location, "\(doing) failed: no answer from the database server in time")
        default:
            return JournalError(
                .io, path: location,
                "\(doing) failed: the connection to the database broke (\(error.code)\(underlying))")
        }
    }

    private static func serverError(_ info: PSQLError.ServerInfo, location: String, doing: String) -> JournalError {
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
}
