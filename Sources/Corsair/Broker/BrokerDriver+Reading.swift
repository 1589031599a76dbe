import Logging
import ZeroMQ

extension BrokerDriver {
    /// The most messages one read pass hands over, so that timers run at least this often.
    static let readBudget = 10_000

    /// Hands the messages waiting on the ROUTER to the machine, at most ``readBudget``, then ends the read pass
    /// (``BrokerStateMachine/readPassEnded(at:)``). On the broker I/O thread.
    ///
    /// - Returns: whether it read every waiting message.
    /// - Throws: ``ZeroMQError`` when the socket cannot be read.
    @discardableResult
    mutating func readRouter() throws(ZeroMQError) -> Bool {
        var budget = Self.readBudget
        if access == nil {
            while budget > 0, let frames = try router.receive(blocking: false) {
                budget -= 1
                received(frames)
            }
        } else {
            // Only a broker checking roles reads each message's User-Id.
            while budget > 0, let (frames, userID) = try router.receive(blocking: false, metadata: "User-Id") {
                budget -= 1
                received(frames, userID: userID)
            }
        }
        perform(machine.readPassEnded(at: .now))
        return budget > 0
    }

    /// Tells the machine of the peers sends found gone, once the ROUTER has been read: a worker that sent its
    /// results and exited has them waiting there, and the machine would otherwise drop it and requeue tasks it had
    /// finished. The first send to a departed peer fails as soon as libzmq has taken down its pipe, which can be
    /// before the loop has read the last messages that came through it.
    mutating func settleUnreachable() {
        while !unreachable.isEmpty {
            do {
                try readRouter()
            } catch {
                logger.error("cannot read the ROUTER", metadata: ["error": "\(error)"])
            }
            let peers = unreachable
            unreachable.removeAll()
            for peer in peers {
                perform(machine.peerUnreachable(peer, at: .now))
            }
        }
    }
}
