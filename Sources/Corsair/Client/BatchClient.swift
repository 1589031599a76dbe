import Foundation
public import Logging
import ZeroMQ

/// Submits a batch to a broker over Corsair's `CRSC01` protocol and streams back what happens to each task.
///
/// Each ``run(_:)`` starts a thread, `client-io`, that owns the client's DEALER socket for the duration of
/// the batch: it sends the tasks in SUBMIT messages of at most ``Options/chunkSize`` tasks and
/// ``Options/chunkBytes`` bytes, then waits for every task's result, pinging the broker while it waits. When the broker falls silent the client reconnects on a new
/// socket and resubmits every task without a result, under the same ids (Lazy Pirate); when a restarted broker no
/// longer knows the batch, it resubmits them too. The broker de-duplicates by session and id.
public final class BatchClient: Sendable {
    /// How the client talks to the broker.
    public struct Options: Sendable {
        /// The broker endpoint, for example `tcp://localhost:5555`.
        public var broker: String
        /// The session id the broker files the tasks under; random unless given.
        public var session: [UInt8]
        /// Most tasks per SUBMIT message.
        public var chunkSize = 1000
        /// Most payload bytes per SUBMIT message, so a batch of large tasks stays far below the broker's
        /// `--max-message-size`; a task larger than this goes alone.
        public var chunkBytes = 1 << 20
        /// How long to wait for the broker to acknowledge a submission before giving up on it.
        public var acknowledgementTimeout: Duration = .seconds(5)
        /// How long the whole batch may take; `nil` waits as long as results keep coming.
        public var timeout: Duration?
        /// How often the client pings a broker it is waiting on.
        public var heartbeatInterval: Duration = .seconds(1)
        /// Ping intervals of broker silence after which the client reconnects and resubmits its unfinished tasks.
        public var liveness = 3
        /// The broker's public key and this client's key pair, when the broker speaks CURVE.
        public var curve: CurveClientKeys?

        /// Creates options with a random session.
        public init(broker: String) {
            self.broker = broker
            self.session = ClientProtocol.randomSession()
        }
    }

    /// What the client learns about the batch.
    public enum Event: Sendable, Hashable {
        /// The broker took these tasks (and will send a result for each).
        case accepted([String])
        /// The broker refused these tasks; they will get no result.
        case rejected([TaskRejection])
        /// Tasks finished: the results of one message from the broker, which sends a client's results together.
        case results([TaskResult])
    }

    /// Why a batch could not be completed, apart from ``BrokerUnavailable`` (no acknowledgement in time).
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The batch's timeout passed; these tasks had no result yet.
        case timedOut(unfinished: [String])
        /// The broker could not understand a submission.
        case brokerError(String)
        /// `corsair wait`'s timeout passed with this many of the batch's tasks unfinished.
        case timedOutWaiting(unfinished: Int)
        /// The broker does not know the batch being waited for.
        case unknownBatch(String)
        /// The broker refused tasks because its journal is full (reason `journal_full`): try again later.
        case journalFull(String)

