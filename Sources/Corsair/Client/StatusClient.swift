import Foundation
import ZeroMQ

/// Asks a broker about its state: what `corsair status`, `corsair workers` and `corsair tasks` show.
public struct StatusClient: Sendable {
    /// Why a query could not be answered, apart from ``BrokerUnavailable`` (no answer within the timeout).
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The broker answered something that is not a report.
        case unexpectedReply(String)
        /// The broker stands by for another, which holds the journal they share (``StandbyReply``).
        case standby(String)

        public var description: String {
            switch self {
            case .unexpectedReply(let what):
                "unexpected reply from the broker: \(what)"
            case .standby(let what):
                "the broker does not serve: \(what)"
            }
        }
    }

    /// The broker endpoint, or several separated by commas (``BrokerEndpoints``): asked in turn until one that is
    /// not a standby answers.
    public var broker: String
    /// How long to wait for an answer.
    public var timeout: Duration
    /// The broker's public key and this client's key pair, when the broker speaks CURVE.
    public var curve: CurveClientKeys?

    /// Creates a client for `broker`.
    public init(broker: String, timeout: Duration = .seconds(5)) {
        self.broker = broker
        self.timeout = timeout
    }

    /// The broker's ``BrokerStatus``.
    public func status() async throws -> BrokerStatus {
        try JSONDecoder().decode(BrokerStatus.self, from: Data(try await ask(.status)))
    }

    /// The tasks that match `query`, newest first.
    public func tasks(_ query: TaskQuery) async throws -> [TaskStatus] {
        try JSONDecoder().decode([TaskStatus].self, from: Data(try await ask(.tasks(query))))
    }

    /// Cancels the tasks `request` names and says what became of each (see ``CancelRequest``).
    public func cancel(_ request: CancelRequest) async throws -> [CancelAnswer] {
        try JSONDecoder().decode([CancelAnswer].self, from: Data(try await ask(message: .cancel(request))))
    }

    /// The page of the worker named `id`, or `nil` when no connected worker has that name.
    public func worker(_ id: String) async throws -> WorkerReport? {
        try JSONDecoder().decode(WorkerReport?.self, from: Data(try await ask(.worker(id))))
    }

    /// Sends `query` and returns the REPORT's JSON.
    private func ask(_ query: BrokerQuery) async throws -> [UInt8] {
        try await ask(message: .query(query))
    }

    /// Sends `message` (a QUERY, CANCEL or SHUTDOWN) and returns the REPORT's JSON. The socket lives on a
    /// short-lived thread of its own, `status-io`, which creates, uses and closes it.
    func ask(message: ClientMessage) async throws -> [UInt8] {
        let broker = broker
        let timeout = timeout
        let curve = curve
        return try await SocketThread.run(named: "status-io") { sockets in
            try Self.firstServing(broker, timeout: timeout) { endpoint in
                try Self.exchange(message, broker: endpoint, timeout: timeout, curve: curve, sockets: sockets)
            }
        }
    }

    /// Runs `exchange` with each of the brokers `broker` names in turn (``BrokerEndpoints``), until one that does not
    /// stand by answers; with one broker, just once.
    static func firstServing<Value>(
        _ broker: String,
        timeout: Duration,
        _ exchange: (String) throws -> Value
    ) throws -> Value {
        let endpoints = BrokerEndpoints(broker).all
        var failure: any Error = BrokerUnavailable(broker: broker, waited: timeout)
        for endpoint in endpoints {
            do {
                return try exchange(endpoint)
            } catch let error as Failure where endpoints.count > 1 && error.isStandby {
                failure = error
            } catch let error as BrokerUnavailable where endpoints.count > 1 {
                failure = error
            }
        }
        throw failure
    }

    private static func exchange(
        _ message: ClientMessage,
        broker: String,
        timeout: Duration,
        curve: CurveClientKeys?,
        sockets: ThreadSockets
    ) throws -> [UInt8] {
        switch try reply(to: message, broker: broker, timeout: timeout, curve: curve, sockets: sockets) {
        case .report(let json):
            return json
        case .error(let message):
            if let refused = AccessRefused(brokerError: message, broker: broker) { throw refused }
            if message.hasPrefix(StandbyReply.errorPrefix) { throw Failure.standby(message) }
            throw Failure.unexpectedReply(message)
        case let other:
            throw Failure.unexpectedReply("\(other)")
        }
    }

    /// Sends `message` to `broker` on a new connection and returns its first reply.
    ///
    /// - Throws: ``BrokerUnavailable`` when none comes within `timeout`; a ``HandshakeFailure`` when the broker turns
    ///   the connection away.
    static func reply(
        to message: ClientMessage,
        broker: String,
        timeout: Duration,
        curve: CurveClientKeys?,
        sockets: ThreadSockets
    ) throws -> BrokerReply {
        let socket = try sockets.open(.dealer, .dealer(curve: curve))
        var watch = try HandshakeWatch(socket, broker: broker, curve: curve, sockets: sockets)
        try socket.connect(broker)
        try watch.send(message.encoded, on: socket, timeout: timeout)
        let poller = Poller()
        poller.add(socket)
        poller.add(watch.socket)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard try poller.poll(timeout: deadline - .now) > 0 else { continue }
            if let failure = try watch.failure() {
                throw failure
            }
            if let frames = try socket.receive(blocking: false) {
                return try BrokerReply(decoding: frames)
            }
        }
        throw BrokerUnavailable(broker: broker, waited: timeout)
    }
}

extension StatusClient.Failure {
    /// Whether the broker answered that it stands by.
    var isStandby: Bool {
        if case .standby = self { true } else { false }
    }
}
