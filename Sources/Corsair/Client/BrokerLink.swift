import Logging
import ZeroMQ

/// A batch client's connection to its broker, on the client's thread (`client-io`): the DEALER and the watch on its
/// handshakes, when the broker last spoke and was last sent to, and the deadlines that follow: a ping is due, the
/// broker is silent (reconnect), a submission went unacknowledged too long, the run's time is up. What
/// ``BatchClient`` and ``SessionClient`` share; each keeps its own view of the batch.
struct BrokerLink {
    let options: BrokerLinkOptions
    private let logger: Logger
    /// Owned by the client I/O thread; replaced by ``reconnect(_:)``.
    private(set) var socket: Socket
    private var watch: HandshakeWatch
    /// When the broker must have answered what waits for an acknowledgement; `nil` when nothing does.
    var acknowledgementDeadline: ContinuousClock.Instant?
    /// When the run's timeout passes.
    private let runDeadline: ContinuousClock.Instant?
    /// Whether the broker has answered at all; before that, only the acknowledgement deadline applies.
    private var hasContact = false
    private var lastHeard = ContinuousClock.now
    /// When a ping is due: a ping interval after the client last sent, or once it received 8 MiB since.
    private var pings: PingSchedule

    /// Connects to the broker.
    init(options: BrokerLinkOptions, logger: Logger, sockets: ThreadSockets) throws {
        self.options = options
        self.logger = logger
        self.runDeadline = options.timeout.map { ContinuousClock.now + $0 }
        self.pings = PingSchedule(interval: options.heartbeatInterval, now: .now)
        (socket, watch) = try Self.connect(options, sockets: sockets)
    }

    private static func connect(
        _ options: BrokerLinkOptions,
        sockets: ThreadSockets
    ) throws -> (Socket, HandshakeWatch) {
        let socket = try sockets.open(.dealer, .dealer(curve: options.curve))
        let watch: HandshakeWatch
        do {
            watch = try HandshakeWatch(socket, broker: options.broker, curve: options.curve, sockets: sockets)
        } catch {
            sockets.close(socket)
            throw error
        }
        do {
            try socket.connect(options.broker)
        } catch {
            watch.close(sockets)
            sockets.close(socket)
            throw error
        }
        return (socket, watch)
    }

    /// Replaces the socket with a new connection, after the broker fell silent (Lazy Pirate).
    mutating func reconnect(_ sockets: ThreadSockets) throws {
        watch.close(sockets)
        sockets.close(socket)
        (socket, watch) = try Self.connect(options, sockets: sockets)
        lastHeard = .now
    }

    private var silenceLimit: Duration { options.heartbeatInterval * options.liveness }

    /// Waits until the broker sends, a deadline passes, or `cancelled` is posted to.
    ///
    /// - Returns: `false` when cancelled.
    /// - Throws: a ``HandshakeFailure`` when the broker turned the connection away at the handshake.
    mutating func wait(_ poller: Poller, cancelled: Mailbox<Void>) throws -> Bool {
        poller.removeAll()
        _ = poller.add(socket)
        let cancelItem = poller.add(fileDescriptor: cancelled.fileDescriptor)
        let watchItem = poller.add(watch.socket)
        var deadlines = [acknowledgementDeadline, runDeadline].compactMap { $0 }
        if hasContact {
            deadlines += [pings.nextPing, lastHeard + silenceLimit]
        }
        try poller.poll(timeout: (deadlines.min() ?? .now + options.heartbeatInterval) - .now)
        if poller.isReadable(cancelItem) {
            return false
        }
        if poller.isReadable(watchItem), let failure = try watch.failure() {
            throw failure
        }
        return true
    }

    /// The next reply waiting, without blocking; a message that does not decode is logged and dropped.
    mutating func receive() throws -> BrokerReply? {
        while let frames = try socket.receive(blocking: false) {
            pings.received(frames.reduce(0) { $0 + $1.count })
            do {
                let reply = try BrokerReply(decoding: frames)
                hasContact = true
                lastHeard = .now
                return reply
            } catch {
                logger.info("bad message from broker dropped", metadata: ["error": "\(error)"])
            }
        }
        return nil
    }

    /// Sends `message`, never blocking on a connection the broker refused (``HandshakeWatch/send(_:on:timeout:)``).
    mutating func send(_ message: ClientMessage) throws {
        try watch.send(message.encoded, on: socket, timeout: options.acknowledgementTimeout)
        pings.sent(at: .now)
    }

    /// Sends `tasks` in SUBMITs of at most ``BrokerLinkOptions/chunkSize`` tasks and
    /// ``BrokerLinkOptions/chunkBytes`` bytes each (a larger task alone), split by ``SubmitChunker``.
    mutating func submit(_ tasks: some Sequence<TaskSpec>) throws {
        var chunker = SubmitChunker(maxCount: options.chunkSize, maxBytes: options.chunkBytes)
        for task in tasks {
            if let chunk = chunker.add(task) {
                try send(.submit(session: options.session, tasks: chunk))
            }
        }
        if let chunk = chunker.finish() {
            try send(.submit(session: options.session, tasks: chunk))
        }
    }

    /// Whether the broker has been silent for ``BrokerLinkOptions/liveness`` ping intervals.
    func isSilent(at now: ContinuousClock.Instant) -> Bool {
        hasContact && now - lastHeard >= silenceLimit
    }

    /// Whether a ping is due (``PingSchedule``), once the broker has answered at all.
    func pingIsDue(at now: ContinuousClock.Instant) -> Bool {
        hasContact && pings.isDue(at: now)
    }

    /// Throws ``BrokerUnavailable`` when the broker left something unacknowledged too long, and `timedOut()` when
    /// the run's timeout has passed.
    func checkDeadlines(at now: ContinuousClock.Instant, timedOut: () -> any Error) throws {
        if let deadline = acknowledgementDeadline, now >= deadline {
            throw BrokerUnavailable(broker: options.broker, waited: options.acknowledgementTimeout)
        }
        if let deadline = runDeadline, now >= deadline {
            throw timedOut()
        }
    }
}
