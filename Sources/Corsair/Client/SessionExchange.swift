import Logging
import ZeroMQ

/// The client's side of one ``SessionClient`` run, on its thread: what it has sent and not had acknowledged, where
/// it stands in the batch's results, and when the broker last spoke.
struct SessionExchange {
    let options: SessionClient.Options
    var source: (any TaskSource)?
    let logger: Logger
    let onEvent: @Sendable (SessionClient.Event) throws -> Void

    /// Tasks sent and not yet acknowledged, by id: sent again after a reconnect. At most the window.
    private var unacknowledged: [String: TaskSpec] = [:]
    /// Tasks submitted that have neither a result nor a rejection yet, each counted once.
    private var inFlight = 0
    private var sourceDone: Bool
    private var cursor = ResultCursor()
    /// Whether the broker has yet to answer this connection's ATTACH.
    private var awaitingAttach = false
    /// Whether a broker has answered an ATTACH of this run.
    private var wasAttached = false
    /// Whether the latest STREAM, after the latest acknowledgement, said every task has finished and been reported.
    private var complete = false
    private var unfinished: UInt64 = 0
    private var acknowledgementDeadline: ContinuousClock.Instant?
    private let runDeadline: ContinuousClock.Instant?
    private var hasContact = false
    private var lastHeard = ContinuousClock.now
    private var lastSent = ContinuousClock.now
    /// Watches the current socket's handshakes; replaced with it.
    private var watch: HandshakeWatch?

    init(
        options: SessionClient.Options,
        source: (any TaskSource)?,
        logger: Logger,
        onEvent: @escaping @Sendable (SessionClient.Event) throws -> Void
    ) {
        self.options = options
        self.source = source
        self.logger = logger
        self.onEvent = onEvent
        self.sourceDone = source == nil
        self.runDeadline = options.timeout.map { ContinuousClock.now + $0 }
    }

    private var follows: Bool { options.mode != .detach }
    private var silenceLimit: Duration { options.heartbeatInterval * options.liveness }

    /// Whether the run's work is done.
    var isDone: Bool {
        sourceDone && unacknowledged.isEmpty && !awaitingAttach && (!follows || complete)
    }

    /// The client thread's loop (`client-io`), which owns the socket; returns when done or cancelled.
    mutating func run(sockets: ThreadSockets, cancelled: Mailbox<Void>) throws {
        var socket = try connect(sockets)
        try start(on: socket)
        let poller = Poller()
        while !isDone {
            poller.removeAll()
            let socketItem = poller.add(socket)
            let cancelItem = poller.add(fileDescriptor: cancelled.fileDescriptor)
            let watchItem = watch.map { poller.add($0.socket) }
            try poller.poll(timeout: nextDeadline - .now)
            if poller.isReadable(cancelItem) {
                return
            }
            if let watchItem, poller.isReadable(watchItem), let failure = try watch?.failure() {
                throw failure
            }
            if poller.isReadable(socketItem) {
                while !isDone, let frames = try socket.receive(blocking: false) {
                    try received(frames, on: socket)
                }
            }
            try fill(on: socket)
            try checkDeadlines(at: .now)
            if hasContact && ContinuousClock.now - lastHeard >= silenceLimit {
                logger.info(
                    "broker silent, reconnecting",
                    metadata: ["broker": "\(options.broker)", "cursor": "\(cursor.cursor)"])
                sockets.close(socket)
                watch?.close(sockets)
                socket = try connect(sockets)
                try start(on: socket)
            } else if hasContact && ContinuousClock.now - lastSent >= options.heartbeatInterval {
                try send(.ping(session: options.session, wantsFlags: follows), on: socket)
            }
        }
    }

    private var nextDeadline: ContinuousClock.Instant {
        var deadlines = [acknowledgementDeadline, runDeadline].compactMap { $0 }
        if hasContact {
            deadlines += [lastSent + options.heartbeatInterval, lastHeard + silenceLimit]
        }
        return deadlines.min() ?? .now + options.heartbeatInterval
    }

    private func checkDeadlines(at now: ContinuousClock.Instant) throws {
        if let deadline = acknowledgementDeadline, now >= deadline {
            throw BrokerUnavailable(broker: options.broker, waited: options.acknowledgementTimeout)
        }
        if let deadline = runDeadline, now >= deadline {
            throw BatchClient.Failure.timedOutWaiting(unfinished: Int(clamping: unfinished))
        }
    }

