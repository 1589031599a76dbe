import CorsairHTTP
import Prometheus
import Testing

@testable import Corsair

/// The broker's counters as `GET /metrics` renders them, fed with the state machine's events through the factory the
/// gateway hands the broker loop.
@Suite struct BrokerMetricsTests {
    @Test("counts each withheld result in corsair_results_withheld_total, not the first-of-a-run or resumed events")
    func resultsWithheld() {
        let registry = PrometheusCollectorRegistry()
        let metrics = BrokerMetrics(factory: HTTPGateway.metricsFactory(for: registry))
        let peer = PeerID([0xc1])
        #expect(registry.emitToString().contains("corsair_results_withheld_total 0\n"))
        metrics.record(.resultsWithheld(session: "b", peer: peer, unreadBytes: 10))
        for _ in 0..<3 {
            metrics.record(.resultWithheld(session: "b", peer: peer))
        }
        metrics.record(.resultsResumed(session: "b", peer: peer, sent: 3, forgotten: 0))
        #expect(registry.emitToString().contains("corsair_results_withheld_total 3\n"))
    }
}
