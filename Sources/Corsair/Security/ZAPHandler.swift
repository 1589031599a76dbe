public import CoreMetrics
import DequeModule
import Foundation
public import Logging
public import ZeroMQ

/// The broker's ZAP handler (RFC 27): decides, during each CURVE handshake, whether the client's key may connect.
///
/// It runs on a thread of its own, `broker-zap`, which owns the REP socket bound at `inproc://zeromq.zap.01` in the
/// process's context, where libzmq sends every ZAP request of every CURVE server socket. A key in the
/// ``AccessList`` gets status 200 and a `User-Id` (``PeerIdentity``) that the broker reads from message metadata; any
/// other gets 400. The thread also logs and counts the peers that fail before ZAP is asked (plaintext peers, garbage,
/// wrong server keys): the broker loop, which owns the ROUTER's one monitor, hands them over with
/// ``handshakeFailed(_:)``.
///
/// Start it before the broker binds, so that no handshake finds the handler missing (libzmq would then let every
/// key in).
public final class ZAPHandler: Sendable {
    /// The endpoint libzmq sends ZAP requests to (RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    enum Command: Sendable {
        case reload(CheckedContinuation<AccessList, any Error>)
        case handshakeFailed(MonitorEvent)
        case stop
    }

    private let initial: AccessList
    private let logger: Logger
    private let metrics: (any MetricsFactory)?
    private let thread: SocketThread<Command>
    private let ready = Completion<Void>()

    /// Creates the handler; nothing runs until ``start()``.
    public init(access: AccessList, logger: Logger, metrics: (any MetricsFactory)?) throws {
        self.initial = access
        self.logger = logger
        self.metrics = metrics
        self.thread = try SocketThread(name: "broker-zap")
    }

    /// Starts the thread and waits until it has bound the ZAP endpoint.
    ///
    /// - Throws: ``ZeroMQ/ZeroMQError`` when the endpoint is taken (another handler in this process).
    public func start() async throws {
        thread.start(leftover: Self.refuse) { [self] sockets in
            do {
                try run(sockets)
            } catch {
                ready.complete(.failure(error))
                throw error
            }
        }
        try await ready.value()
    }

    /// Reads both allow directories again and uses them for every handshake from now on. Connections already made
    /// are not touched here: the broker checks roles against the list it is given.
    ///
    /// - Returns: the new list.
    /// - Throws: ``KeyFileError`` when a directory or file is bad; the handler keeps the list it had.
    public func reload() async throws -> AccessList {
        try await withCheckedThrowingContinuation { continuation in
            if !thread.post(.reload(continuation)) {
                continuation.resume(throwing: BrokerLoop.NotRunning())
            }
        }
    }

    /// Logs and counts a handshake the broker's ROUTER saw fail before or without ZAP; what
    /// ``BrokerLoop/Options/handshakeFailures`` is given. Callable from any thread.
    public func handshakeFailed(_ event: MonitorEvent) {
        thread.post(.handshakeFailed(event))
    }

    /// Asks the thread to stop; ``finished()`` returns once its sockets are closed.
    public func requestStop() {
        thread.post(.stop)
    }

    /// Waits until the thread has exited.
    public func finished() async throws {
        try await thread.finished()
    }

    private static func refuse(_ command: Command) {
        if case .reload(let continuation) = command {
            continuation.resume(throwing: BrokerLoop.NotRunning())
        }
    }

    // MARK: - The ZAP thread

    /// Serves ZAP requests until told to stop; runs on the `broker-zap` thread, which owns the REP socket.
    private func run(_ sockets: ThreadSockets) throws {
        let replies = try sockets.open(.rep, .inproc)
        try replies.bind(Self.endpoint)
        ready.complete(.success(()))
        var state = ZAPState(access: initial, logger: logger, metrics: metrics.map(AuthMetrics.init))
        let poller = Poller()
        let replyItem = poller.add(replies)
        let mailboxItem = poller.add(fileDescriptor: thread.mailbox.fileDescriptor)
        while true {
            try poller.poll(timeout: nil)
            if poller.isReadable(mailboxItem) {
                for command in thread.mailbox.drain() {
                    switch command {
                    case .reload(let continuation):
                        continuation.resume(with: Result { () throws(KeyFileError) in try state.reload() })
                    case .handshakeFailed(let event):
                        state.handshakeFailed(event)
                    case .stop:
                        return
                    }
                }
            }
            if poller.isReadable(replyItem) {
                while let request = try replies.receive(blocking: false) {
                    try replies.send(state.answer(request))
                }
            }
        }
    }
}

/// What the ZAP thread knows: the access list in force, its log throttle and its counters.
struct ZAPState {
    var access: AccessList
    let logger: Logger
    let metrics: AuthMetrics?
    var throttle = RefusalThrottle()

    /// Reads the directories again; keeps the old list when that fails.
    mutating func reload() throws(KeyFileError) -> AccessList {
        let list = try AccessList.load(workers: access.workersDirectory, clients: access.clientsDirectory)
        access = list
        logger.info(
            "allowed keys reloaded",
            metadata: ["keys.workers": "\(list.count(.worker))", "keys.clients": "\(list.count(.client))"])
        return list
    }

    /// The reply to one ZAP request: `1.0`, the request id, the status code and text, the user id, no metadata.
    mutating func answer(_ request: Multipart) -> Multipart {
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            refuse(.badRequest, metadata: ["zap.frames": "\(request.count)"])
            return reply(request.count > 1 ? request[1] : [], status: "400", text: "bad ZAP request", user: "")
        }
        let address = String(decoding: request[3], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        guard mechanism == "CURVE", request.count == 7, request[6].count == 32 else {
            refuse(.badRequest, metadata: ["peer.address": "\(address)", "zap.mechanism": "\(mechanism)"])
            return reply(request[1], status: "400", text: "CURVE only", user: "")
        }
        let (fingerprint, entry) = access.entry(forKey: request[6])
        guard let entry else {
            refuse(.unknownKey, metadata: ["peer.address": "\(address)", "key.fingerprint": "\(fingerprint)"])
            return reply(request[1], status: "400", text: "key not allowed", user: "")
        }
        let identity = PeerIdentity(fingerprint: fingerprint, address: address, name: entry.name)
        return reply(request[1], status: "200", text: "OK", user: identity.userID)
    }

    /// Logs and counts a handshake the broker's ROUTER saw fail before or without ZAP.
    mutating func handshakeFailed(_ event: MonitorEvent) {
        let reason: AuthMetrics.Reason
        switch event.kind {
        case .handshakeFailedProtocol where event.value == MonitorEvent.mechanismMismatch:
            reason = .plaintext
        case .handshakeFailedProtocol, .handshakeFailedNoDetail:
            reason = .badHandshake
        default:
            // Successes, and ZAP refusals, which ``answer(_:)`` already counted.
            return
        }
        refuse(
            reason,
            metadata: ["broker.endpoint": "\(event.endpoint)", "zmq.error": "0x\(String(event.value, radix: 16))"])
    }

    private mutating func refuse(_ reason: AuthMetrics.Reason, metadata: Logger.Metadata) {
        metrics?.refused(reason)
        guard let suppressed = throttle.admit(at: .now) else { return }
        var metadata = metadata
        metadata["reason"] = "\(reason.rawValue)"
        if suppressed > 0 {
            metadata["refusals.suppressed"] = "\(suppressed)"
        }
        logger.info("peer refused", metadata: metadata)
    }

    private func reply(_ id: [UInt8], status: String, text: String, user: String) -> Multipart {
        [Array("1.0".utf8), id, Array(status.utf8), Array(text.utf8), Array(user.utf8), []]
    }
}
