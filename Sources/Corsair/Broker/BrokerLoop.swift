public import CoreMetrics
import DequeModule
import Foundation
public import Logging
public import ZeroMQ

/// Runs a ``BrokerStateMachine`` on its own thread, `broker-io`, which owns the broker's ROUTER socket and the PAIR
/// socket that reads the ROUTER's monitor (``ConnectionWatch``).
///
/// The thread binds the ROUTER, then loops: poll until the machine's next deadline or a message, drain the waiting
/// messages into the machine (as many as a ``PassBudget`` allows), let time pass, and carry out the actions that come
/// back (encode and send, log and count).
/// When the monitor reports a lost connection, the loop reads everything waiting on the ROUTER and then tells the
/// machine, which probes the workers.
/// Other threads talk to it only through its methods, which post commands to the thread: ``start()``,
/// ``requestStop()``, ``finished()``, and for programs in the broker's process (the HTTP gateway) ``submit(_:batch:)``,
/// ``status()``, ``tasks(matching:)`` and ``cancel(_:)``.
public final class BrokerLoop: Sendable {
    /// What the loop is told from outside; each continuation is resumed on the loop's thread.
    enum Command: Sendable {
        case stop
        case submit([TaskSpec], session: [UInt8], CheckedContinuation<SubmitReceipt, any Error>)
        case status(CheckedContinuation<BrokerStatus, any Error>)
        case tasks(TaskQuery, CheckedContinuation<[TaskStatus], any Error>)
        case accessChanged(AccessList)
        case cancel(CancelRequest, CheckedContinuation<[CancelAnswer], any Error>)
        case worker(String, CheckedContinuation<WorkerReport?, any Error>)
        case batches(Int, CheckedContinuation<[BatchProgress], any Error>)
        /// The journal writer's report on a commit.
        case journal(JournalWriter.Report)
    }

    /// The loop is not running (it stopped, or failed to start), so it cannot answer.
    public struct NotRunning: Error, CustomStringConvertible {
        public var description: String { "the broker is not running" }
    }

    /// Socket-level settings the state machine does not see.
    public struct Options: Sendable {
        /// Endpoints to bind, for example `tcp://*:5555`.
        public var endpoints: [String]
        /// The journal of a durable broker, opened by the caller (who closes it after the loop has finished), or
        /// `nil` for an in-memory broker. Set ``BrokerConfiguration/journaled`` to match.
        public var journal: (any Journal)?
        /// How long finished tasks stay in the journal.
        public var resultTTL: Duration
        /// The broker's key pair (`--curve-secret-key`): every endpoint then speaks CURVE only.
        public var curve: CurveKeyPair?
        /// The keys allowed in each role (`--allow-workers`, `--allow-clients`), checked by a ``ZAPHandler`` that
        /// must run before ``BrokerLoop/start()``; `nil` lets any CURVE key in, in any role.
        public var access: AccessList?
        /// Where the handshakes the ROUTER's monitor sees fail go, to be logged and counted (the ZAP handler's
        /// ``ZAPHandler/handshakeFailed(_:)``); called on the broker I/O thread. `nil` watches no handshakes.
        public var handshakeFailures: (@Sendable (MonitorEvent) -> Void)?

        /// Creates options.
        public init(
            endpoints: [String],
            journal: (any Journal)? = nil,
            resultTTL: Duration = .seconds(86_400),
            curve: CurveKeyPair? = nil,
            access: AccessList? = nil,
            handshakeFailures: (@Sendable (MonitorEvent) -> Void)? = nil
        ) {
            self.endpoints = endpoints
            self.journal = journal
            self.resultTTL = resultTTL
            self.curve = curve
            self.access = access
            self.handshakeFailures = handshakeFailures
        }
    }

    private let configuration: BrokerConfiguration
    private let options: Options
    private let logger: Logger
    private let metrics: (any MetricsFactory)?
    private let thread: SocketThread<Command>
    private let ready = Completion<[String]>()

    /// Creates a loop; nothing runs until ``start()``.
    ///
    /// - Parameter metrics: where task and message counters and the dispatch latency histogram go (the HTTP gateway
    ///   passes its Prometheus registry's factory), or `nil` for none.
    public init(
        configuration: BrokerConfiguration,
        options: Options,
        logger: Logger,
        metrics: (any MetricsFactory)? = nil
    ) throws {
        self.configuration = configuration
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.thread = try SocketThread(name: "broker-io")
    }

    /// Starts the I/O thread and waits until it has bound every endpoint.
    ///
    /// - Returns: the bound endpoints, wildcard ports resolved (`tcp://127.0.0.1:41234`).
    /// - Throws: ``ZeroMQ/ZeroMQError`` when an endpoint cannot be bound; the thread has exited then.
    public func start() async throws -> [String] {
        thread.start(leftover: Self.refuse) { [self] sockets in
            do {
                try run(sockets)
            } catch {
                ready.complete(.failure(error))
                throw error
            }
        }
        return try await ready.value()
    }

