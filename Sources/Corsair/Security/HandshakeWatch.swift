import Synchronization
package import ZeroMQ

/// Watches one DEALER's handshakes through a socket monitor, so that a peer the broker turns away at the handshake
/// learns why instead of waiting silently: the broker wants CURVE and this peer does not, the server key is wrong,
/// or the broker refused the key.
///
/// - Note: Owned by the thread that owns the watched socket; its PAIR socket lives and dies there too.
package struct HandshakeWatch {
    /// The monitor's PAIR socket, for the owner's poller.
    package let socket: Socket
    /// The socket whose handshakes this watches.
    private let watched: Socket
    private let broker: String
    private let curve: CurveClientKeys?
    private var verdict = HandshakeVerdict()

    private static let serial = Atomic<Int>(0)

    /// Starts monitoring `watched`'s handshakes; call before `watched` connects.
    ///
    /// - Throws: ``ZeroMQ/ZeroMQError`` when libzmq refuses the monitor.
    package init(
        _ watched: Socket,
        broker: String,
        curve: CurveClientKeys?,
        sockets: ThreadSockets
    ) throws(ZeroMQError) {
        let endpoint = "inproc://corsair-handshake-\(Self.serial.add(1, ordering: .relaxed).newValue)"
        try watched.monitor(endpoint, events: .handshakes)
        self.watched = watched
        socket = try sockets.open(.pair, .inproc)
        try socket.connect(endpoint)
        self.broker = broker
        self.curve = curve
    }

    /// The failure among the events waiting, as ``HandshakeVerdict`` concludes it; reads every waiting event
    /// without blocking.
    package mutating func failure() throws(ZeroMQError) -> HandshakeFailure? {
        var failure: HandshakeFailure?
        while let frames = try socket.receive(blocking: false) {
            guard let event = MonitorEvent(frames: frames) else { continue }
            if event.kind == .handshakeSucceeded {
                failure = nil
            }
            if verdict.concludes(event) {
                failure = HandshakeFailure(
                    broker: broker, event: event, usingCurve: curve != nil, fingerprint: curve?.fingerprint)
            }
        }
        return failure
    }

    /// Sends `message` on the watched `socket`. A DEALER whose handshake the broker refused has no connection left
    /// to queue a message on, so a blocking send would wait forever; this one never blocks. While the socket takes
    /// nothing it reads the watch: a refused handshake is thrown as its ``HandshakeFailure``, a socket that still
    /// takes nothing after `timeout` (a broker that stopped reading) as ``BrokerUnavailable``.
    package mutating func send(_ message: Multipart, on socket: Socket, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        let poller = Poller()
        poller.add(self.socket)
        while try !socket.send(message, blocking: false) {
            if let failure = try failure() {
                throw failure
            }
            guard ContinuousClock.now < deadline else {
                throw BrokerUnavailable(broker: broker, waited: timeout)
            }
            _ = try poller.poll(timeout: min(deadline - .now, .milliseconds(10)))
        }
    }

    /// Stops the monitor and closes its socket; call before the watched socket closes, since a socket being closed
    /// may still report handshakes, and libzmq's blocking send of an event nobody reads would stop the context's
    /// I/O thread for good (``ZeroMQ/Socket/stopMonitor()``).
    package func close(_ sockets: ThreadSockets) {
        watched.stopMonitor()
        sockets.close(socket)
    }
}
