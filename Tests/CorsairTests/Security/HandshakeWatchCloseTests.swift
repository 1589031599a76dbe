import Foundation
import Testing
import ZeroMQ

@testable import Corsair

/// A handshake watch closed while its socket stays open, as a client or worker does when it reconnects. libzmq
/// sends monitor events from the context's I/O thread with a blocking send, so an event meant for a watch whose
/// reader had closed stopped that thread, and every socket of the shared context with it (probes in the test
/// process got no answer for 20 s from a broker that had logged the worker joining).
@Suite struct HandshakeWatchCloseTests {
    @Test("a watch closed before its socket leaves the I/O thread running when that socket handshakes again")
    func closedBeforeItsSocket() throws {
        let sockets = ThreadSockets()
        let first = try Socket(context: Context.shared, type: .router)
        try first.bind("tcp://127.0.0.1:*")
        let endpoint = try first.lastEndpoint()
        let dealer = try sockets.open(.dealer, .dealer)
        let watch = try HandshakeWatch(dealer, broker: endpoint, curve: nil, sockets: sockets)
        try dealer.connect(endpoint)
        try dealer.send([[1]])
        #expect(try Self.receives(on: first), "the first message arrived")

        watch.close(sockets)
        first.close(linger: .zero)
        // The dealer reconnects to a listener on the same port and handshakes again: an event for the closed watch.
        let second = try Self.bindAgain(endpoint)
        try dealer.send([[2]])
        let arrived = try Self.receives(on: second)
        #expect(arrived, "the message sent after the watch closed arrived")
        // A stopped I/O thread holds the monitor's lock: closing the sockets would wait for it for good.
        guard arrived else { return }
        second.close(linger: .zero)
        sockets.closeAll()
    }

    /// Whether a message reaches `socket` within 5 s.
    private static func receives(on socket: Socket) throws -> Bool {
        let poller = Poller()
        poller.add(socket)
        guard try poller.poll(timeout: .seconds(5)) > 0 else { return false }
        return try socket.receive(blocking: false) != nil
    }

    /// A ROUTER bound to `endpoint`, once the one closed there has let the port go.
    private static func bindAgain(_ endpoint: String) throws -> Socket {
        let socket = try Socket(context: Context.shared, type: .router)
        let deadline = ContinuousClock.now + .seconds(5)
        while (try? socket.bind(endpoint)) == nil {
            guard ContinuousClock.now < deadline else {
                try socket.bind(endpoint)
                break
            }
            usleep(10_000)
        }
        return socket
    }
}
