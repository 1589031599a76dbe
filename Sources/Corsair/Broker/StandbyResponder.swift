public import Logging
import Synchronization
public import ZeroMQ

/// A standby broker's endpoints: bound while the broker waits for a shared journal's lease, answering each peer with
/// ``StandbyReply`` (workers are sent away, `mmi.` requests and batch clients are told who is active), so that
/// monitoring sees the broker up and every peer moves on to the active one.
///
/// Its ROUTER is owned by a thread of its own, `broker-standby`; other threads reach it through ``noteActive(_:)``
/// and ``stop()``.
public final class StandbyResponder: Sendable {
    private enum Command {
        case stop
    }

    private let thread: SocketThread<Command>
    private let ready = Completion<[String]>()
    private let activeEndpoints = Mutex("")
    private let endpoints: [String]
    private let maxMessageSize: Int
    private let curve: CurveKeyPair?
    private let logger: Logger

    /// Creates the responder for `endpoints`, with the broker's `--max-message-size` and CURVE key pair.
    public init(endpoints: [String], maxMessageSize: Int, curve: CurveKeyPair?, logger: Logger) throws {
        thread = try SocketThread(name: "broker-standby")
        self.endpoints = endpoints
        self.maxMessageSize = maxMessageSize
        self.curve = curve
        self.logger = logger
    }

    /// Binds the endpoints and starts answering; returns the bound endpoints, wildcard ports resolved.
    ///
    /// - Throws: ``ZeroMQ/ZeroMQError`` when an endpoint cannot be bound.
    public func start() async throws -> [String] {
        thread.start { [self] sockets in
            do {
                try run(sockets)
            } catch {
                ready.complete(.failure(error))
                throw error
            }
        }
        return try await ready.value()
    }

    /// Notes the endpoints of the broker that holds the lease now, for the answers.
    public func noteActive(_ endpoints: String) {
        activeEndpoints.withLock { $0 = endpoints }
    }

    /// The endpoints of the broker that holds the lease, as last noted.
    public var active: String {
        activeEndpoints.withLock { $0 }
    }

    /// Unbinds the endpoints and waits until the thread has closed its socket, so the active broker can bind them.
    public func stop() async {
        thread.post(.stop)
        try? await thread.finished()
    }

    private func run(_ sockets: ThreadSockets) throws {
        let router = try sockets.open(.router, .brokerRouter(maxMessageSize: maxMessageSize, curve: curve))
        var bound: [String] = []
        for endpoint in endpoints {
            try router.bindRetrying(endpoint)
            bound.append(try router.lastEndpoint())
        }
        logger.info("broker standing by", metadata: ["endpoints": "\(bound.joined(separator: " "))"])
        ready.complete(.success(bound))
        let poller = Poller()
        let routerItem = poller.add(router)
        let mailboxItem = poller.add(fileDescriptor: thread.mailbox.fileDescriptor)
        while true {
            try poller.poll(timeout: nil)
            // The only command is stop.
            if poller.isReadable(mailboxItem), !thread.mailbox.drain().isEmpty {
                sockets.close(router)
                return
            }
            if poller.isReadable(routerItem) {
                try answer(router)
            }
        }
    }

    /// Answers every message waiting on `router`.
    private func answer(_ router: Socket) throws {
        while var frames = try router.receive(blocking: false) {
            guard frames.count >= 2 else { continue }
            let peer = frames.removeFirst()
            guard let inbound = try? MDPCodec.decodeAtBroker(frames),
                let reply = StandbyReply.reply(to: inbound, active: active),
                let encoded = try? MDPCodec.encode(reply)
            else { continue }
            _ = try? router.send(encoded, routingID: peer, blocking: false)
        }
    }
}
