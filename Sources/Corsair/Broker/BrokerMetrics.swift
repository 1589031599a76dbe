import CoreMetrics

/// The broker's counters and its dispatch latency histogram, made with a swift-metrics factory and fed by the
/// state machine's events on the broker I/O thread. Gauges (queue depth, in flight, workers) are read from
/// ``BrokerStateMachine/status(at:)`` when scraped instead, since they describe state rather than events.
struct BrokerMetrics {
    private let submitted: Counter
    private let succeeded: Counter
    private let failed: Counter
    private let cancelled: Counter
    private let badMessages: Counter
    private let lateReplies: Counter
    private let resultsWithheld: Counter
    private let dispatchLatency: Timer
    private let retried: [String: Counter]

    init(factory: any MetricsFactory) {
        submitted = Counter(label: "corsair_tasks_submitted_total", factory: factory)
        succeeded = Counter(label: "corsair_tasks_succeeded_total", factory: factory)
        failed = Counter(label: "corsair_tasks_failed_total", factory: factory)
        cancelled = Counter(label: "corsair_tasks_cancelled_total", factory: factory)
        badMessages = Counter(label: "corsair_messages_bad_total", factory: factory)
        lateReplies = Counter(label: "corsair_replies_late_total", factory: factory)
        resultsWithheld = Counter(label: "corsair_results_withheld_total", factory: factory)
        dispatchLatency = Timer(label: "corsair_dispatch_latency_seconds", factory: factory)
        retried = Dictionary(
            uniqueKeysWithValues: BrokerStatistics.retryReasons.map {
                ($0, Counter(label: "corsair_tasks_retried_total", dimensions: [("reason", $0)], factory: factory))
            })
    }

    func record(_ event: BrokerEvent) {
        switch event {
        case .tasksAccepted(_, let accepted, _, _):
            submitted.increment(by: accepted)
        case .requestQueued:
            submitted.increment()
        case .taskDispatched(_, _, _, _, let waited):
            dispatchLatency.recordNanoseconds(waited.nanoseconds)
        case .taskFinished(_, _, let outcome, _, _):
            switch outcome {
            case .succeeded: succeeded.increment()
            case .cancelled: cancelled.increment()
            case .failed, .rejected, .handedBack: failed.increment()
            }
        case .taskRequeued(_, _, let reason, _):
            retried[BrokerStatistics.retryReason(reason)]?.increment()
        case .badMessage, .unexpectedMessage:
            badMessages.increment()
        case .lateReply:
            lateReplies.increment()
        case .resultWithheld:
            resultsWithheld.increment()
        case .workerJoined, .workerLeft, .shutdownRequested, .resultsWithheld, .resultsResumed:
            break
        }
    }

    func recordEmptyMessage() {
        badMessages.increment()
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
