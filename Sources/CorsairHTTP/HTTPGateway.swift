public import Corsair
import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import Prometheus

/// The broker's HTTP face (`corsair-broker --http HOST:PORT`): a JSON API over the broker's task table, Prometheus
/// metrics, and a live dashboard.
///
/// Routes:
/// - `POST /v1/tasks`: one task or an array (JSON lines fields); `?batch=NAME` files them under a batch (default
///   `http`). Answers 202 with the ids taken.
/// - `GET /v1/tasks/{id}` (`?batch=` picks among equal ids; the newest wins otherwise), `GET /v1/tasks?state=…&
///   category=…&batch=…&limit=…`, `GET /v1/workers`, `GET /v1/workers/{id}` (one worker's page, 404 when unknown),
///   `GET /v1/status`, `GET /v1/batches?limit=` (progress of the newest batches), `GET /v1/history` (the last
///   five minutes, a sample a second, for the dashboard's charts).
/// - `DELETE /v1/tasks/{id}` (`?batch=`) and `DELETE /v1/batches/{name}` cancel (see `HTTPGateway+Cancel`).
/// - `GET /healthz`, `GET /metrics` (Prometheus text), `GET /` (the dashboard).
///
/// With a ``BearerToken`` every route but `/healthz` answers 401 without `Authorization: Bearer TOKEN`.
///
/// Every answer comes from the ``BrokerLoop``'s own thread through its mailbox: the gateway never touches the
/// broker's ZeroMQ socket. Bad input gets a 4xx with a JSON body naming the field; nothing reaches the queue
/// half-parsed.
public struct HTTPGateway: Sendable {
    /// The batch that tasks posted without `?batch=` join.
    public static let defaultBatch = "http"
    /// The largest request body read.
    public static let maximumBodySize = 16 << 20

    let loop: BrokerLoop
    private let metrics: GatewayMetrics
    private let token: BearerToken?
    /// The dashboard's charts' data, sampled while ``HTTPGatewayService`` runs (see ``sampleHistory()``).
    let history = DashboardHistory()

    /// Creates a gateway to `loop`, whose counters must come from `registry`'s factory (see ``metricsFactory(for:)``).
    ///
    /// - Parameter token: when given, every route but `/healthz` wants `Authorization: Bearer` with it (401 else).
    public init(loop: BrokerLoop, registry: PrometheusCollectorRegistry, token: BearerToken? = nil) {
        self.loop = loop
        self.metrics = GatewayMetrics(registry: registry)
        self.token = token
    }

