import ArgumentParser
import Corsair
import CorsairCLI
import CorsairHTTP
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals
import ZeroMQ

@main
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corsair-broker",
        abstract: "Run the Corsair broker: a ZeroMQ ROUTER that routes tasks to workers by category.",
        discussion: """
            Workers (corsair-worker or any MDP/0.2 worker) and clients (corsair submit or any MDP/0.2 client) \
            connect to the bound endpoints. SIGINT or SIGTERM stops the broker cleanly.

            \(ExitStatus.helpText)
            """)

    /// Ignores SIGPIPE (``BrokenPipe``) before anything else runs, then parses the arguments and runs the command.
    static func main() async {
        BrokenPipe.ignore()
        await main(
            OptionalValue.expand(
                Array(CommandLine.arguments.dropFirst()), option: "--announce", defaultValue: Beacon.defaultName))
    }

    @Option(
        name: .customLong("bind"),
        help: ArgumentHelp(
            "Endpoint to bind; repeatable. Default tcp://*:5555.",
            discussion: "tcp://127.0.0.1:* binds a free port; see --endpoint-file.",
            valueName: "endpoint"))
    var endpoints: [String] = []

    @Option(help: "Write the bound endpoints, one a line, to this file once the broker is ready.")
    var endpointFile: String?

    @Option(help: "How often the broker heartbeats workers.")
    var heartbeat: Duration = .seconds(1)

    @Option(help: "Heartbeat intervals of silence after which a worker is dropped and its tasks requeued.")
    var liveness: Int = 3

    @Option(help: "Time a worker has for one attempt of a task, unless the task sets its own.")
    var taskTimeout: Duration = .seconds(10)

    @Option(help: "Attempts a task gets before it fails for good, unless the task sets its own.")
    var maxAttempts: Int = 3

    @Option(help: "How long a task waits while its category has no worker at all before it fails with no_worker.")
    var queueTimeout: Duration = .seconds(60)

    @Option(
        name: .customLong("ordered"),
        help: ArgumentHelp(
            "Run this category strictly in order, one task at a time, retries included; repeatable.",
            discussion: """
                In other categories batches take turns within each priority; an ordered category keeps submission \
                order across batches.
                """,
            valueName: "category"))
    var orderedCategories: [String] = []

    @Option(
        help: ArgumentHelp(
            "Reject new tasks of a batch holding this many unfinished ones, with client_queue_full (default: none).",
            discussion: """
                Counts queued, scheduled and running tasks of one batch session. Tasks that fit are accepted and the \
                rest of the submission is rejected task by task, never dropped; corsair submit then exits 75.
                """,
            valueName: "count"))
    var maxQueuedPerClient: Int?

    @Option(
        help: ArgumentHelp(
            "Finished tasks kept for status queries and de-duplication; older ones are forgotten.",
            valueName: "count"))
    var retainFinished: Int = 100_000

    @Option(
        help: ArgumentHelp(
            "Most output bytes the finished tasks kept in memory hold, e.g. 256M; past it the oldest are forgotten.",
            discussion: """
                Bytes, or a size with K, M or G (powers of 1024). Applies together with --retain-finished: whichever \
                is reached first forgets the oldest finished tasks. A durable broker still has their results in its \
                journal (corsair wait, corsair tasks, a resubmission); an in-memory one runs a resubmitted forgotten \
                id again.
                """,
            valueName: "bytes"),
        transform: { try ByteCount(parsing: $0) })
    var retainFinishedBytes = ByteCount(bytes: 256 << 20)

    @Option(
        help: ArgumentHelp(
            "Most result bytes sent to a client between two messages from it, e.g. 64M; past it results are withheld.",
            discussion: """
                A client that stops reading its socket then costs the broker at most this much in its send queue. \
                Withheld results stay finished in the task table and the journal, and go out once the client sends \
                again (corsair clients ping every second while they wait, and after every 8 MiB of results).
                """,
            valueName: "bytes"),
        transform: { try ByteCount(parsing: $0) })
    var clientUnreadBytes = ByteCount(bytes: 64 << 20)

    @Option(
        help: ArgumentHelp(
            "Largest message handled, all frames together, e.g. 16M; a larger one is counted, logged and answered as bad input.",
            discussion: """
                Bytes, or a size with K, M or G (KiB, MiB, GiB: powers of 1024). At most 4294967295 bytes (4 GiB \
                less one byte), what the wire's 32-bit length of a payload or result carries. A single frame over \
                twice this size is refused by libzmq, which closes the sender's connection.
                """,
            valueName: "bytes"),
        transform: { try ByteCount(parsing: $0) })
    var maxMessageSize = ByteCount(bytes: 16 << 20)

    @Option(
        help: ArgumentHelp(
            "Serve the HTTP API, /metrics and the dashboard at HOST:PORT (off by default).",
            discussion: "For example 127.0.0.1:8080 for this machine only, 0.0.0.0:8080 for every interface.",
            valueName: "host:port"))
    var http: String?

    @Option(
        help: ArgumentHelp(
            "Where accepted tasks and results are kept across restarts: a file, a PostgreSQL database, or 'none'.",
            discussion: """
                Default corsair.journal in the working directory: an SQLite file, with -wal and -shm files beside \
                it, and the log of commits not yet folded into it, PATH-log-00000001 and on (with full, up to two \
                PATH-log-spare-* files too, kept for reuse; they hold nothing). ACCEPTED is sent only once a task is \
                journaled; a restarted broker takes its tasks back. One broker at a time may use a journal. Back it \
                up while running in two steps, the log first: copy each PATH-log-0* file to COPY-log-0*, then \
                `sqlite3 PATH ".backup COPY"` (the README, "The journal"). \
                postgresql://USER@HOST[:PORT]/DATABASE[?schema=NAME] keeps them in PostgreSQL instead, in the \
                schema NAME (default corsair), created on first use; the password comes from PGPASSWORD, or \
                USER:PASSWORD@ in the address. 'none' keeps them in memory only.
                """,
            valueName: "path|url|none"))
    var journal = "corsair.journal"

    @Option(
        help: ArgumentHelp(
            "How a journal commit waits for the disk: full (survives power loss) or normal (survives a broker crash).",
            discussion: "A PostgreSQL journal waits as the server's synchronous_commit says; this option is not used.",
            valueName: "full|normal"))
    var journalSync: JournalSync = .full

    @Option(
        help: ArgumentHelp(
            "With a PostgreSQL journal: how long the active broker's lease lasts unless renewed.",
            discussion: """
                Several brokers may share one PostgreSQL journal: one is active, the others stand by (bound, \
                answering MMI with 503 and sending workers and clients to the active one) and take over once its \
                lease lapses, a lease after it last renewed it (every quarter lease). An active broker that cannot \
                renew in time stops dispatching, and stands by.
                """))
    var lease: Duration = .seconds(2)

    @Option(help: "How long finished tasks' results stay in the journal, for corsair wait and the HTTP API.")
    var resultTTL: Duration = .seconds(86_400)

    @Option(
        help: ArgumentHelp(
            "The broker's CURVE secret key file (a .key from `corsair keygen`, mode 0600): every endpoint then "
                + "encrypts and authenticates with CURVE, and plaintext peers are refused.",
            valueName: "file"))
    var curveSecretKey: String?

    @Option(
        help: ArgumentHelp(
            "With --curve-secret-key: a directory of .pub files of the keys allowed to register as workers. "
                + "SIGHUP reloads it.",
            discussion: "A key in neither --allow-workers nor --allow-clients is refused at the handshake.",
            valueName: "dir"))
    var allowWorkers: String?

    @Option(
        help: ArgumentHelp(
            "With --curve-secret-key: a directory of .pub files of the keys allowed to submit and query. "
                + "SIGHUP reloads it.",
            valueName: "dir"))
    var allowClients: String?

    @Option(
        help: ArgumentHelp(
            "With --http: require `Authorization: Bearer TOKEN` on every route but /healthz, TOKEN being this "
                + "file's first line.",
            valueName: "file"))
    var httpTokenFile: String?

    @Option(
        help: ArgumentHelp(
            "Announce this broker on the LAN under NAME (default corsair): a UDP beacon every second (off by default).",
            discussion: "Workers and clients started with --discover NAME connect to the first broker of that name.",
            valueName: "name"))
    var announce: String?

    @Option(help: ArgumentHelp("With --announce: where beacons go, an IPv4 broadcast address.", valueName: "ip:port"))
    var announceTo = "255.255.255.255:\(Beacon.defaultPort)"

    @OptionGroup(title: "Logging")
    var logging: LoggingOptions

    func validate() throws {
        guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1, got \(liveness)") }
        guard (1...100).contains(maxAttempts) else {
            throw ValidationError("--max-attempts must be in 1…100, got \(maxAttempts)")
        }
        guard heartbeat >= .milliseconds(10) else { throw ValidationError("--heartbeat must be at least 10ms") }
        guard taskTimeout >= .milliseconds(1) else { throw ValidationError("--task-timeout must be positive") }
        guard (1024...WireLengthError.maximumU32Length).contains(maxMessageSize.bytes) else {
            throw ValidationError(
                "--max-message-size must be 1024…\(WireLengthError.maximumU32Length) bytes (the most a 32-bit length "
                    + "field carries), got \(maxMessageSize.bytes)")
        }
        if let http {
            do {
                _ = try HTTPAddress(parsing: http)
            } catch {
                throw ValidationError("--http \(error)")
            }
        }
        guard curveSecretKey != nil || (allowWorkers == nil && allowClients == nil) else {
            throw ValidationError("--allow-workers and --allow-clients need --curve-secret-key")
        }
        guard http != nil || httpTokenFile == nil else { throw ValidationError("--http-token-file needs --http") }
        if let announce, !(1...255).contains(announce.utf8.count) {
            throw ValidationError("--announce name must be 1…255 bytes")
        }
        _ = try AnnounceAddress(parsing: announceTo)
        guard retainFinished >= 0 else { throw ValidationError("--retain-finished must not be negative") }
        guard clientUnreadBytes.bytes >= 1 else { throw ValidationError("--client-unread-bytes must be at least 1") }
        guard queueTimeout > .zero else { throw ValidationError("--queue-timeout must be positive") }
        guard resultTTL >= .seconds(1) else { throw ValidationError("--result-ttl must be at least 1s") }
        guard lease >= .milliseconds(200) else { throw ValidationError("--lease must be at least 200ms") }
        guard !journal.isEmpty else { throw ValidationError("--journal needs a path, or 'none'") }
        if PostgresAddress.isAddress(journal) {
            do {
                _ = try PostgresAddress(parsing: journal)
            } catch {
                throw ValidationError("--journal \(error)")
            }
        }
        if let maxQueuedPerClient, maxQueuedPerClient < 1 {
            throw ValidationError("--max-queued-per-client must be at least 1, got \(maxQueuedPerClient)")
        }
        for category in orderedCategories {
            if let reason = CategoryName.validate(category) {
                throw ValidationError("--ordered '\(category)': \(reason)")
            }
        }
    }

    /// The state machine's settings, from the options.
    private var configuration: BrokerConfiguration {
        var configuration = BrokerConfiguration()
        configuration.heartbeatInterval = heartbeat
        configuration.liveness = liveness
        configuration.taskTimeout = taskTimeout
        configuration.maxAttempts = maxAttempts
        configuration.queueTimeout = queueTimeout
        configuration.orderedCategories = Set(orderedCategories)
        configuration.maxQueuedPerClient = maxQueuedPerClient
        configuration.maxMessageSize = maxMessageSize.bytes
        configuration.retainFinished = retainFinished
        configuration.retainFinishedBytes = retainFinishedBytes.bytes
        configuration.unreadResultBytes = clientUnreadBytes.bytes
        configuration.journaled = journal != "none"
        return configuration
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "corsair.broker")
        let httpAddress = try http.map { try HTTPAddress(parsing: $0) }
        try await ExitStatus.run(reporting: { logger.error("broker failed", metadata: ["error": "\($0)"]) }) {
            let security = try loadSecurity(logger: logger, httpAddress: httpAddress)
            let registry = PrometheusCollectorRegistry()
            let metrics = httpAddress == nil ? nil : HTTPGateway.metricsFactory(for: registry)
            let zap = try security.access.map { try ZAPHandler(access: $0, logger: logger, metrics: metrics) }
            try await zap?.start()
            defer { zap?.requestStop() }
            var endpoints = self.endpoints.isEmpty ? ["tcp://*:5555"] : self.endpoints
            var deposed = false
            // With a shared journal the broker stands by until it holds the lease, and again once deposed.
            while true {
                let journal = try await openJournal(
                    logger: logger, endpoints: &endpoints, security: security, retrying: deposed)
                defer { journal?.close() }
                var options = BrokerLoop.Options(endpoints: endpoints, resultTTL: resultTTL)
                options.curve = security.curve
                options.access = security.access
                options.journal = journal
                if let zap {
                    // The loop owns the ROUTER's one monitor and hands the failed handshakes to the ZAP thread.
                    options.handshakeFailures = { zap.handshakeFailed($0) }
                }
                let run = Run(
                    options: options, security: security, zap: zap, registry: registry, metrics: metrics,
                    httpAddress: httpAddress)
                do {
                    try await serve(run, logger: logger)
                    return
                } catch let error as JournalError where error.kind == .deposed {
                    deposed = true
                    logger.warning(
                        "deposed: another broker holds the journal now; standing by",
                        metadata: ["reason": "\(error.message)"])
                }
            }
        }
    }

    /// What one spell as the active broker runs with.
    struct Run {
        var options: BrokerLoop.Options
        var security: BrokerSecurity
        var zap: ZAPHandler?
        var registry: PrometheusCollectorRegistry
        var metrics: PrometheusMetricsFactory?
        var httpAddress: HTTPAddress?
    }

    /// Runs the broker loop and the services beside it until a clean stop, or until the journal is taken over
    /// (``JournalError/Kind/deposed``, thrown).
    private func serve(_ run: Run, logger: Logger) async throws {
        let loop = try BrokerLoop(
            configuration: configuration, options: run.options, logger: logger, metrics: run.metrics)
        let announcer = try announce.map { name in
            let target = try AnnounceAddress(parsing: announceTo)
            return BeaconAnnouncer(name: name, host: target.host, port: target.port, logger: logger)
        }
        let endpointFile = endpointFile
        let broker = BrokerService(loop: loop) { bound in
            announcer?.announce(endpoints: bound)
            if let endpointFile {
                try Self.writeAtomically(bound.joined(separator: "\n") + "\n", to: endpointFile)
            }
        }
        // The broker also ends on its own after `corsair shutdown`: a clean stop that takes the gateway along.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: broker, successTerminationBehavior: .gracefullyShutdownGroup)
        ]
        if let zap = run.zap {
            services.append(.init(service: AccessReloadService(zap: zap, loop: loop, logger: logger)))
        }
        if let announcer {
            services.append(.init(service: announcer))
        }
        if let httpAddress = run.httpAddress {
            let gateway = HTTPGateway(loop: loop, registry: run.registry, token: run.security.token)
            services.append(
                .init(service: HTTPGatewayService(gateway: gateway, address: httpAddress, logger: logger)))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("broker stopped")
    }

    /// Writes through a temporary file and a rename, so a reader never sees half a file.
    static func writeAtomically(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        if rename(temporary, path) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
