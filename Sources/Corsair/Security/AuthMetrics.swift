import CoreMetrics

/// `corsair_auth_refused_total{reason}`: every peer the broker turned away, by reason. Made with the broker's
/// swift-metrics factory on whichever thread refuses (the ZAP thread, the broker I/O thread); counters are
/// thread-safe, and a Prometheus factory hands both threads the same series.
struct AuthMetrics {
    /// Why a peer was refused.
    enum Reason: String, CaseIterable {
        /// A CURVE key in neither allow directory (ZAP 400).
        case unknownKey = "unknown_key"
        /// A READY from a key not allowed as a worker.
        case notWorker = "not_worker"
        /// A client message from a key not allowed as a client.
        case notClient = "not_client"
        /// A peer that does not speak CURVE to the CURVE broker.
        case plaintext
        /// A handshake that broke off or did not decrypt: garbage, truncation, a wrong server key.
        case badHandshake = "bad_handshake"
        /// A ZAP request the handler could not read.
        case badRequest = "bad_zap_request"
    }

    private let counters: [Reason: Counter]

    init(factory: any MetricsFactory) {
        counters = Dictionary(
            uniqueKeysWithValues: Reason.allCases.map {
                (
                    $0,
                    Counter(
                        label: "corsair_auth_refused_total", dimensions: [("reason", $0.rawValue)], factory: factory)
                )
            })
    }

    func refused(_ reason: Reason) {
        counters[reason]?.increment()
    }
}

/// Keeps refusal logging bounded when thousands of bad handshakes arrive: at most ``linesPerWindow`` lines per
/// ``window``, and the next line logged says how many were left out. Every refusal is still counted in the metrics.
struct RefusalThrottle {
    static let window: Duration = .seconds(10)
    static let linesPerWindow = 20

    private var windowStart: ContinuousClock.Instant?
    private var lines = 0
    private var suppressed = 0

    /// Whether to log a refusal at `now`; when it is, how many were suppressed before it.
    mutating func admit(at now: ContinuousClock.Instant) -> Int? {
        if let start = windowStart, now - start < Self.window {
            guard lines < Self.linesPerWindow else {
                suppressed += 1
                return nil
            }
        } else {
            windowStart = now
            lines = 0
        }
        lines += 1
        defer { suppressed = 0 }
        return suppressed
    }
}