    /// The swift-metrics factory to give ``BrokerLoop``, so its counters and dispatch latency land in `registry`.
    public static func metricsFactory(for registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["corsair_dispatch_latency_seconds"] = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
            .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
            .seconds(60),
        ]
        return factory
    }

    /// The routes, for an ``Hummingbird/Application`` (or a test client).
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        if let token {
            router.add(middleware: BearerTokenMiddleware(token: token))
        }
        router.get("/") { _, _ in Dashboard.response }
        router.get("/healthz") { _, _ in await health() }
        router.get("/metrics") { _, _ in await metricsText() }
        router.get("/v1/status") { _, _ in await answer { try await loop.status() } }
        router.get("/v1/workers") { _, _ in await answer { try await loop.status().workers } }
        router.get("/v1/workers/{id}") { _, context in
            await answer {
                let id = try context.parameters.require("id")
                guard let report = try await loop.worker(named: id) else {
                    throw GatewayError(.notFound, "no worker '\(id)'", field: "id")
                }
                return report
            }
        }
        router.get("/v1/history") { _, _ in await answer { history.all } }
        router.get("/v1/batches") { request, _ in
            await answer { try await loop.batches(limit: try TaskListQuery.batchLimit(request.queryDictionary)) }
        }
        router.get("/v1/tasks") { request, _ in
            await answer { try await loop.tasks(matching: TaskListQuery.parse(request.queryDictionary)) }
        }
        router.get("/v1/tasks/{id}") { request, context in
            await answer {
                let id = try context.parameters.require("id")
                let batch = try TaskListQuery.single(request.queryDictionary)
                guard let task = try await loop.tasks(matching: TaskQuery(batch: batch, id: id, limit: 1)).first else {
                    throw GatewayError(
                        .notFound, "no task '\(id)'" + (batch.map { " in batch '\($0)'" } ?? ""), field: "id")
                }
                return task
            }
        }
        addCancelRoutes(to: router)
        router.post("/v1/tasks") { request, _ in
            await answer(status: .accepted) {
                let batch = try TaskListQuery.single(request.queryDictionary) ?? Self.defaultBatch
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: Self.maximumBodySize)
                } catch {
                    throw GatewayError(
                        .contentTooLarge, "body is larger than \(Self.maximumBodySize) bytes", field: "body")
                }
                let tasks = try TaskSubmission.parse(Array(buffer: body))
                let receipt = try await loop.submit(tasks, batch: Array(batch.utf8))
                return SubmissionAnswer(batch: batch, receipt: receipt)
            }
        }
        return router
    }

    /// An application serving ``router()`` at `host`:`port`, to run as a ServiceLifecycle service.
    public func application(
        host: String,
        port: Int,
        logger: Logger,
        onRunning: @escaping @Sendable (String) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(), configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let bound = channel.localAddress
                await onRunning("http://\(bound?.ipAddress ?? host):\(bound?.port ?? port)")
            },
            logger: logger)
    }

    /// Samples the broker into ``history`` once a second until cancelled; a broker that does not answer is skipped.
    func sampleHistory() async {
        while !Task.isCancelled {
            if let status = try? await loop.status() {
                history.record(status, at: UInt64(Date().timeIntervalSince1970 * 1000))
            }
            try? await Task.sleep(for: DashboardHistory.interval)
        }
    }

    // MARK: - Handlers

    /// Runs `body` and encodes what it returns, or the error it throws.
    func answer(
        status: HTTPResponse.Status = .ok,
        _ body: () async throws -> some Encodable
    ) async -> Response {
        do {
            return JSONBody.response(try await body(), status: status)
        } catch let error as GatewayError {
            return error.response
        } catch is BrokerLoop.NotRunning {
            return GatewayError(.serviceUnavailable, "the broker is stopping").response
        } catch {
            return GatewayError(.internalServerError, "\(error)").response
        }
    }

    private func health() async -> Response {
        struct Health: Encodable {
            var status: String
            var uptimeMilliseconds: Int64
            var workers: Int
        }
        do {
            let status = try await loop.status()
            return JSONBody.response(
                Health(status: "ok", uptimeMilliseconds: status.uptimeMilliseconds, workers: status.workers.count))
        } catch {
            return GatewayError(.serviceUnavailable, "the broker is not running").response
        }
    }

    private func metricsText() async -> Response {
        do {
            metrics.update(from: try await loop.status())
        } catch {
            return GatewayError(.serviceUnavailable, "the broker is not running").response
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }
}

/// The answer to `POST /v1/tasks`.
struct SubmissionAnswer: Encodable {
    var batch: String
    var accepted: [String]
    var duplicates: Int
    var rejected: [Rejection]

    struct Rejection: Encodable {
        var id: String
        var reason: String
    }

    init(batch: String, receipt: SubmitReceipt) {
        self.batch = batch
        self.accepted = receipt.accepted
        self.duplicates = receipt.duplicates
        self.rejected = receipt.rejected.map { Rejection(id: $0.id, reason: $0.reason) }
    }
}

extension Request {
    /// The query string's parameters; of a repeated one, the first.
    var queryDictionary: [String: String] {
        var parameters: [String: String] = [:]
        for (key, value) in uri.queryParameters where parameters[String(key)] == nil {
            parameters[String(key)] = String(value)
        }
        return parameters
    }
}
