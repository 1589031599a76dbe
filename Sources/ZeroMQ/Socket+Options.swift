internal import CZeroMQ

extension Socket {
    /// Sets this socket's routing id (`ZMQ_ROUTING_ID`), the identity a ROUTER peer sees. Set it before connecting.
    public func setRoutingID(_ id: [UInt8]) throws(ZeroMQError) {
        try setOption(CZeroMQ_routingIDOption(), bytes: id, name: "ZMQ_ROUTING_ID")
    }

    /// Sets `ZMQ_LINGER`: how long pending messages are kept after ``close(linger:)``; `nil` is forever.
    public func setLinger(_ linger: Duration?) throws(ZeroMQError) {
        try setOption(ZMQ_LINGER, milliseconds: linger, name: "ZMQ_LINGER")
    }

    /// Sets `ZMQ_SNDHWM`, the outbound queue limit per peer in messages (0 is unlimited).
    public func setSendHighWaterMark(_ messages: Int) throws(ZeroMQError) {
        try setOption(ZMQ_SNDHWM, int: Int32(clamping: messages), name: "ZMQ_SNDHWM")
    }

    /// Sets `ZMQ_RCVHWM`, the inbound queue limit per peer in messages (0 is unlimited).
    public func setReceiveHighWaterMark(_ messages: Int) throws(ZeroMQError) {
        try setOption(ZMQ_RCVHWM, int: Int32(clamping: messages), name: "ZMQ_RCVHWM")
    }

    /// Sets `ZMQ_MAXMSGSIZE`: a peer that sends a larger frame is disconnected by libzmq. `nil` is no limit.
    public func setMaxMessageSize(_ bytes: Int?) throws(ZeroMQError) {
        var value = Int64(bytes ?? -1)
        try zeroMQCall("zmq_setsockopt(ZMQ_MAXMSGSIZE)") {
            zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size)
        }
    }

    /// Sets `ZMQ_ROUTER_MANDATORY`: a ROUTER then fails sends to unknown peers with
    /// ``ZeroMQError/Code/hostUnreachable`` instead of dropping them silently.
    public func setRouterMandatory(_ on: Bool) throws(ZeroMQError) {
        try setOption(ZMQ_ROUTER_MANDATORY, int: on ? 1 : 0, name: "ZMQ_ROUTER_MANDATORY")
    }

    /// Sets `ZMQ_IPV6`: with it on, a socket binds and connects IPv6 endpoints (`tcp://[::1]:5555`), and a wildcard
    /// bind (`tcp://*:5555`) takes IPv4 and IPv6 peers alike. Off, IPv6 endpoints fail with "No such device".
    public func setIPv6(_ on: Bool) throws(ZeroMQError) {
        try setOption(ZMQ_IPV6, int: on ? 1 : 0, name: "ZMQ_IPV6")
    }

    /// Sets `ZMQ_BACKLOG`: how many connections the kernel holds for a TCP endpoint this socket binds until libzmq
    /// accepts them (libzmq's default is 100; Linux caps it at `net.core.somaxconn`). A connection that finds the
    /// queue full has its SYN dropped and retries after 1, 3, 7… s. Set it before ``bind(_:)``.
    public func setBacklog(_ connections: Int) throws(ZeroMQError) {
        try setOption(ZMQ_BACKLOG, int: Int32(clamping: connections), name: "ZMQ_BACKLOG")
    }

    /// The `ZMQ_BACKLOG` of this socket: see ``setBacklog(_:)``.
    public func backlog() throws(ZeroMQError) -> Int {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try zeroMQCall("zmq_getsockopt(ZMQ_BACKLOG)") { zmq_getsockopt(handle, ZMQ_BACKLOG, &value, &size) }
        return Int(value)
    }

    /// Sets `ZMQ_IMMEDIATE`: queue messages only to completed connections.
    public func setImmediate(_ on: Bool) throws(ZeroMQError) {
        try setOption(ZMQ_IMMEDIATE, int: on ? 1 : 0, name: "ZMQ_IMMEDIATE")
    }

    /// Sets libzmq's own reconnect pacing for connected sockets (`ZMQ_RECONNECT_IVL`, `ZMQ_RECONNECT_IVL_MAX`).
    public func setReconnectInterval(_ interval: Duration, maximum: Duration) throws(ZeroMQError) {
        try setOption(ZMQ_RECONNECT_IVL, milliseconds: interval, name: "ZMQ_RECONNECT_IVL")
        try setOption(ZMQ_RECONNECT_IVL_MAX, milliseconds: maximum, name: "ZMQ_RECONNECT_IVL_MAX")
    }

    /// The endpoint this socket last bound or connected, with a wildcard port resolved (`ZMQ_LAST_ENDPOINT`).
    ///
    /// An IPv4 address that a socket with ``setIPv6(_:)`` on bound is reported by libzmq in its IPv4-mapped IPv6 form
    /// (`tcp://[::ffff:127.0.0.1]:5555`); it comes back here as the address it was given (`tcp://127.0.0.1:5555`).
    public func lastEndpoint() throws(ZeroMQError) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var size = buffer.count
        try zeroMQCall("zmq_getsockopt(ZMQ_LAST_ENDPOINT)") {
            buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, $0.baseAddress, &size) }
        }
        let length = buffer.firstIndex(of: 0) ?? min(size, buffer.count)
        let endpoint = String(decoding: buffer[..<length], as: UTF8.self)
        return Self.unmappingIPv4(endpoint)
    }

    /// `tcp://[::ffff:A.B.C.D]:PORT` as `tcp://A.B.C.D:PORT`; any other endpoint as it is.
    static func unmappingIPv4(_ endpoint: String) -> String {
        let prefix = "tcp://[::ffff:"
        guard endpoint.hasPrefix(prefix), let close = endpoint.firstIndex(of: "]") else { return endpoint }
        let address = endpoint[endpoint.index(endpoint.startIndex, offsetBy: prefix.count)..<close]
        guard address.contains(".") else { return endpoint }
        return "tcp://" + address + endpoint[endpoint.index(after: close)...]
    }

    private func setOption(_ option: Int32, int value: Int32, name: String) throws(ZeroMQError) {
        var value = value
        try zeroMQCall("zmq_setsockopt(\(name))") {
            zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size)
        }
    }

    private func setOption(_ option: Int32, milliseconds: Duration?, name: String) throws(ZeroMQError) {
        let value: Int32
        if let milliseconds {
            let (seconds, attoseconds) = milliseconds.components
            value = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        } else {
            value = -1
        }
        try setOption(option, int: value, name: name)
    }

    private func setOption(_ option: Int32, bytes: [UInt8], name: String) throws(ZeroMQError) {
        try zeroMQCall("zmq_setsockopt(\(name))") {
            bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        }
    }
}
