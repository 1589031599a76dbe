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
        #expect(try Self.arrives(on: first) { try dealer.send([[1]]) }, "the first message arrived")

        watch.close(sockets)
        first.close(linger: .zero)
        // The dealer reconnects to a listener on the same port and handshakes again: an event for the closed watch.
        // A message sent before the dealer sees its old connection gone is lost with it, so it sends until one
        // arrives: only a stopped I/O thread lets none through.
        let second = try Self.bindAgain(endpoint)
        let arrived = try Self.arrives(on: second) { try dealer.send([[2]]) }
        #expect(arrived, "a message sent after the watch closed arrived")
        guard arrived else {
            // A stopped I/O thread holds the monitor's lock: closing would wait for it for good. The sockets stay
            // open on purpose, so that the failure is reported instead of the test process stopped by their deinit.
            for socket in [second, dealer] {
                _ = Unmanaged.passRetained(socket)
            }
            return
        }
        second.close(linger: .zero)
        sockets.closeAll()
    }

    /// Whether a message reaches `socket` within 5 s, `send` called every 100 ms until one does.
    private static func arrives(on socket: Socket, sending send: () throws -> Void) throws -> Bool {
        let poller = Poller()
        poller.add(socket)
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            try send()
            if try poller.poll(timeout: .milliseconds(100)) > 0, try socket.receive(blocking: false) != nil {
                return true
            }
        }
        return false
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
