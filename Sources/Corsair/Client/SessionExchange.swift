import Logging
import ZeroMQ

/// The client's side of one ``SessionClient`` run, on its thread: what it has sent and not had acknowledged, where
/// it stands in the batch's results, and when the broker last spoke.
struct SessionExchange {
    let options: SessionClient.Options
    var source: (any TaskSource)?
    let logger: Logger
    let onEvent: @Sendable (SessionClient.Event) throws -> Void
    /// The connection, its deadlines and when the broker last spoke.
    private var link: BrokerLink

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

    /// Connects to the broker.
    init(
        options: SessionClient.Options,
        source: (any TaskSource)?,
        logger: Logger,
        sockets: ThreadSockets,
        onEvent: @escaping @Sendable (SessionClient.Event) throws -> Void
    ) throws {
        self.options = options
        self.source = source
        self.logger = logger
        self.onEvent = onEvent
        self.sourceDone = source == nil
        self.link = try BrokerLink(options: options.link, logger: logger, sockets: sockets)
    }

    private var follows: Bool { options.mode != .detach }

    /// Whether the run's work is done.
    var isDone: Bool {
        sourceDone && unacknowledged.isEmpty && !awaitingAttach && (!follows || complete)
    }

    /// The client thread's loop (`client-io`), which owns the socket; returns when done or cancelled.
    mutating func run(sockets: ThreadSockets, cancelled: Mailbox<Void>) throws {
        try start()
        let poller = Poller()
        while !isDone {
            guard try link.wait(poller, cancelled: cancelled) else { return }
            while !isDone, let reply = try link.receive() {
                try received(reply)
            }
            try fill()
            try link.checkDeadlines(at: .now) {
                BatchClient.Failure.timedOutWaiting(unfinished: Int(clamping: unfinished))
            }
            if link.needsReconnect(at: .now) {
                logger.info(
                    "broker silent or standing by, reconnecting",
                    metadata: ["broker": "\(link.broker)", "cursor": "\(cursor.cursor)"])
                try link.reconnect(sockets)
                try start()
            } else if link.pingIsDue(at: .now) {
                try link.send(.ping(session: options.session, wantsFlags: follows))
            }
        }
    }

    /// Attaches (unless detached) after the cursor, sends again every task not acknowledged, and sends more.
    private mutating func start() throws {
        if follows {
            // Only the first ATTACH of a submitter creates the session: a broker that does not know it later lost it.
            let attach: AttachOptions = options.mode == .submit && !wasAttached ? .create : []
            try link.send(.attach(session: options.session, after: cursor.cursor, options: attach))
            awaitingAttach = true
            complete = false
        }
        try link.submit(unacknowledged.values)
        link.acknowledgementDeadline =
            awaitingAttach || !unacknowledged.isEmpty ? .now + options.acknowledgementTimeout : nil
        try fill()
    }

    /// Sends tasks from the source while the window has room.
    private mutating func fill() throws {
        var tasks: [TaskSpec] = []
        while !sourceDone, room - tasks.count > 0 {
            guard let task = try source?.next() else {
                sourceDone = true
                break
            }
            tasks.append(task)
        }
        guard !tasks.isEmpty else { return }
        for task in tasks {
            unacknowledged[task.id] = task
        }
        inFlight += tasks.count
        try link.submit(tasks)
        if link.acknowledgementDeadline == nil {
            link.acknowledgementDeadline = .now + options.acknowledgementTimeout
        }
    }

    /// How many more tasks the window takes.
    private var room: Int {
        options.window - (options.mode == .detach ? unacknowledged.count : inFlight)
    }
}

extension SessionExchange {
    /// Handles one message from the broker.
    private mutating func received(_ reply: BrokerReply) throws {
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
            try streamed(results, progress: progress)
        case .pong(let known, _):
            if !known {
                logger.info(
                    "broker lost this client's session (restarted?), attaching again",
                    metadata: ["broker": "\(options.broker)", "cursor": "\(cursor.cursor)"])
                try start()
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
            link.acknowledgementDeadline = nil
        } else if progressed || link.acknowledgementDeadline == nil {
            link.acknowledgementDeadline = .now + options.acknowledgementTimeout
        }
    }

    private mutating func rejected(_ rejections: [TaskRejection]) throws {
        for rejection in rejections where unacknowledged.removeValue(forKey: rejection.id) != nil {
            inFlight -= 1
        }
        if let refusal = BatchClient.temporaryRefusal(among: rejections) {
            throw refusal
        }
        try onEvent(.rejected(rejections))
    }

    private mutating func streamed(_ results: [KeyedResult], progress: StreamProgress) throws {
        let fresh = cursor.accept(results, progress: progress)
        inFlight = max(0, inFlight - fresh.count)
        unfinished = progress.unfinished
        complete = progress.complete
        if progress.complete {
            // Every accepted task has finished: only unacknowledged ones can still be in flight.
            inFlight = unacknowledged.count
        }
        if progress.more {
            try link.send(.more(session: options.session))
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
