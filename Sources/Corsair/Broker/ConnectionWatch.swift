import Synchronization
import ZeroMQ

/// Watches the broker ROUTER's connections through its socket monitor: a lost connection goes to the state machine
/// (``BrokerStateMachine/connectionLost(at:)``), which probes the workers, and a failed handshake goes to whoever logs
/// and counts them (the ``ZAPHandler``, through ``BrokerLoop/Options/handshakeFailures``).
///
/// libzmq gives a socket one monitor (a second `zmq_socket_monitor` replaces the first), so this is the only one on
/// the ROUTER and carries every event anyone needs from it.
///
/// - Note: Owned by the broker I/O thread, like the ROUTER it watches; its PAIR socket lives and dies there too.
struct ConnectionWatch {
    /// The monitor's PAIR socket, for the broker loop's poller.
    let socket: Socket
    private let handshakeFailures: (@Sendable (MonitorEvent) -> Void)?

    private static let serial = Atomic<Int>(0)

    /// Starts monitoring `router`'s lost connections, and its failed handshakes when `handshakeFailures` takes them;
    /// call before `router` binds.
    ///
    /// - Throws: ``ZeroMQ/ZeroMQError`` when libzmq refuses the monitor or its socket.
    init(
        _ router: Socket,
        handshakeFailures: (@Sendable (MonitorEvent) -> Void)?,
        sockets: ThreadSockets
    ) throws(ZeroMQError) {
        let endpoint = "inproc://corsair-broker-connections-\(Self.serial.add(1, ordering: .relaxed).newValue)"
        var events: MonitorEvent.Kinds = .disconnected
        if handshakeFailures != nil {
            events.formUnion([.handshakeFailedNoDetail, .handshakeFailedProtocol])
        }
        try router.monitor(endpoint, events: events)
        socket = try sockets.open(.pair, .inproc)
        try socket.connect(endpoint)
        self.handshakeFailures = handshakeFailures
    }

    /// Reads every waiting event without blocking, hands the failed handshakes on, and returns how many connections
    /// were lost.
    func read() throws(ZeroMQError) -> Int {
        var lost = 0
        while let frames = try socket.receive(blocking: false) {
            guard let event = MonitorEvent(frames: frames) else { continue }
            if event.kind == .disconnected {
                lost += 1
            } else {
                handshakeFailures?(event)
            }
        }
        return lost
    }
}
