package import ZeroMQ

/// What a peer concludes from the handshake events of its connection to the broker: whether the broker turned it
/// away, and why.
///
/// A handshake the broker drops with no detail is what a wrong server key looks like, but it is also what a broker
/// killed during the handshake looks like, and that broker may be back a moment later (DetachCrashTests: `corsair
/// wait` exited 69 after a broker was SIGKILLed mid-handshake). So such drops conclude only
/// ``dropsToConclude`` times in a row; a protocol error or a refused key concludes at once.
package struct HandshakeVerdict {
    /// How many handshakes in a row the broker must drop with no detail before the peer gives up: with libzmq's
    /// reconnect interval of 100 ms, a wrong server key is reported within about a third of a second.
    package static let dropsToConclude = 3

    private var succeeded = false
    private var drops = 0

    /// A verdict with no event seen yet.
    package init() {}

    /// Takes one monitor event; returns `true` when it, with those before it, means the broker turned this peer
    /// away. Nothing is concluded once a handshake has succeeded.
    package mutating func concludes(_ event: MonitorEvent) -> Bool {
        switch event.kind {
        case .handshakeSucceeded:
            succeeded = true
            return false
        case .handshakeFailedNoDetail:
            drops += 1
            return !succeeded && drops >= Self.dropsToConclude
        case _ where MonitorEvent.Kinds.handshakes.contains(event.kind):
            return !succeeded
        default:
            return false
        }
    }
}
