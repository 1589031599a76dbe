public import Logging
public import ServiceLifecycle
import Synchronization

/// Sends a broker's ``Beacon`` to a UDP address every interval (`corsair-broker --announce [NAME]`), once the broker
/// has told it its endpoint; stops on graceful shutdown.
public final class BeaconAnnouncer: Service, Sendable {
    private let name: String
    private let host: String
    private let port: UInt16
    private let interval: Duration
    private let logger: Logger
    private let endpoint = Mutex<String?>(nil)

    /// Creates an announcer that sends to `host` (a dotted IPv4 address, typically a broadcast address) at `port`.
    public init(name: String, host: String, port: UInt16, interval: Duration = .seconds(1), logger: Logger) {
        self.name = name
        self.host = host
        self.port = port
        self.interval = interval
        self.logger = logger
    }

    /// Sets the endpoint the beacon names: the broker's first bound `tcp://` endpoint. Callable from any thread.
    public func announce(endpoints: [String]) {
        let first = endpoints.first { $0.hasPrefix("tcp://") }
        endpoint.withLock { $0 = first }
    }

    /// Sends a beacon every interval until graceful shutdown or cancellation; a failed send is logged and retried at
    /// the next interval.
    public func run() async throws {
        logger.info("announcing", metadata: ["beacon.name": "\(name)", "beacon.to": "\(host):\(port)"])
        try await cancelWhenGracefulShutdown { try await self.sendUntilCancelled() }
    }

    /// The sending loop; its socket is opened, used and closed in this one task.
    private func sendUntilCancelled() async throws {
        let socket = try UDPSocket(broadcast: true)
        defer { socket.close() }
        while !Task.isCancelled {
            if let endpoint = endpoint.withLock({ $0 }) {
                do {
                    try socket.send(Beacon(name: name, endpoint: endpoint).encoded, to: host, port: port)
                } catch {
                    logger.info("beacon not sent", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
