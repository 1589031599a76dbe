/// Running totals the broker keeps for status reports, fed by the events its state machine emits.
struct BrokerStatistics: Sendable, Hashable {
    /// Tasks accepted for queueing (duplicates excluded).
    var submitted = 0
    var succeeded = 0
    var failed = 0
    /// Tasks cancelled before they finished.
    var cancelled = 0
    /// Attempts that ended without a result and were requeued, by reason (`worker_lost`, `timeout`, an error text
    /// from a worker is counted as `failed`).
    var requeued: [String: Int] = [:]
    /// Messages that broke the protocol or made no sense in the peer's state.
    var badMessages = 0
    var lateReplies = 0
    /// Results not sent when they finished because their client was not reading (`+Withhold`).
    var resultsWithheld = 0

    /// The reasons retries are counted under.
    static let retryReasons = ["worker_lost", "timeout", "handed_back", "failed"]

    /// The reason a requeue is counted under: its own when it is one of ``retryReasons``, else `failed` (the text is
    /// an error a worker reported).
    static func retryReason(_ reason: String) -> String {
        retryReasons.contains(reason) ? reason : "failed"
    }

    mutating func record(_ event: BrokerEvent) {
        switch event {
        case .tasksAccepted(_, let accepted, _, _):
            submitted += accepted
        case .requestQueued:
            submitted += 1
        case .taskFinished(_, _, let outcome, _, _):
            switch outcome {
            case .succeeded: succeeded += 1
            case .cancelled: cancelled += 1
            case .failed, .rejected, .handedBack: failed += 1
            }
        case .taskRequeued(_, _, let reason, _):
            requeued[Self.retryReason(reason), default: 0] += 1
        case .badMessage, .unexpectedMessage:
            badMessages += 1
        case .lateReply:
            lateReplies += 1
        case .resultWithheld:
            resultsWithheld += 1
        case .workerJoined, .workerLeft, .taskDispatched, .shutdownRequested, .resultsWithheld, .resultsResumed:
            break
        }
    }
}
