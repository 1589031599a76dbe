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
        let socket = try sockets.open(.dealer, .dealer(curve: curve))
        var watch = try HandshakeWatch(socket, broker: broker, curve: curve, sockets: sockets)
        try socket.connect(broker)
        try watch.send(
            ClientMessage.ping(session: ClientProtocol.randomSession(), wantsFlags: true).encoded, on: socket,
            timeout: timeout)
        let poller = Poller()
        poller.add(socket)
        poller.add(watch.socket)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard try poller.poll(timeout: deadline - .now) > 0 else { continue }
            if let failure = try watch.failure() {
                throw failure
            }
            guard let frames = try socket.receive(blocking: false) else { continue }
            switch try BrokerReply(decoding: frames) {
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
        throw BrokerUnavailable(broker: broker, waited: timeout)
    }
}