        public var description: String {
            switch self {
            case .timedOutWaiting(let unfinished):
                "timed out with \(unfinished) task\(unfinished == 1 ? "" : "s") unfinished"
            case .unknownBatch(let name):
                "the broker does not know batch '\(name)' (never submitted, or lost in a restart without a journal)"
            case .journalFull(let reason):
                "the broker's journal is full, submission refused (try again later): \(reason)"
            case .timedOut(let unfinished):
                "timed out with \(unfinished.count) task\(unfinished.count == 1 ? "" : "s") unfinished: "
                    + unfinished.prefix(20).joined(separator: " ") + (unfinished.count > 20 ? " …" : "")
            case .brokerError(let message):
                "broker rejected the submission: \(message)"
            }
        }
    }

    /// The start of a rejection's reason when the broker's journal is full.
    public static let journalFullReason = "journal_full"

    private let options: Options
    private let logger: Logger

    /// Creates a client.
    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Submits `tasks` and streams events until every task has a result or was rejected.
    ///
    /// Stopping the iteration early (or cancelling its task) ends the exchange and closes the socket.
    ///
    /// - Parameter tasks: the batch; ids must be unique within it.
    /// - Returns: events in arrival order; the stream throws ``BrokerUnavailable`` or ``Failure`` when the batch
    ///   cannot complete.
    public func run(_ tasks: [TaskSpec]) -> AsyncThrowingStream<Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Event.self, throwing: (any Error).self)
        let thread: SocketThread<Void>
        do {
            thread = try SocketThread(name: "client-io")
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        continuation.onTermination = { _ in thread.post(()) }
        thread.start { [self] sockets in
            do {
                try exchange(tasks, events: continuation, sockets: sockets, cancelled: thread.mailbox)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    /// The client I/O thread's loop (`client-io`), which owns the socket.
    private func exchange(
        _ tasks: [TaskSpec],
        events: AsyncThrowingStream<Event, any Error>.Continuation,
        sockets: ThreadSockets,
        cancelled: Mailbox<Void>
    ) throws {
        var exchange = Exchange(tasks: tasks, options: options, logger: logger)
        // Replaced when the broker goes silent (Lazy Pirate).
        var socket = try exchange.connect(sockets)
        try exchange.submitPending(on: socket)
        let poller = Poller()
        while !exchange.pending.isEmpty {
            poller.removeAll()
            let socketItem = poller.add(socket)
            let cancelItem = poller.add(fileDescriptor: cancelled.fileDescriptor)
            let watchItem = exchange.watch.map { poller.add($0.socket) }
            try poller.poll(timeout: exchange.nextDeadline - .now)
            if poller.isReadable(cancelItem) {
                return
            }
            if let watchItem, poller.isReadable(watchItem), let failure = try exchange.watch?.failure() {
                throw failure
            }
            if poller.isReadable(socketItem) {
                while let frames = try socket.receive(blocking: false) {
                    try exchange.received(frames, on: socket, events: events)
                }
            }
            try exchange.checkDeadlines(at: .now)
            if exchange.brokerIsSilent(at: .now) {
                logger.info(
                    "broker silent, reconnecting and resubmitting unfinished tasks",
                    metadata: ["broker": "\(options.broker)", "tasks": "\(exchange.pending.count)"])
                sockets.close(socket)
                exchange.watch?.close(sockets)
                socket = try exchange.connect(sockets)
                try exchange.submitPending(on: socket)
            } else if exchange.pingIsDue(at: .now) {
                try exchange.ping(on: socket)
            }
        }
    }
}

/// The client's side of one batch: what is unfinished, what the broker has acknowledged, and when it last spoke.
private struct Exchange {
    let tasks: [TaskSpec]
    let options: BatchClient.Options
    let logger: Logger
    var pending: Set<String>
    var unacknowledged: Set<String> = []
    var acknowledgementDeadline: ContinuousClock.Instant?
    let batchDeadline: ContinuousClock.Instant?
    /// Whether the broker has answered at all; before that, only the acknowledgement deadline applies.
    var hasContact = false
    var lastHeard = ContinuousClock.now
    var lastSent = ContinuousClock.now
    /// Watches the current socket's handshakes; replaced with it.
    var watch: HandshakeWatch?

    init(tasks: [TaskSpec], options: BatchClient.Options, logger: Logger) {
        self.tasks = tasks
        self.options = options
        self.logger = logger
        self.pending = Set(tasks.map(\.id))
        self.batchDeadline = options.timeout.map { ContinuousClock.now + $0 }
    }

    private var silenceLimit: Duration { options.heartbeatInterval * options.liveness }

    var nextDeadline: ContinuousClock.Instant {
        var deadlines = [acknowledgementDeadline, batchDeadline].compactMap { $0 }
        if hasContact {
            deadlines += [lastSent + options.heartbeatInterval, lastHeard + silenceLimit]
        }
        return deadlines.min() ?? .now + options.heartbeatInterval
    }

    func brokerIsSilent(at now: ContinuousClock.Instant) -> Bool {
        hasContact && now - lastHeard >= silenceLimit
    }

    func pingIsDue(at now: ContinuousClock.Instant) -> Bool {
        hasContact && now - lastSent >= options.heartbeatInterval
    }

    /// Throws when the broker left a submission unacknowledged too long, or the batch ran out of time.
    func checkDeadlines(at now: ContinuousClock.Instant) throws {
        if let deadline = acknowledgementDeadline, now >= deadline {
            throw BrokerUnavailable(broker: options.broker, waited: options.acknowledgementTimeout)
        }
        if let deadline = batchDeadline, now >= deadline {
            throw BatchClient.Failure.timedOut(unfinished: tasks.map(\.id).filter(pending.contains))
        }
    }

    /// A new DEALER connected to the broker, with a new ``watch`` on its handshakes.
    mutating func connect(_ sockets: ThreadSockets) throws -> Socket {
        let socket = try sockets.open(.dealer, .dealer(curve: options.curve))
        do {
            watch = try HandshakeWatch(socket, broker: options.broker, curve: options.curve, sockets: sockets)
            try socket.connect(options.broker)
        } catch {
            sockets.close(socket)
            throw error
        }
        lastHeard = .now
        return socket
    }

    /// Sends `message`, never blocking on a connection the broker refused
    /// (``HandshakeWatch/send(_:on:timeout:)``).
    mutating func send(_ message: Multipart, on socket: Socket) throws {
        guard var current = watch else {
            try socket.send(message)
            return
        }
        defer { watch = current }
        try current.send(message, on: socket, timeout: options.acknowledgementTimeout)
    }

    /// Sends every unfinished task again, in batch order; the broker acknowledges known ids without queueing them.
    mutating func submitPending(on socket: Socket) throws {
        let unfinished = tasks.filter { pending.contains($0.id) }
        var chunk: [TaskSpec] = []
        var chunkBytes = 0
        for task in unfinished {
            let size = task.payload.count + task.id.utf8.count + task.category.utf8.count
            if !chunk.isEmpty, chunk.count == options.chunkSize || chunkBytes + size > options.chunkBytes {
                try send(ClientMessage.submit(session: options.session, tasks: chunk).encoded, on: socket)
                chunk.removeAll(keepingCapacity: true)
                chunkBytes = 0
            }
            chunk.append(task)
            chunkBytes += size
        }
        if !chunk.isEmpty {
            try send(ClientMessage.submit(session: options.session, tasks: chunk).encoded, on: socket)
        }
        unacknowledged.formUnion(unfinished.map(\.id))
        acknowledgementDeadline = .now + options.acknowledgementTimeout
        lastSent = .now
        logger.debug("batch submitted", metadata: ["tasks": "\(unfinished.count)", "broker": "\(options.broker)"])
    }

    mutating func ping(on socket: Socket) throws {
        try send(ClientMessage.ping(session: options.session).encoded, on: socket)
        lastSent = .now
    }

    mutating func received(
        _ frames: [[UInt8]],
        on socket: Socket,
        events: AsyncThrowingStream<BatchClient.Event, any Error>.Continuation
    ) throws {
        let reply: BrokerReply
        do {
            reply = try BrokerReply(decoding: frames)
        } catch {
            logger.info("bad message from broker dropped", metadata: ["error": "\(error)"])
            return
        }
        hasContact = true
        lastHeard = .now
        switch reply {
        case .accepted(let ids):
            unacknowledged.subtract(ids)
            events.yield(.accepted(ids))
        case .rejected(let rejections):
            if let full = rejections.first(where: { $0.reason.hasPrefix(BatchClient.journalFullReason) }) {
                throw BatchClient.Failure.journalFull(full.reason)
            }
            for rejection in rejections {
                unacknowledged.remove(rejection.id)
                pending.remove(rejection.id)
            }
            events.yield(.rejected(rejections))
        case .results(let results):
            // A result also acknowledges its task: the broker leaves answered ids out of ACCEPTED.
            unacknowledged.subtract(results.map(\.id))
            let fresh = results.filter { pending.remove($0.id) != nil }
            if !fresh.isEmpty {
                events.yield(.results(fresh))
            }
        case .pong(let sessionKnown, _):
            if !sessionKnown {
                logger.info(
                    "broker does not know this batch (restarted?), resubmitting unfinished tasks",
                    metadata: ["broker": "\(options.broker)", "tasks": "\(pending.count)"])
                try submitPending(on: socket)
            }
        case .report, .attached, .stream:
            logger.debug("unexpected REPORT, ATTACHED or STREAM from broker dropped")
        case .error(let message):
            if let refused = AccessRefused(brokerError: message, broker: options.broker) { throw refused }
            throw BatchClient.Failure.brokerError(message)
        }
        if unacknowledged.isEmpty {
            acknowledgementDeadline = nil
        }
    }
}
