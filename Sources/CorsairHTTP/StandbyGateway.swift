public import Corsair
public import Hummingbird
public import Logging

/// What `--http` answers while the broker stands by for another that holds a shared journal's lease: every route,
/// `/healthz` included, answers 503 with `{"status": "standby", "active": ENDPOINTS, "message": "standby, active is
/// ENDPOINTS"}`, so a load balancer's health check sends HTTP clients to the active broker.
public struct StandbyGateway: Sendable {
    private let active: @Sendable () -> String

    /// Creates the gateway; `active` gives the active broker's endpoints at the time of each request.
    public init(active: @escaping @Sendable () -> String) {
        self.active = active
    }

    /// The Hummingbird application listening on `host`:`port`.
    public func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        let answer: @Sendable (Request, BasicRequestContext) -> Response = { [active] _, _ in
            Self.response(active: active())
        }
        router.get("/healthz", use: answer)
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            router.on("**", method: method, use: answer)
        }
        return Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            logger: logger)
    }

    /// Listens on `address` and answers until the task is cancelled.
    public func run(on address: HTTPAddress, logger: Logger) async throws {
        try await application(host: address.host, port: address.port, logger: logger).runService()
    }

    /// The 503 every request gets.
    static func response(active: String) -> Response {
        struct Standby: Encodable {
            var status = "standby"
            var active: String
            var message: String
        }
        return JSONBody.response(
            Standby(active: active, message: StandbyReply.status(active: active)), status: .serviceUnavailable)
    }
}
