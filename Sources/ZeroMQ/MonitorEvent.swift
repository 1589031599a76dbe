internal import CZeroMQ

/// One event from a socket monitor (`zmq_socket_monitor`): what happened to one of the socket's connections.
///
/// Read them from a ``SocketType/pair`` socket connected to the endpoint given to ``Socket/monitor(_:events:)``;
/// each monitor message decodes with ``init(frames:)``.
public struct MonitorEvent: Sendable, Hashable {
    /// Kinds of event, as a set for ``Socket/monitor(_:events:)``.
    public struct Kinds: OptionSet, Sendable, Hashable {
        public let rawValue: Int32
        /// Creates a set from libzmq's event bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// A connection was made.
        public static let connected = Kinds(rawValue: ZMQ_EVENT_CONNECTED)
        /// A listening socket accepted a connection.
        public static let accepted = Kinds(rawValue: ZMQ_EVENT_ACCEPTED)
        /// A connection ended.
        public static let disconnected = Kinds(rawValue: ZMQ_EVENT_DISCONNECTED)
        /// The security handshake completed.
        public static let handshakeSucceeded = Kinds(rawValue: ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        /// The handshake failed with no detail: most often the peer closed the connection during it.
        public static let handshakeFailedNoDetail = Kinds(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        /// The handshake failed on a protocol error; ``MonitorEvent/value`` is the `ZMQ_PROTOCOL_ERROR_*` code.
        public static let handshakeFailedProtocol = Kinds(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        /// Authentication failed; ``MonitorEvent/value`` is the ZAP status code (400, 500).
        public static let handshakeFailedAuth = Kinds(rawValue: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        /// The monitor stopped.
        public static let monitorStopped = Kinds(rawValue: ZMQ_EVENT_MONITOR_STOPPED)

        /// Every handshake outcome.
        public static let handshakes: Kinds = [
            .handshakeSucceeded, .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth,
        ]
    }

    /// What happened: exactly one of ``Kinds``' bits.
    public let kind: Kinds
    /// The event's value: a file descriptor, an errno, a protocol error code or a ZAP status code, by ``kind``.
    public let value: UInt32
    /// The endpoint of the connection, as libzmq names it.
    public let endpoint: String

    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`: the peers speak different security mechanisms (one CURVE,
    /// one plaintext).
    public static let mechanismMismatch = UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`: a CURVE box did not open, as with a wrong server key.
    public static let cryptographic = UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)

    /// Decodes one monitor message: a 6-byte frame (the event as 16 bits, the value as 32, native byte order) and
    /// the endpoint. Returns `nil` for anything else.
    public init?(frames: Multipart) {
        guard frames.count == 2, let header = frames.first, header.count == 6, let endpoint = frames.last else {
            return nil
        }
        let event = header.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        value = header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        kind = Kinds(rawValue: Int32(event))
        self.endpoint = String(decoding: endpoint, as: UTF8.self)
    }
}

extension Socket {
    /// Starts a monitor (`zmq_socket_monitor`) that publishes this socket's `events` on the inproc `endpoint`; read
    /// them with a ``SocketType/pair`` socket connected there, on this socket's thread.
    ///
    /// - Throws: ``ZeroMQError`` when libzmq refuses the endpoint.
    public func monitor(_ endpoint: String, events: MonitorEvent.Kinds) throws(ZeroMQError) {
        try zeroMQCall("zmq_socket_monitor(\(endpoint))") { zmq_socket_monitor(handle, endpoint, events.rawValue) }
    }

    /// Stops this socket's monitor, if it has one, and closes the socket libzmq publishes its events on; call on this
    /// socket's thread before the reading socket closes, and before this one does (once it is closed, this does
    /// nothing). libzmq sends each event from the context's I/O thread with a blocking send, so an event sent once the
    /// reader is gone (a connection of a socket being closed, or a reconnection while it lingers) blocks that thread
    /// for good, and with it every socket of the context: a test process's probes got no answer from a broker that
    /// had logged the worker joining, while a probe from a new context got one.
    public func stopMonitor() {
        guard !isClosed else { return }
        zmq_socket_monitor(handle, nil, 0)
    }
}