    /// Asks the loop to stop. Callable from any thread; ``finished()`` returns once the socket is closed.
    public func requestStop() {
        thread.post(.stop)
    }

    /// Waits until the loop has exited and closed its socket; rethrows what made it fail, if anything did.
    public func finished() async throws {
        try await thread.finished()
    }

    /// Submits tasks into batch `batch` (session bytes), as a batch client would; results stay in the task table.
    ///
    /// - Throws: ``NotRunning`` once the loop has stopped.
    public func submit(_ tasks: [TaskSpec], batch: [UInt8]) async throws -> SubmitReceipt {
        try await withCheckedThrowingContinuation { ask(.submit(tasks, session: batch, $0), orFail: $0) }
    }

    /// The broker's state now, as `corsair status` shows it.
    ///
    /// - Throws: ``NotRunning`` once the loop has stopped.
    public func status() async throws -> BrokerStatus {
        try await withCheckedThrowingContinuation { ask(.status($0), orFail: $0) }
    }

    /// The tracked tasks that match `query`, newest first.
    ///
    /// - Throws: ``NotRunning`` once the loop has stopped.
    public func tasks(matching query: TaskQuery) async throws -> [TaskStatus] {
        try await withCheckedThrowingContinuation { ask(.tasks(query, $0), orFail: $0) }
    }

    /// Checks roles against `access` from now on, and disconnects the workers whose keys it no longer allows as
    /// workers: what SIGHUP does after the ``ZAPHandler`` reloaded. Callable from any thread.
    public func accessChanged(_ access: AccessList) {
        thread.post(.accessChanged(access))
    }

    /// Cancels the tasks `request` names, as `corsair cancel` would, and says what became of each.
    ///
    /// - Throws: ``NotRunning`` once the loop has stopped.
    public func cancel(_ request: CancelRequest) async throws -> [CancelAnswer] {
        try await withCheckedThrowingContinuation { ask(.cancel(request, $0), orFail: $0) }
    }

    /// The page of the worker named `name`, or `nil` when no connected worker has that name.
    ///
    /// - Throws: ``NotRunning`` once the loop has stopped.
    public func worker(named name: String) async throws -> WorkerReport? {
        try await withCheckedThrowingContinuation { ask(.worker(name, $0), orFail: $0) }
    }

    /// The progress of the `limit` batches with the newest tasks, newest first.
    ///
    /// - Throws: ``NotRunning`` once the loop has stopped.
    public func batches(limit: Int) async throws -> [BatchProgress] {
        try await withCheckedThrowingContinuation { ask(.batches(limit, $0), orFail: $0) }
    }

    private func ask<Value>(_ command: Command, orFail continuation: CheckedContinuation<Value, any Error>) {
        if !thread.post(command) {
            continuation.resume(throwing: NotRunning())
        }
    }

    // MARK: - The I/O thread

