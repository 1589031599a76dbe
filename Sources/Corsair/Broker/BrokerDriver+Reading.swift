import Logging
import ZeroMQ

extension BrokerDriver {
    /// Hands the messages waiting on the ROUTER to the machine, as many as a ``PassBudget`` allows (at most 10 000,
    /// and for at most 5 ms unless `timed` is false), then ends the read pass
    /// (``BrokerStateMachine/readPassEnded(at:)``). On the broker I/O thread.
    ///
    /// - Returns: whether it read every waiting message.
    /// - Throws: ``ZeroMQError`` when the socket cannot be read.
    @discardableResult
    mutating func readRouter(timed: Bool = true) throws(ZeroMQError) -> Bool {
        var budget = PassBudget(startingAt: .now, timed: timed)
        let readAll = try readMessages(within: &budget)
        perform(machine.readPassEnded(at: .now))
        return readAll
    }

    /// Hands messages to the machine until the ROUTER has none waiting or `budget` is spent; returns whether the
    /// ROUTER ran dry.
    private mutating func readMessages(within budget: inout PassBudget) throws(ZeroMQError) -> Bool {
        if access == nil {
            while budget.allowsRead(at: .now) {
                guard let frames = try router.receive(blocking: false) else { return true }
                received(frames)
                streamJournal()
            }
        } else {
            // Only a broker checking roles reads each message's User-Id.
            while budget.allowsRead(at: .now) {
                guard let (frames, userID) = try router.receive(blocking: false, metadata: "User-Id") else {
                    return true
                }
                received(frames, userID: userID)
                streamJournal()
            }
        }
        return false
    }

    /// Tells the machine of the peers sends found gone, once the ROUTER has been read: a worker that sent its
    /// results and exited has them waiting there, and the machine would otherwise drop it and requeue tasks it had
    /// finished. The first send to a departed peer fails as soon as libzmq has taken down its pipe, which can be
    /// before the loop has read the last messages that came through it.
    mutating func settleUnreachable() {
        while !unreachable.isEmpty {
            do {
                try readRouter(timed: false)
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
