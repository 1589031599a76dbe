/// Finds a broker on the LAN by listening for its ``Beacon`` (`--discover [NAME]`).
public enum BrokerDiscovery {
    /// A broker heard, and what was ignored before it.
    public struct Found: Sendable, Hashable {
        /// The endpoint to connect to, a wildcard host replaced by the beacon's sender.
        public var endpoint: String
        /// Where the beacon came from.
        public var sender: String
        /// Datagrams ignored before it: not a beacon (malformed, foreign), or a beacon of another name.
        public var ignored: Int
    }

    /// No beacon of the name came in time.
    public struct NotFound: UnavailableError, CustomStringConvertible {
        public var name: String
        public var port: UInt16
        public var waited: Duration
        public var ignored: Int
        public var description: String {
            "no broker named '\(name)' announced itself on UDP port \(port) within \(DurationParser.format(waited))"
                + " (\(ignored) other datagram(s) ignored)"
        }
    }

    /// Listens on UDP `port` (every local IPv4 address) until a beacon named `name` arrives, ignoring and counting
    /// everything else, for at most `timeout`. Blocks the calling thread.
    ///
    /// - Throws: ``NotFound`` after `timeout`; ``UDPSocketError`` when the port cannot be bound.
    public static func find(name: String, port: UInt16, timeout: Duration) throws -> Found {
        let socket = try UDPSocket(reuse: true)
        defer { socket.close() }
        try socket.bind(port: port)
        let deadline = ContinuousClock.now + timeout
        var ignored = 0
        while ContinuousClock.now < deadline {
            guard let (bytes, sender) = try socket.receive(timeout: deadline - .now) else { continue }
            guard let beacon = try? Beacon(decoding: bytes), beacon.name == name else {
                ignored += 1
                continue
            }
            return Found(endpoint: beacon.endpoint(from: sender), sender: sender, ignored: ignored)
        }
        throw NotFound(name: name, port: port, waited: timeout, ignored: ignored)
    }
}