    /// A new DEALER connected to the broker, with a new ``watch`` on its handshakes.
    private mutating func connect(_ sockets: ThreadSockets) throws -> Socket {
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

    /// Attaches (unless detached) after the cursor, sends again every task not acknowledged, and sends more.
    private mutating func start(on socket: Socket) throws {
        if follows {
            // Only the first ATTACH of a submitter creates the session: a broker that does not know it later lost it.
            let attach: AttachOptions = options.mode == .submit && !wasAttached ? .create : []
            try send(.attach(session: options.session, after: cursor.cursor, options: attach), on: socket)
            awaitingAttach = true
            complete = false
        }
        try submit(Array(unacknowledged.values), on: socket)
        acknowledgementDeadline =
            awaitingAttach || !unacknowledged.isEmpty ? .now + options.acknowledgementTimeout : nil
        try fill(on: socket)
    }

    /// Sends tasks from the source while the window has room.
    private mutating func fill(on socket: Socket) throws {
        var chunk: [TaskSpec] = []
        var bytes = 0
        while !sourceDone, room - chunk.count > 0 {
            guard let task = try source?.next() else {
                sourceDone = true
                break
            }
            let size = task.payload.count + task.id.utf8.count + task.category.utf8.count
            if !chunk.isEmpty, chunk.count == options.chunkSize || bytes + size > options.chunkBytes {
                try submitNew(chunk, on: socket)
                chunk.removeAll(keepingCapacity: true)
                bytes = 0
            }
            chunk.append(task)
            bytes += size
        }
        if !chunk.isEmpty {
            try submitNew(chunk, on: socket)
        }
    }

    /// How many more tasks the window takes.
    private var room: Int {
        options.window - (options.mode == .detach ? unacknowledged.count : inFlight)
    }

    private mutating func submitNew(_ tasks: [TaskSpec], on socket: Socket) throws {
        for task in tasks {
            unacknowledged[task.id] = task
        }
        inFlight += tasks.count
        try submit(tasks, on: socket)
        if acknowledgementDeadline == nil {
            acknowledgementDeadline = .now + options.acknowledgementTimeout
        }
    }

    /// Sends `tasks` in SUBMITs of at most a chunk each.
    private mutating func submit(_ tasks: [TaskSpec], on socket: Socket) throws {
        var start = 0
        while start < tasks.count {
            let end = min(start + options.chunkSize, tasks.count)
            try send(.submit(session: options.session, tasks: Array(tasks[start..<end])), on: socket)
            start = end
        }
    }

    private mutating func send(_ message: ClientMessage, on socket: Socket) throws {
        defer { lastSent = .now }
        guard var current = watch else {
            try socket.send(message.encoded)
            return
        }
        defer { watch = current }
        try current.send(message.encoded, on: socket, timeout: options.acknowledgementTimeout)
    }
}

extension SessionExchange {
    /// Handles one message from the broker.
    private mutating func received(_ frames: [[UInt8]], on socket: Socket) throws {
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
        case .attached(let status):
            guard status.flags.contains(.sessionKnown) else {
                throw BatchClient.Failure.unknownBatch(BatchName.display(options.session))
            }
            awaitingAttach = false
            wasAttached = true
            unfinished = status.unfinished
            try onEvent(.attached(status))
        case .accepted(let ids):
            for id in ids {
                unacknowledged.removeValue(forKey: id)
            }
            // Tasks just accepted may be unfinished: only a STREAM sent after this says whether all are done.
            complete = false
            try onEvent(.accepted(ids.count))
        case .rejected(let rejections):
            try rejected(rejections)
        case .stream(let progress, let results):
            try streamed(results, progress: progress, on: socket)
        case .pong(let known, _):
            if !known {
                logger.info(
                    "broker lost this client's session (restarted?), attaching again",
                    metadata: ["broker": "\(options.broker)", "cursor": "\(cursor.cursor)"])
                try start(on: socket)
            }
        case .results(let results):
            // A detached submitter is the session's RESULT peer; a result acknowledges its task (the broker leaves
            // answered ids out of ACCEPTED).
            for result in results {
                unacknowledged.removeValue(forKey: result.id)
            }
        case .report:
            break
        case .error(let message):
            if let refused = AccessRefused(brokerError: message, broker: options.broker) { throw refused }
            let unsupported = awaitingAttach ? " (a broker older than ATTACH?)" : ""
            throw BatchClient.Failure.brokerError(message + unsupported)
        }
        updateAcknowledgementDeadline(progressed: reply.acknowledges)
    }

    /// Clears the acknowledgement deadline when nothing waits for one; restarts it when the broker acknowledged
    /// something, since each submission must be answered in time, not the whole batch.
    private mutating func updateAcknowledgementDeadline(progressed: Bool) {
        if !awaitingAttach && unacknowledged.isEmpty {
            acknowledgementDeadline = nil
        } else if progressed || acknowledgementDeadline == nil {
            acknowledgementDeadline = .now + options.acknowledgementTimeout
        }
    }

    private mutating func rejected(_ rejections: [TaskRejection]) throws {
        for rejection in rejections where unacknowledged.removeValue(forKey: rejection.id) != nil {
            inFlight -= 1
        }
        if let full = rejections.first(where: { $0.reason.hasPrefix(BatchClient.journalFullReason) }) {
            throw BatchClient.Failure.journalFull(full.reason)
        }
        try onEvent(.rejected(rejections))
    }

    private mutating func streamed(_ results: [KeyedResult], progress: StreamProgress, on socket: Socket) throws {
        let fresh = cursor.accept(results, progress: progress)
        inFlight = max(0, inFlight - fresh.count)
        unfinished = progress.unfinished
        complete = progress.complete
        if progress.complete {
            // Every accepted task has finished: only unacknowledged ones can still be in flight.
            inFlight = unacknowledged.count
        }
        if progress.more {
            try send(.more(session: options.session), on: socket)
        }
        if !fresh.isEmpty {
            try onEvent(.results(fresh, unfinished: progress.unfinished))
        }
    }
}

extension BrokerReply {
    /// Whether the reply answers a submission or an ATTACH.
    fileprivate var acknowledges: Bool {
        switch self {
        case .accepted, .rejected, .attached, .results: true
        case .stream, .pong, .report, .error: false
        }
    }
}
