import DequeModule
import Foundation
public import Logging
public import CoreMetrics
import ZeroMQ

/// Runs a ``BrokerStateMachine`` on its own thread, `broker-io`, which owns the broker's ROUTER socket.
///
/// The thread binds the ROUTER, then loops: poll until the machine's next deadline or a message, drain every waiting
/// message into the machine, let time pass, and carry out the actions that come back (encode and send, log and count).
/// Other threads talk to it only through its methods, which post commands to the thread: ``start()``,
/// ``requestStop()``, ``finished()``, and for programs in the broker's process (the HTTP gateway) ``submit(_:batch:)``,
/// ``status()`` and ``tasks(matching:)``.
public final class BrokerLoop: Sendable {
    /// What the loop is told from outside; each continuation is resumed on the loop's thread.
    enum Command: Sendable {
        case stop
        case submit([TaskSpec], session: [UInt8], CheckedContinuation<SubmitReceipt, any Error>)
        case status(CheckedContinuation<BrokerStatus, any Error>)
        case tasks(TaskQuery, CheckedContinuation<[TaskStatus], any Error>)
    }

    /// The loop is not running (it stopped, or failed to start), so it cannot answer.
    public struct NotRunning: Error, CustomStringConvertible {
        public var description: String { "the broker is not running" }
    }

    /// Socket-level settings the state machine does not see.
    public struct Options: Sendable {
        /// Endpoints to bind, for example `tcp://*:5555`.
        public var endpoints: [String]

        /// Creates options.
        public init(endpoints: [String]) {
            self.endpoints = endpoints
        }
    }

    private let configuration: BrokerConfiguration
    private let options: Options
    private let logger: Logger
    private let metrics: (any MetricsFactory)?
    private let mailbox: Mailbox<Command>
    private let ready = Completion<[String]>()
    private let done = Completion<Void>()

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
        self.mailbox = try Mailbox()
    }

    /// Starts the I/O thread and waits until it has bound every endpoint.
    ///
    /// - Returns: the bound endpoints, wildcard ports resolved (`tcp://127.0.0.1:41234`).
    /// - Throws: ``ZeroMQ/ZeroMQError`` when an endpoint cannot be bound; the thread has exited then.
    public func start() async throws -> [String] {
        Thread.startNamed("broker-io") { [self] in
            self.run()
        }
        return try await ready.value()
    }

    /// Asks the loop to stop. Callable from any thread; ``finished()`` returns once the socket is closed.
    public func requestStop() {
        mailbox.post(.stop)
    }

    /// Waits until the loop has exited and closed its socket; rethrows what made it fail, if anything did.
    public func finished() async throws {
        try await done.value()
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

    private func ask<Value>(_ command: Command, orFail continuation: CheckedContinuation<Value, any Error>) {
        if !mailbox.post(command) {
            continuation.resume(throwing: NotRunning())
        }
    }

    // MARK: - The I/O thread

    private func run() {
        do {
            let context = try Context()
            // Owned by the broker I/O thread (`broker-io`), like everything created below.
            let router = try Socket(context: context, type: .router)
            defer { router.close(linger: .milliseconds(100)) }
            try router.setRouterMandatory(true)
            // The state machine counts and answers messages over the limit. libzmq drops only a frame so large that
            // reading it would cost more memory than twice the limit, together with its sender's connection.
            try router.setMaxMessageSize(configuration.maxMessageSize * 2)
            try router.setSendHighWaterMark(100_000)
            try router.setReceiveHighWaterMark(100_000)
            var bound: [String] = []
            for endpoint in options.endpoints {
                try router.bind(endpoint)
                bound.append(try router.lastEndpoint())
            }
            logger.info("broker listening", metadata: ["endpoints": "\(bound.joined(separator: " "))"])
            ready.complete(.success(bound))
            try serve(router)
            refuseWaitingCommands()
            done.complete(.success(()))
        } catch {
            refuseWaitingCommands()
            ready.complete(.failure(error))
            done.complete(.failure(error))
        }
    }

    /// Closes the mailbox and answers what is still in it with ``NotRunning``.
    private func refuseWaitingCommands() {
        for command in mailbox.seal() {
            switch command {
            case .stop:
                break
            case .submit(_, _, let continuation):
                continuation.resume(throwing: NotRunning())
            case .status(let continuation):
                continuation.resume(throwing: NotRunning())
            case .tasks(_, let continuation):
                continuation.resume(throwing: NotRunning())
            }
        }
    }

    private func serve(_ router: Socket) throws {
        let now = ContinuousClock.now
        let anchor = WallClockAnchor(
            instant: now, unixMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000))
        var machine = BrokerStateMachine(configuration: configuration, anchor: anchor, now: now)
        machine.reportsEveryTask = logger.logLevel <= .debug || metrics != nil
        var driver = Driver(
            machine: machine, router: router, logger: logger, metrics: metrics.map(BrokerMetrics.init))
        let poller = Poller()
        let routerItem = poller.add(router)
        let mailboxItem = poller.add(fileDescriptor: mailbox.fileDescriptor)
        var trimmer = HeapTrimmer()
        while true {
            let deadline = min(driver.machine.nextDeadline, driver.outbox.nextDeadline ?? driver.machine.nextDeadline)
            if try poller.poll(timeout: deadline - .now) == 0 {
                trimmer.idle(at: .now)
            } else {
                trimmer.noteActivity()
            }
            if poller.isReadable(mailboxItem) {
                var stopping = false
                for command in mailbox.drain() {
                    switch command {
                    case .stop:
                        stopping = true
                    case .submit(let tasks, let session, let continuation):
                        let (receipt, actions) = driver.machine.submit(tasks, session: session, at: .now)
                        continuation.resume(returning: receipt)
                        driver.perform(actions)
                    case .status(let continuation):
                        continuation.resume(returning: driver.machine.status(at: .now))
                    case .tasks(let query, let continuation):
                        continuation.resume(returning: driver.machine.tasks(matching: query))
                    }
                }
                if stopping {
                    driver.flushOutbox(everything: true)
                    logger.info("broker stopping", metadata: driver.summary)
                    return
                }
            }
            if poller.isReadable(routerItem) {
                // Drain what is waiting, but let timers run at least every 10 000 messages.
                var budget = 10_000
                while budget > 0, let frames = try router.receive(blocking: false) {
                    budget -= 1
                    driver.received(frames)
                }
            }
            driver.perform(driver.machine.tick(at: .now))
            driver.flushOutbox()
        }
    }
}