    /// Binds the ROUTER and serves until told to stop; runs on the broker I/O thread, which owns the socket.
    private func run(_ sockets: ThreadSockets) throws {
        let now = ContinuousClock.now
        let anchor = WallClockAnchor(
            instant: now, unixMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000))
        var machine = BrokerStateMachine(configuration: configuration, anchor: anchor, now: now)
        // Read the journal before binding, so no peer meets a broker that has not got its tasks back yet. Its tasks
        // go into the machine as they are read, so they are never held twice. A journal checked beside the read
        // (`SQLiteJournal.IntegrityCheck.besideRestore`) returns from it once its check has passed too, or throws.
        let restored = try options.journal.map { try machine.restore(from: $0, at: now) }
        if restored != nil {
            // The read's buffers and the page cache it filled are free now: give them back before the broker takes
            // work (1 000 000 restored tasks: 368-370 MiB resident at the first dispatch instead of 403,
            // Deploy/bench/journal-restart.sh).
            HeapTrimmer.trimNow()
        }
        let router = try sockets.open(
            .router, .brokerRouter(maxMessageSize: configuration.maxMessageSize, curve: options.curve))
        let watch = try ConnectionWatch(router, handshakeFailures: options.handshakeFailures, sockets: sockets)
        var bound: [String] = []
        for endpoint in options.endpoints {
            try router.bindRetrying(endpoint)
            bound.append(try router.lastEndpoint())
        }
        var metadata: Logger.Metadata = [
            "endpoints": "\(bound.joined(separator: " "))", "security": "\(securityDescription)",
        ]
        if let restored, let journal = options.journal {
            metadata["journal"] = "\(journal.location)"
            metadata["journal.tasks"] = "\(restored.tasks)"
        }
        logger.info("broker listening", metadata: metadata)
        ready.complete(.success(bound))
        try serve(router, watch: watch, machine: machine, restored: restored?.actions ?? [])
    }

    private var securityDescription: String {
        guard options.curve != nil else { return "plaintext" }
        guard let access = options.access else { return "curve, any key" }
        return "curve, \(access.count(.worker)) worker keys, \(access.count(.client)) client keys"
    }

    /// Answers a command that reached the loop after it stopped with ``NotRunning``.
    private static func refuse(_ command: Command) {
        switch command {
        case .stop, .accessChanged, .journal:
            break
        case .submit(_, _, let continuation):
            continuation.resume(throwing: NotRunning())
        case .status(let continuation):
            continuation.resume(throwing: NotRunning())
        case .tasks(_, let continuation):
            continuation.resume(throwing: NotRunning())
        case .cancel(_, let continuation):
            continuation.resume(throwing: NotRunning())
        case .worker(_, let continuation):
            continuation.resume(throwing: NotRunning())
        case .batches(_, let continuation):
            continuation.resume(throwing: NotRunning())
        }
    }

    /// Starts the thread that commits a durable broker's journal; `nil` for an in-memory broker.
    private func startJournalWriter() -> JournalState? {
        guard let journal = options.journal else { return nil }
        let writer = JournalWriter(journal: journal, resultTTL: options.resultTTL, logger: logger) {
            [thread] report in _ = thread.post(.journal(report))
        }
        writer.start()
        return JournalState(writer: writer)
    }

    private func serve(
        _ router: Socket,
        watch: ConnectionWatch,
        machine: consuming BrokerStateMachine,
        restored: [BrokerAction]
    ) throws {
        machine.reportsEveryTask = logger.logLevel <= .debug || metrics != nil
        var driver = BrokerDriver(
            machine: machine, router: router, logger: logger, metrics: metrics.map(BrokerMetrics.init),
            access: options.access.map { AccessGuard(access: $0) }, authMetrics: metrics.map(AuthMetrics.init))
        driver.journal = startJournalWriter()
        // However the loop ends, the writer stops before the caller closes the journal.
        defer { _ = driver.journal?.writer.finish() }
        driver.perform(restored)
        let poller = Poller()
        _ = poller.add(router)
        let watchItem = poller.add(watch.socket)
        let mailboxItem = poller.add(fileDescriptor: thread.mailbox.fileDescriptor)
        var trimmer = HeapTrimmer()
        // A connection was lost and the probe waits until the ROUTER's waiting messages are read.
        var connectionLost = false
        while true {
            var deadline = min(driver.machine.nextDeadline, driver.outbox.nextDeadline ?? driver.machine.nextDeadline)
            if let commit = driver.journal?.deferral.deadline {
                // Records left for a later pass's commit are committed by then, whatever comes.
                deadline = min(deadline, commit)
            }
            if let interval = options.journal?.standingInterval {
                deadline = min(deadline, .now + interval)
            }
            if !driver.lookups.isEmpty || connectionLost {
                // A journal look-up in slices goes on at once, as does a probe still waiting for the reads.
                deadline = .now
            }
            if try poller.poll(timeout: deadline - .now) == 0 {
                trimmer.idle(at: .now)
            } else {
                trimmer.noteActivity()
            }
            // A broker another one has taken over from dispatches nothing more: it stops here, before reading.
            try options.journal?.checkStanding()
            if poller.isReadable(mailboxItem) {
                var stopping = false
                for command in thread.mailbox.drain() {
                    stopping = driver.handle(command) || stopping
                }
                if stopping {
                    driver.finishJournal()
                    driver.flushOutbox(everything: true)
                    logger.info("broker stopping", metadata: driver.summary)
                    return
                }
                // What a commit report released leaves now, not after this pass's reads (up to 5 ms under load).
                driver.flushOutbox()
            }
            if poller.isReadable(watchItem) {
                connectionLost = try watch.read() > 0 || connectionLost
            }
            // Read before anything probes, whatever woke the loop: a worker's last messages (results, a task
            // handed back), sent just before it exited, may have arrived since the poll, and a probe, at once or
            // the follow-up the tick sends, would otherwise declare it lost with them unread (ShutdownTests saw a
            // handed-back attempt counted as lost). A lost connection's probe waits for a pass that reads every
            // waiting message; such a pass is bounded by the count alone, as it was before passes were timed.
            if try driver.readRouter(timed: !connectionLost), connectionLost {
                connectionLost = false
                driver.perform(driver.machine.connectionLost(at: .now))
            }
            // Reading may have waited on the journal (a look-up): check again before the tick dispatches.
            try options.journal?.checkStanding()
            driver.perform(driver.machine.tick(at: .now))
            // Before the hand-over, so that the requeues of peers the tick's sends found gone are journaled in this
            // pass, as when the machine heard of them inside the send.
            driver.settleUnreachable()
            try driver.handOverJournal(at: .now)
            driver.flushOutbox()
            if driver.machine.hasFinishedShutdown {
                // The last results wait for their commit like any other: release them before the loop ends.
                driver.finishJournal()
                driver.flushOutbox(everything: true)
                logger.info("broker stopping: every worker told to shut down has left", metadata: driver.summary)
                return
            }
        }
    }

}
