import Corsair
import ZeroMQ

/// One burst thread's share of a ``ClientBurst``: a DEALER per client, each with its own session and its batch
/// encoded ahead, and which of their results have come back.
///
/// - Note: Owned by its burst thread (`bench-burst-N`), like every socket it holds.
struct ClientGroup {
    private let plan: ClientBurst
    /// The burst's clients this group holds, by their number in the burst.
    private let clients: Range<Int>
    /// One DEALER per client, in the order of `clients`; owned by the group's thread.
    private let sockets: [Socket]
    /// Each client's session, in the order of `clients`.
    private let sessions: [[UInt8]]
    /// Each client's SUBMITs (``ClientBurst/submits(session:)``), encoded before the burst.
    private let submits: [[[[UInt8]]]]
    private let mailbox: Mailbox<ClientBurst.Command>
    private let poller = Poller()
    /// The poller's item for ``mailbox``; the sockets' items are their indices.
    private let mailboxItem: Int
    /// Whether each task's result is back, at `client index × tasks per client + task number`.
    private var received: [Bool]
    private var missing: Int
    private var pongs = 0
    private var last = ContinuousClock.now

    /// Opens and connects a DEALER for each of `clients`, from `sockets`.
    init(
        _ plan: ClientBurst,
        clients: Range<Int>,
        sockets: ThreadSockets,
        mailbox: Mailbox<ClientBurst.Command>
    ) throws {
        self.plan = plan
        self.clients = clients
        self.mailbox = mailbox
        var opened: [Socket] = []
        for _ in clients {
            let socket = try sockets.open(.dealer, LoadGenerator.socketSetup)
            try socket.connect(plan.endpoint)
            poller.add(socket)
            opened.append(socket)
        }
        self.sockets = opened
        mailboxItem = poller.add(fileDescriptor: mailbox.fileDescriptor)
        sessions = clients.map { _ in ClientProtocol.randomSession() }
        submits = try sessions.map { try plan.submits(session: $0) }
        received = [Bool](repeating: false, count: clients.count * plan.tasksPerClient)
        missing = received.count
    }

    /// Has every client PING the broker and waits for every PONG: the connections are up before the burst.
    ///
    /// - Returns: `false` when the bench said stop instead.
    mutating func greet() throws -> Bool {
        for (socket, session) in zip(sockets, sessions) {
            try socket.send(ClientMessage.ping(session: session).encoded)
        }
        return try read { $0.pongs == $0.sockets.count }
    }

    /// Waits, reading nothing from the broker, until the bench says go.
    ///
    /// - Returns: `false` when the bench said stop instead.
    func waitForGo() throws -> Bool {
        let poller = Poller()
        let item = poller.add(fileDescriptor: mailbox.fileDescriptor)
        while true {
            _ = try poller.poll(timeout: nil)
            if poller.isReadable(item), let command = mailbox.drain().first {
                return command == .go
            }
        }
    }

    /// Sends every client's batch, then reads until every result is back and ``ClientBurst/duplicateWatch`` has
    /// passed with no result more.
    ///
    /// - Returns: when the last result came, or `nil` when the bench said stop.
    /// - Throws: a ``BenchError`` when a result is missing after ``ClientBurst/patience``, comes twice, belongs to no
    ///   task submitted or failed, or when the broker refuses a task.
    mutating func burst() throws -> ContinuousClock.Instant? {
        for (socket, messages) in zip(sockets, submits) {
            for message in messages {
                try socket.send(message)
            }
        }
        guard try read(until: { $0.missing == 0 }) else { return nil }
        let watchEnd = ContinuousClock.now + ClientBurst.duplicateWatch
        while ContinuousClock.now < watchEnd {
            if try readOnce(timeout: watchEnd - .now) == .stop { return nil }
        }
        return last
    }

    /// What one wait on the clients' sockets brought.
    private enum Wake {
        /// The bench said stop.
        case stop
        /// Nothing came in time.
        case quiet
        /// Replies came and were handled.
        case replies
    }

    /// Reads the clients' replies until `isDone`.
    ///
    /// - Returns: `false` when the bench said stop first.
    private mutating func read(until isDone: (Self) -> Bool) throws -> Bool {
        while !isDone(self) {
            switch try readOnce(timeout: ClientBurst.patience) {
            case .stop:
                return false
            case .quiet:
                throw BenchError(
                    "clients \(clients.lowerBound)…\(clients.upperBound - 1): no reply for "
                        + "\(ClientBurst.patience) with \(sockets.count - pongs) PONGs and \(missing) results missing")
            case .replies:
                continue
            }
        }
        return true
    }

    /// Waits up to `timeout` for replies and handles those that came.
    private mutating func readOnce(timeout: Duration) throws -> Wake {
        guard try poller.poll(timeout: timeout) > 0 else { return .quiet }
        if poller.isReadable(mailboxItem), mailbox.drain().contains(.stop) {
            return .stop
        }
        for index in sockets.indices where poller.isReadable(index) {
            while let frames = try sockets[index].receive(blocking: false) {
                try handle(BrokerReply(decoding: frames), client: index)
            }
        }
        return .replies
    }

    /// Records what the broker sent to the client at `index` in the group.
    private mutating func handle(_ reply: BrokerReply, client index: Int) throws {
        let name = "client \(clients.lowerBound + index)"
        switch reply {
        case .pong:
            pongs += 1
        case .results(let results):
            for result in results {
                guard result.outcome == .succeeded else {
                    let output = String(decoding: result.output, as: UTF8.self)
                    throw BenchError("\(name): task \(result.id) failed: \(output)")
                }
                guard let task = Int(result.id), (0..<plan.tasksPerClient).contains(task) else {
                    throw BenchError("\(name): a result for task \(result.id), which it never submitted")
                }
                let slot = index * plan.tasksPerClient + task
                guard !received[slot] else { throw BenchError("\(name): task \(task)'s result came twice") }
                received[slot] = true
                missing -= 1
                last = .now
            }
        case .rejected(let rejections):
            throw BenchError.rejected(rejections)
        case .error(let message):
            throw BenchError.refused(message)
        case .accepted, .report, .attached, .stream:
            break
        }
    }
}
