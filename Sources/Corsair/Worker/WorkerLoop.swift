import DequeModule
import Foundation
public import Logging
import ZeroMQ

/// Runs one ``WorkerStateMachine`` per category on a dedicated thread, `worker-io`, which owns every DEALER
/// socket of the worker.
///
/// Tasks leave the thread as ``Event/run(_:_:)`` on the stream ``start(inline:)`` returns; handlers run in Swift
/// concurrency, off this thread, and report back through ``taskFinished(_:result:)``. The thread therefore keeps
/// heartbeating however long a task takes. An ``InlineTaskHandler`` instead runs on the thread itself.
public final class WorkerLoop: Sendable {
    /// A task for the handler.
    public enum Event: Sendable {
        case run(Ticket, WorkerTask)
        /// The broker cancelled the task: stop its handler (``WorkerService`` cancels it and reports at once).
        case cancel(Ticket)
    }

    /// Names a task across the loop's connections.
    public struct Ticket: Sendable, Hashable {
        let connection: Int
        let ticket: TaskTicket
    }

    enum Command: Sendable {
        case finished(Ticket, Result<[UInt8], TaskFailure>)
        case drain
    }

    private let configurations: [WorkerConfiguration]
    private let drainTimeout: Duration
    private let logger: Logger
    private let thread: SocketThread<Command>

    /// Creates a loop serving one connection per configuration; nothing runs until ``start(inline:)``.
    ///
    /// - Parameters:
    ///   - configurations: one per category served.
    ///   - drainTimeout: how long a graceful stop waits for tasks in flight before abandoning them to the broker.
    ///   - logger: where connection events go.
    public init(configurations: [WorkerConfiguration], drainTimeout: Duration, logger: Logger) throws {
        precondition(!configurations.isEmpty, "a worker serves at least one category")
        self.configurations = configurations
        self.drainTimeout = drainTimeout
        self.logger = logger
        self.thread = try SocketThread(name: "worker-io")
    }

    /// Starts the I/O thread.
    ///
    /// - Parameter inline: runs every task on the I/O thread as it arrives; nothing is then yielded.
    /// - Returns: the tasks to run, in arrival order; the stream ends when the loop exits.
    public func start(inline: InlineTaskHandler? = nil) -> AsyncStream<Event> {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .unbounded)
        thread.start { [self] sockets in
            defer { continuation.finish() }
            var io = WorkerIO(
                connections: configurations.map {
                    Connection(machine: WorkerStateMachine(configuration: $0, now: .now))
                },
                sockets: sockets, events: continuation, inline: inline, drainTimeout: drainTimeout, logger: logger)
            try io.run(mailbox: thread.mailbox)
        }
        return events
    }

    /// Reports a handler's outcome. Callable from any thread.
    public func taskFinished(_ ticket: Ticket, result: Result<[UInt8], TaskFailure>) {
        thread.post(.finished(ticket, result))
    }

    /// Stops taking tasks, lets those in flight finish (up to the drain timeout), sends DISCONNECT and exits.
    public func requestDrain() {
        thread.post(.drain)
    }

    /// Waits until the loop has exited; throws ``BrokerUnavailable`` when it gave up on the broker.
    public func finished() async throws {
        try await thread.finished()
    }
}

/// The worker I/O thread's state (`worker-io`): one connection per category, and what the loop is waiting for.
private struct WorkerIO {
    var connections: [Connection]
    /// Opens and closes the connections' sockets; owned by the worker I/O thread.
    let sockets: ThreadSockets
    let events: AsyncStream<WorkerLoop.Event>.Continuation
    let inline: InlineTaskHandler?
    let drainTimeout: Duration
    let logger: Logger
    /// Set when a connection gave up on its broker: every connection then stops, and the loop throws it.
    var failure: BrokerUnavailable?
    var drainDeadline: ContinuousClock.Instant?
    /// Whether a socket was opened or closed since the poller last registered them.
    var socketsChanged = true

