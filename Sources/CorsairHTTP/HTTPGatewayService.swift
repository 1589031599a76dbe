public import Corsair
import Hummingbird
public import Logging
public import ServiceLifecycle
import Synchronization

/// Runs an ``HTTPGateway`` as a ServiceLifecycle service, telling a failure to listen apart from later failures.
public struct HTTPGatewayService: Service {
    /// The gateway could not start listening, typically because the address is taken or not local.
    public struct ListenFailed: UnavailableError, CustomStringConvertible {
        public var address: HTTPAddress
        public var underlying: any Error
        public var description: String { "cannot listen on http://\(address): \(underlying)" }
    }

    private let gateway: HTTPGateway
    private let address: HTTPAddress
    private let logger: Logger

    /// Creates the service; it listens when run.
    public init(gateway: HTTPGateway, address: HTTPAddress, logger: Logger) {
        self.gateway = gateway
        self.address = address
        self.logger = logger
    }

    public func run() async throws {
        let listening = Atomic(false)
        let logger = logger
        let application = gateway.application(host: address.host, port: address.port, logger: logger) { bound in
            listening.store(true, ordering: .relaxed)
            logger.info("http gateway listening", metadata: ["address": "\(bound)"])
        }
        let gateway = gateway
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await gateway.sampleHistory() }
                defer { group.cancelAll() }
                try await application.run()
            }
        } catch let error where !listening.load(ordering: .relaxed) {
            throw ListenFailed(address: address, underlying: error)
        }
    }
}
