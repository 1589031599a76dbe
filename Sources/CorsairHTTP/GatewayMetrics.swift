import Corsair
import Prometheus

/// The gauges of `GET /metrics`, set from a fresh ``BrokerStatus`` at each scrape; the counters and the dispatch
/// latency histogram are fed by the broker loop itself through the registry's factory.
struct GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    func update(from status: BrokerStatus) {
        gauge("uptime", unit: "seconds", "Time since the broker started.").set(Double(status.uptimeMilliseconds) / 1000)
        gauge("workers_connected", "Worker connections, all categories.").set(Double(status.workers.count))
        for category in status.categories {
            let labels = [("category", category.name)]
            gauge("queue_depth", labels: labels, "Tasks waiting for a worker.").set(Double(category.queued))
            gauge("in_flight", labels: labels, "Tasks running now.").set(Double(category.running))
            gauge("category_workers", labels: labels, "Workers serving the category.").set(Double(category.workers))
        }
        for (state, count) in status.tasks {
            gauge("tasks_tracked", labels: [("state", state)], "Tasks in the broker's table, by state.")
                .set(Double(count))
        }
    }

    /// The gauge `corsair_<name>[_<unit>]`, created at its first use and the same one after.
    private func gauge(_ name: String, unit: String = "", labels: [(String, String)] = [], _ help: String) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "corsair", metricName: name, unitName: unit, helpText: help),
            labels: labels)
    }
}