    /// Polls and handles commands, messages and timers until every connection has stopped.
    mutating func run(mailbox: Mailbox<WorkerLoop.Command>) throws {
        let poller = Poller()
        var mailboxItem = 0
        var socketItems: [(item: Int, connection: Int)] = []
        var watchItems: [(item: Int, connection: Int)] = []
        while !connections.allSatisfy(\.machine.isStopped) {
            if failure != nil {
                try stopAll()
                continue
            }
            if socketsChanged {
                socketsChanged = false
                poller.removeAll()
                mailboxItem = poller.add(fileDescriptor: mailbox.fileDescriptor)
                socketItems = connections.indices.compactMap { index in
                    connections[index].socket.map { (poller.add($0), index) }
                }
                watchItems = connections.indices.compactMap { index in
                    connections[index].watch.map { (poller.add($0.socket), index) }
                }
            }
            try poller.poll(timeout: nextDeadline.map { $0 - .now })
            if poller.isReadable(mailboxItem) {
                for command in mailbox.drain() {
                    try handle(command)
                }
            }
            for (item, index) in watchItems where poller.isReadable(item) {
                try checkHandshake(of: index)
            }
            for (item, index) in socketItems where poller.isReadable(item) {
                while let socket = connections[index].socket, let frames = try socket.receive(blocking: false) {
                    try perform(connections[index].machine.messageReceived(frames, at: .now), on: index)
                }
            }
            if let drainDeadline, .now >= drainDeadline {
                try stopAll()
            }
            for index in connections.indices {
                try perform(connections[index].machine.flushResults(at: .now), on: index)
                try perform(connections[index].machine.tick(at: .now), on: index)
            }
        }
        if let failure {
            throw failure
        }
    }

    /// The earliest instant any connection, or the drain, needs the loop awake.
    private var nextDeadline: ContinuousClock.Instant? {
        connections.compactMap(\.machine.nextDeadline).reduce(drainDeadline) { earliest, next in
            earliest.map { min($0, next) } ?? next
        }
    }

    private mutating func handle(_ command: WorkerLoop.Command) throws {
        switch command {
        case .finished(let ticket, let result):
            try perform(
                connections[ticket.connection].machine.taskFinished(ticket.ticket, result: result, at: .now),
                on: ticket.connection)
        case .drain:
            logger.info("worker draining", metadata: ["drain.timeout": "\(DurationParser.format(drainTimeout))"])
            drainDeadline = .now + drainTimeout
            for index in connections.indices {
                try perform(connections[index].machine.drain(at: .now), on: index)
            }
        }
    }

    private mutating func stopAll() throws {
        for index in connections.indices {
            try perform(connections[index].machine.stop(at: .now), on: index)
        }
    }

    private mutating func perform(_ actions: [WorkerStateMachine.Action], on index: Int) throws {
        for action in actions {
            switch action {
            case .connect:
                try connect(index)
            case .send(let frames):
                if let socket = connections[index].socket, try !socket.send(frames, blocking: false) {
                    logger.debug("send queue full, message dropped", metadata: connections[index].metadata)
                }
            case .closeSocket, .giveUp:
                closeSocket(of: index, linger: .zero)
            case .run(let ticket, let task):
                try run(task, ticket: ticket, on: index)
            case .cancel(let ticket):
                logger.info("task cancelled by the broker", metadata: connections[index].metadata)
                // An inline handler has already returned: only a task in Swift concurrency can still be running.
                events.yield(.cancel(WorkerLoop.Ticket(connection: index, ticket: ticket)))
            case .stopped:
                // Give DISCONNECT and the last FINALs a moment to leave.
                closeSocket(of: index, linger: .seconds(1))
            case .event(let event):
                if case .gaveUp(let after) = event {
                    failure = BrokerUnavailable(broker: connections[index].machine.configuration.broker, waited: after)
                }
                log(event, connection: connections[index])
            }
        }
    }

    private mutating func connect(_ index: Int) throws {
        let configuration = connections[index].machine.configuration
        let broker = BrokerEndpoints(configuration.broker).endpoint(forAttempt: connections[index].attempts)
        connections[index].attempts += 1
        let socket = try sockets.open(.dealer, .dealer(curve: configuration.curve))
        connections[index].socket = socket
        connections[index].watch = try HandshakeWatch(
            socket, broker: broker, curve: configuration.curve, sockets: sockets)
        connections[index].lastFailure = nil
        if connections[index].attempts > 1 {
            logger.info(
                "connecting to broker", metadata: connections[index].metadata.merging(["broker": "\(broker)"]) { $1 })
        }
        try socket.connect(broker)
        socketsChanged = true
        try perform(connections[index].machine.connected(at: .now), on: index)
    }

