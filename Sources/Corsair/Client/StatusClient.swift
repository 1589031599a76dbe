import Foundation
import ZeroMQ

/// Asks a broker about its state: what `corsair status`, `corsair workers` and `corsair tasks` show.
public struct StatusClient: Sendable {
    /// Why a query could not be answered.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// No answer within the timeout.
        case brokerUnavailable(broker: String, waited: Duration)
        /// The broker answered something that is not a report.
        case unexpectedReply(String)

        public var description: String {
            switch self {
            case .brokerUnavailable(let broker, let waited):
                "broker \(broker) did not answer within \(DurationParser.format(waited))"
            case .unexpectedReply(let what):
                "unexpected reply from the broker: \(what)"
            }
        }
    }

    /// The broker endpoint.
    public var broker: String
    /// How long to wait for an answer.
    public var timeout: Duration

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

    /// Sends `query` and returns the REPORT's JSON. The socket lives on a short-lived thread of its own,
    /// `status-io`, which creates, uses and closes it.
    private func ask(_ query: BrokerQuery) async throws -> [UInt8] {
        let answer = Completion<[UInt8]>()
        let broker = broker
        let timeout = timeout
        Thread.startNamed("status-io") {
            answer.complete(Result { try Self.exchange(query, broker: broker, timeout: timeout) })
        }
        return try await answer.value()
    }

    private static func exchange(_ query: BrokerQuery, broker: String, timeout: Duration) throws -> [UInt8] {
        let context = try Context()
        let socket = try Socket(context: context, type: .dealer)
        defer { socket.close() }
        try socket.connect(broker)
        try socket.send(ClientMessage.query(query).encoded)
        let poller = Poller()
        poller.add(socket)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard try poller.poll(timeout: deadline - .now) > 0, let frames = try socket.receive(blocking: false) else {
                continue
            }
            switch try BrokerReply(decoding: frames) {
            case .report(let json):
                return json
            case .error(let message):
                throw Failure.unexpectedReply(message)
            case let other:
                throw Failure.unexpectedReply("\(other)")
            }
        }
        throw Failure.brokerUnavailable(broker: broker, waited: timeout)
    }
}
