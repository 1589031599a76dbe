import Corsair
import CorsairHTTP
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

/// A real broker loop in this process (on a loopback port), with the gateway's routes in front of it.
struct GatewayHarness {
    let loop: BrokerLoop
    let endpoint: String

    /// Starts the broker loop and runs `body` with the gateway's test client; stops the loop after.
    static func run(
        _ configure: (inout BrokerConfiguration) -> Void = { _ in },
        _ body: @Sendable (GatewayHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        var configuration = BrokerConfiguration()
        configure(&configuration)
        let registry = PrometheusCollectorRegistry()
        let loop = try BrokerLoop(
            configuration: configuration, options: .init(endpoints: ["tcp://127.0.0.1:*"]),
            logger: Logger(label: "corsair.test"), metrics: HTTPGateway.metricsFactory(for: registry))
        let endpoint = try #require(try await loop.start().first)
        let harness = GatewayHarness(loop: loop, endpoint: endpoint)
        let application = Application(router: HTTPGateway(loop: loop, registry: registry).router())
        do {
            try await application.test(.router) { client in try await body(harness, client) }
        } catch {
            loop.requestStop()
            try await loop.finished()
            throw error
        }
        loop.requestStop()
        try await loop.finished()
    }
}

extension TestClientProtocol {
    /// Sends `method` to `uri` with `body`, returning the status and the body parsed as JSON.
    func json(
        _ method: HTTPRequest.Method, _ uri: String, body: String? = nil
    ) async throws -> (HTTPResponse.Status, Any) {
        try await execute(uri: uri, method: method, body: body.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            return (response.status, value)
        }
    }

    /// The error answer of a refused request: its status, message, field and index.
    func refusal(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil) async throws -> Refusal {
        let (status, value) = try await json(method, uri, body: body)
        let object = try #require(value as? [String: Any], "expected a JSON object, got \(value)")
        return Refusal(
            status: status, error: try #require(object["error"] as? String), field: object["field"] as? String,
            index: object["index"] as? Int)
    }
}

struct Refusal: Equatable {
    var status: HTTPResponse.Status
    var error: String
    var field: String?
    var index: Int?
}
