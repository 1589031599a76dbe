/// Bad input: oversized and malformed messages are counted, and answered where an answer is possible.
extension BrokerStateMachine {
    /// Refuses a message over ``BrokerConfiguration/maxMessageSize``, naming the frame that crossed the limit.
    func checkSize(of frames: [[UInt8]]) throws(ProtocolError) {
        var total = 0
        for (index, frame) in frames.enumerated() {
            total += frame.count
            if total > configuration.maxMessageSize {
                let size = frames.reduce(0) { $0 + $1.count }
                throw ProtocolError(
                    frame: index, of: frames.count,
                    "message of \(size) bytes is over the \(configuration.maxMessageSize)-byte limit"
                        + " (--max-message-size)")
            }
        }
    }

    /// Counts a message that could not be decoded and answers where an answer is possible: a batch client is told
    /// why, and a worker (MDP/0.2 or 0.1) is dropped and told to disconnect in its version.
    mutating func rejectMalformed(
        _ frames: [[UInt8]],
        error: ProtocolError,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        emit(.badMessage(peer: peer, error: error))
        let framing: Framing = frames.first?.isEmpty == true ? .delimited : .rfc18
        let headerIndex = framing == .delimited ? 1 : 0
        guard headerIndex < frames.count else { return }
        switch frames[headerIndex] {
        case ClientProtocol.header:
            actions.append(.send(.batch(framing, .error(error.description)), to: peer))
        case MDP.workerHeader, MDP.workerHeader01:
            // RFC 18 and RFC 7: an invalid message makes the peer invalid; a registered worker is dropped and told so.
            let version: MDPVersion = frames[headerIndex] == MDP.workerHeader01 ? .v01 : .v02
            actions.append(.send(.disconnect(framing, version: version), to: peer))
            removeWorker(peer, reason: .protocolViolation, at: now)
        default:
            break
        }
    }
}