    private mutating func closeSocket(of index: Int, linger: Duration) {
        connections[index].watch?.close(sockets)
        connections[index].watch = nil
        if let socket = connections[index].socket {
            sockets.close(socket, linger: linger)
        }
        connections[index].socket = nil
        socketsChanged = true
    }

    /// Logs why the broker turned this connection away at the handshake, once per cause and socket; the state
    /// machine meanwhile reconnects with backoff when the broker stays silent.
    private mutating func checkHandshake(of index: Int) throws {
        guard let failure = try connections[index].watch?.failure(), failure.cause != connections[index].lastFailure
        else { return }
        connections[index].lastFailure = failure.cause
        logger.info(
            "broker refused the connection, retrying",
            metadata: connections[index].metadata.merging(["reason": "\(failure.cause)"]) { $1 })
    }

    /// Hands `task` to the handler: inline on this thread, or to Swift concurrency through the event stream.
    private mutating func run(_ task: WorkerTask, ticket: TaskTicket, on index: Int) throws {
        guard let inline else {
            events.yield(.run(WorkerLoop.Ticket(connection: index, ticket: ticket), task))
            return
        }
        let result: Result<[UInt8], TaskFailure>
        do {
            result = .success(try inline(task))
        } catch {
            result = .failure(error)
        }
        try perform(connections[index].machine.taskFinished(ticket, result: result, at: .now), on: index)
    }

    private func log(_ event: WorkerEvent, connection: Connection) {
        let metadata = connection.metadata
        switch event {
        case .connecting(let broker, _):
            logger.info("connecting to broker", metadata: metadata.merging(["broker": "\(broker)"]) { $1 })
        case .extensionAccepted:
            logger.info("broker accepted corsair/1", metadata: metadata)
        case .disconnectedByBroker:
            logger.info("broker sent DISCONNECT", metadata: metadata)
        case .brokerSilent(let silence):
            logger.info("broker silent, reconnecting", metadata: metadata.merging(["silence": "\(silence)"]) { $1 })
        case .reconnecting(let delay):
            logger.info(
                "reconnect scheduled", metadata: metadata.merging(["delay": "\(DurationParser.format(delay))"]) { $1 })
        case .gaveUp(let after):
            logger.info("broker unavailable, giving up", metadata: metadata.merging(["after": "\(after)"]) { $1 })
        case .badMessage(let error):
            logger.info("bad message from broker dropped", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        case .requestRefusedWhileDraining:
            logger.info("request ignored while draining", metadata: metadata)
        case .requestHandedBack:
            logger.info("request handed back while draining", metadata: metadata)
        case .resultDropped:
            logger.debug("result for an earlier connection dropped", metadata: metadata)
        case .unsendable(let error):
            logger.error("message not sent", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        case .shutdownByBroker(let handBack):
            logger.info(
                "broker asked this worker to shut down",
                metadata: metadata.merging(["shutdown.mode": "\(handBack ? "hand back" : "finish tasks")"]) { $1 })
        case .drained(let abandoned):
            logger.info("disconnected", metadata: metadata.merging(["tasks.abandoned": "\(abandoned)"]) { $1 })
        }
    }
}

/// One category's connection: its state machine and, while connected, its socket.
private struct Connection {
    var machine: WorkerStateMachine
    /// Owned by the worker I/O thread.
    var socket: Socket?
    /// Watches the socket's handshakes; owned by the worker I/O thread.
    var watch: HandshakeWatch?
    /// The handshake failure last logged for this socket.
    var lastFailure: String?
    /// How many sockets this connection has opened: with several brokers, each new one goes to the next.
    var attempts = 0

    var metadata: Logger.Metadata {
        ["task.category": "\(machine.configuration.category)", "worker.id": "\(machine.configuration.name)"]
    }
}