/// Carries out a state machine's actions on the broker I/O thread.
private struct Driver {
    var machine: BrokerStateMachine
    /// Owned by the broker I/O thread.
    let router: Socket
    let logger: Logger
    let metrics: BrokerMetrics?
    /// What went wrong below the state machine; task and message totals live in its statistics.
    var counters = SocketCounters()
    /// Acknowledgements and results on their way to batch clients, held so that many leave as few messages.
    private(set) var outbox = ClientOutbox()

    /// The totals logged when the broker stops.
    var summary: Logger.Metadata {
        let statistics = machine.statistics
        return [
            "tasks.submitted": "\(statistics.submitted)", "tasks.succeeded": "\(statistics.succeeded)",
            "tasks.failed": "\(statistics.failed)", "tasks.requeued": "\(statistics.requeued.values.reduce(0, +))",
            "messages.bad": "\(statistics.badMessages + counters.emptyMessages)",
            "replies.late": "\(statistics.lateReplies)", "peers.unreachable": "\(counters.unreachable)",
            "messages.dropped": "\(counters.dropped)",
        ]
    }

    /// Hands a message from the ROUTER, routing id first, to the state machine.
    mutating func received(_ frames: consuming [[UInt8]]) {
        guard frames.count >= 2 else {
            counters.emptyMessages += 1
            metrics?.recordEmptyMessage()
            logger.info("bad message dropped", metadata: ["error": "message with no frames after the routing id"])
            return
        }
        // In place: the message is this function's own, so dropping the routing id copies nothing.
        let peer = PeerID(frames.removeFirst())
        if logger.logLevel <= .trace {
            logger.trace("received", metadata: ["peer.identity": "\(peer)", "frames": "\(frames.map(\.printable))"])
        }
        perform(machine.messageReceived(frames, from: peer, at: .now))
    }

    mutating func perform(_ actions: [BrokerAction]) {
        for action in actions {
            switch action {
            case .send(let message, let peer):
                send(message, to: peer)
            case .event(let event):
                log(event)
                metrics?.record(event)
            }
        }
    }

    /// Sends what the outbox has due: results gathered in this pass, acknowledgements held long enough, or with
    /// `everything` all it holds. Sends can fail and make more results due (a dropped worker's task fails), so it
    /// repeats until nothing is due.
    mutating func flushOutbox(everything: Bool = false) {
        while case let due = outbox.due(at: .now, everything: everything), !due.isEmpty {
            for (peer, messages) in due {
                for message in messages {
                    transmit(message, to: peer)
                }
            }
        }
    }

