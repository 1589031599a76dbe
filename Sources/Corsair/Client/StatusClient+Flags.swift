import ZeroMQ

extension StatusClient {
    /// What the broker says about itself (``BrokerFlags/durable``), asked with a PING that wants flags; `nil` for a
    /// broker that predates the flags and answers that PING with ERROR.
    ///
    /// - Throws: ``BrokerUnavailable`` when the broker does not answer within the timeout.
    public func flags() async throws -> BrokerFlags? {
        let broker = broker
        let timeout = timeout
        return try await SocketThread.run(named: "status-io") { sockets in
            let socket = try sockets.open(.dealer, .dealer)
            try socket.connect(broker)
            try socket.send(ClientMessage.ping(session: ClientProtocol.randomSession(), wantsFlags: true).encoded)
            let poller = Poller()
            poller.add(socket)
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                guard try poller.poll(timeout: deadline - .now) > 0, let frames = try socket.receive(blocking: false)
                else { continue }
                switch try BrokerReply(decoding: frames) {
                case .pong(_, let flags):
                    return flags
                case .error:
                    return nil
                case let other:
                    throw Failure.unexpectedReply("\(other)")
                }
            }
            throw BrokerUnavailable(broker: broker, waited: timeout)
        }
    }
}
