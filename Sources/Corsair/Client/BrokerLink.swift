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
    /// The brokers to try, one at a time (`--broker a,b`).
    private let endpoints: BrokerEndpoints
    /// How many connections this link has made; each new one goes to the next broker.
    private var attempts = 0
    /// Connections made in a row with no answer but a standby's (or none): past a few rounds the brokers are given up.
    private var unanswered = 0
    /// When the broker connected to answered that it stands by: the link moves on shortly after.
    private var standbySince: ContinuousClock.Instant?
    /// How long the link waits after a standby's answer before it connects to the next broker, so that brokers which
    /// all stand by (a takeover under way) are not asked in a tight loop.
    static let standbyPause: Duration = .milliseconds(250)

    /// Connects to the broker.
    init(options: BrokerLinkOptions, logger: Logger, sockets: ThreadSockets) throws {
        self.options = options
        self.logger = logger
        self.runDeadline = options.timeout.map { ContinuousClock.now + $0 }
        self.pings = PingSchedule(interval: options.heartbeatInterval, now: .now)
        endpoints = BrokerEndpoints(options.broker)
        (socket, watch) = try Self.connect(options, to: endpoints.endpoint(forAttempt: 0), sockets: sockets)
    }

    private static func connect(
        _ options: BrokerLinkOptions,
        to broker: String,
        sockets: ThreadSockets
    ) throws -> (Socket, HandshakeWatch) {
        let socket = try sockets.open(.dealer, .dealer(curve: options.curve))
        let watch: HandshakeWatch
        do {
            watch = try HandshakeWatch(socket, broker: broker, curve: options.curve, sockets: sockets)
        } catch {
            sockets.close(socket)
            throw error
        }
        do {
            try socket.connect(broker)
        } catch {
            watch.close(sockets)
            sockets.close(socket)
            throw error
        }
        return (socket, watch)
    }

    /// Replaces the socket with a new connection, after the broker fell silent (Lazy Pirate) or answered that it
    /// stands by; with several brokers, to the next one.
    mutating func reconnect(_ sockets: ThreadSockets) throws {
        watch.close(sockets)
        sockets.close(socket)
        attempts += 1
        unanswered += 1
        standbySince = nil
        (socket, watch) = try Self.connect(options, to: broker, sockets: sockets)
        lastHeard = .now
    }

    /// The broker this link is connected to now.
    var broker: String { endpoints.endpoint(forAttempt: attempts) }

    /// Whether the link should move to a new connection: the broker has been silent for
    /// ``BrokerLinkOptions/liveness`` ping intervals, or answered that it stands by; with several brokers, also when
    /// it left something unacknowledged too long, until every broker has been tried a few times.
    func needsReconnect(at now: ContinuousClock.Instant) -> Bool {
        if let standbySince {
            return now >= standbySince + Self.standbyPause
        }
        if hasContact && now - lastHeard >= silenceLimit {
            return true
        }
        guard let deadline = acknowledgementDeadline else { return false }
        return now >= deadline && hasAnotherBroker
    }

    /// Whether another broker is left to try before the link gives up.
    private var hasAnotherBroker: Bool {
        endpoints.all.count > 1 && unanswered < endpoints.all.count * 3
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
        var deadlines = [acknowledgementDeadline, runDeadline, standbySince.map { $0 + Self.standbyPause }].compactMap {
            $0
        }
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

    /// The next reply waiting, without blocking; a message that does not decode is logged and dropped. A standby's
    /// answer is not handed on: the link notes it and moves on (``needsReconnect(at:)``).
    mutating func receive() throws -> BrokerReply? {
        while standbySince == nil, let frames = try socket.receive(blocking: false) {
            pings.received(frames.reduce(0) { $0 + $1.count })
            do {
                let reply = try BrokerReply(decoding: frames)
                if case .error(let message) = reply, message.hasPrefix(StandbyReply.errorPrefix) {
                    logger.info(
                        "broker stands by, trying the next", metadata: ["broker": "\(broker)", "says": "\(message)"])
                    standbySince = .now
                    return nil
                }
                hasContact = true
                lastHeard = .now
                unanswered = 0
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

    /// Whether a ping is due (``PingSchedule``), once the broker has answered at all.
    func pingIsDue(at now: ContinuousClock.Instant) -> Bool {
        hasContact && pings.isDue(at: now)
    }

    /// Throws ``BrokerUnavailable`` when the broker left something unacknowledged too long, and `timedOut()` when
    /// the run's timeout has passed.
    func checkDeadlines(at now: ContinuousClock.Instant, timedOut: () -> any Error) throws {
        if let deadline = acknowledgementDeadline, now >= deadline, !hasAnotherBroker {
            throw BrokerUnavailable(broker: options.broker, waited: options.acknowledgementTimeout)
        }
        if let deadline = runDeadline, now >= deadline {
            throw timedOut()
        }
    }
}