    private mutating func send(_ message: BrokerOutbound, to peer: PeerID) {
        switch message {
        case .batch(let framing, .results(let results)):
            for full in outbox.hold(results: results, framing: framing, for: peer) {
                transmit(full, to: peer)
            }
        case .batch(let framing, .accepted(let ids)):
            for full in outbox.hold(accepted: ids, framing: framing, for: peer, at: .now) {
                transmit(full, to: peer)
            }
        default:
            // Keep order: what the client was due before this message goes first.
            for held in outbox.release(peer) {
                transmit(held, to: peer)
            }
            transmit(message, to: peer)
        }
    }

    private mutating func transmit(_ message: BrokerOutbound, to peer: PeerID) {
        do {
            if try !router.send(MDPCodec.encode(message), routingID: peer.bytes, blocking: false) {
                counters.dropped += 1
                logger.info("send queue full, message dropped", metadata: ["peer.identity": "\(peer)"])
            }
        } catch where error.code == .hostUnreachable {
            counters.unreachable += 1
            logger.debug("peer unreachable", metadata: ["peer.identity": "\(peer)"])
            perform(machine.peerUnreachable(peer, at: .now))
        } catch {
            counters.dropped += 1
            logger.info("send failed", metadata: ["peer.identity": "\(peer)", "error": "\(error)"])
        }
    }

    private func log(_ event: BrokerEvent) {
        switch event {
        case .workerJoined(let peer, let name, let category, let credit, let extended):
            logger.info(
                "worker joined",
                metadata: [
                    "worker.id": "\(name)", "peer.identity": "\(peer)", "task.category": "\(category)",
                    "worker.credit": "\(credit)", "worker.protocol": "\(extended ? "corsair/1" : "mdp/0.2")",
                ])
        case .workerLeft(let peer, let name, let category, let reason, let inFlight):
            logger.info(
                "worker left",
                metadata: [
                    "worker.id": "\(name)", "peer.identity": "\(peer)", "task.category": "\(category)",
                    "reason": "\(reason.rawValue)", "worker.in_flight": "\(inFlight)",
                ])
        case .taskDispatched(let id, let category, let worker, let attempt, _):
            if logger.logLevel <= .debug {
                logger.debug(
                    "task dispatched",
                    metadata: [
                        "task.id": "\(id)", "task.category": "\(category)", "worker.id": "\(worker)",
                        "task.attempt": "\(attempt)",
                    ])
            }
        case .taskRequeued(let id, let category, let reason, let attempt):
            logger.info(
                "task requeued",
                metadata: [
                    "task.id": "\(id)", "task.category": "\(category)", "reason": "\(reason)",
                    "task.attempt": "\(attempt)",
                ])
        case .taskFinished(let id, let category, let outcome, let attempts, let reason):
            if outcome == .failed {
                logger.info(
                    "task failed",
                    metadata: [
                        "task.id": "\(id)", "task.category": "\(category)", "task.attempts": "\(attempts)",
                        "reason": "\(reason ?? "")",
                    ])
            } else {
                if logger.logLevel <= .debug {
                    logger.debug(
                        "task succeeded",
                        metadata: ["task.id": "\(id)", "task.category": "\(category)", "task.attempts": "\(attempts)"])
                }
            }
        case .tasksAccepted(let session, let accepted, let duplicates, let rejected):
            logger.info(
                "tasks accepted",
                metadata: [
                    "client.session": "\(session)", "accepted": "\(accepted)", "duplicates": "\(duplicates)",
                    "rejected": "\(rejected)",
                ])
        case .badMessage(let peer, let error):
            logger.info("bad message dropped", metadata: ["peer.identity": "\(peer)", "error": "\(error)"])
        case .unexpectedMessage(let peer, let what):
            logger.info("unexpected message", metadata: ["peer.identity": "\(peer)", "error": "\(what)"])
        case .lateReply(let peer, let envelope):
            logger.debug("late reply ignored", metadata: ["peer.identity": "\(peer)", "envelope": "\(envelope)"])
        }
    }
}

/// Failures the loop sees at the socket, which the state machine never hears of.
struct SocketCounters {
    /// Messages with nothing after the routing id.
    var emptyMessages = 0
    /// Sends that found their peer gone.
    var unreachable = 0
    /// Sends dropped because the peer's queue was full or the send failed.
    var dropped = 0
}
