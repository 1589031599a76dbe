import ZeroMQ

extension StatusClient {
    /// What the broker says about itself (``BrokerFlags/durable``), asked with a PING that wants flags; `nil` for a
    /// broker that predates the flags and answers that PING with ERROR.
    ///
    /// - Throws: ``BrokerUnavailable`` when the broker does not answer within the timeout, ``HandshakeFailure`` when
    ///   it turns this client away at the handshake, ``AccessRefused`` when its key is not allowed as a client.
    public func flags() async throws -> BrokerFlags? {
        let broker = broker
        let timeout = timeout
        let curve = curve
        return try await SocketThread.run(named: "status-io") { sockets in
            try Self.firstServing(broker, timeout: timeout) { broker in
                try Self.flags(of: broker, timeout: timeout, curve: curve, sockets: sockets)
            }
        }
    }

    private static func flags(
        of broker: String,
        timeout: Duration,
        curve: CurveClientKeys?,
        sockets: ThreadSockets
    ) throws -> BrokerFlags? {
        let ping = ClientMessage.ping(session: ClientProtocol.randomSession(), wantsFlags: true)
        switch try reply(to: ping, broker: broker, timeout: timeout, curve: curve, sockets: sockets) {
        case .pong(_, let flags):
            return flags
        case .error(let message):
            if let refused = AccessRefused(brokerError: message, broker: broker) { throw refused }
            if message.hasPrefix(StandbyReply.errorPrefix) { throw Failure.standby(message) }
            return nil
        case let other:
            throw Failure.unexpectedReply("\(other)")
        }
    }
}
