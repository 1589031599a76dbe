/// What a standby broker (one waiting for a shared journal's lease, ``PostgresJournal``) answers each peer, so
/// that every peer moves on to the active broker instead of waiting on this one.
public enum StandbyReply {
    /// How a standby's ERROR to a batch client starts; a client with several brokers tries the next on it.
    public static let errorPrefix = "standby"

    /// The MMI status code a standby answers every `mmi.` request with, as HTTP's 503: here, but not serving.
    public static let mmiStatus = "503"

    /// The answer to `message`, while the broker at `active` (its endpoints, or what the lease names) is the active
    /// one; `nil` for a plain MDP client's task request, which is left to time out and retry elsewhere rather than
    /// be answered as if by a worker.
    public static func reply(to message: BrokerInbound, active: String) -> BrokerOutbound? {
        switch message {
        case .worker(_, let framing, let version):
            // A worker that registered here moves to its next broker; it is never given work.
            return .disconnect(framing, version: version)
        case .client(let request):
            guard request.category.hasPrefix(MDP.mmiPrefix) else { return nil }
            return .reply(
                request.framing, request.dialect, final: true, category: request.category,
                body: [Array(mmiStatus.utf8), Array(status(active: active).utf8)])
        case .batchClient(_, let framing):
            return .batch(framing, .error(status(active: active)))
        }
    }

    /// `standby, active is ENDPOINTS`: what a standby says of itself, on the wire and in `/healthz`.
    public static func status(active: String) -> String {
        "\(errorPrefix), active is \(active.isEmpty ? "unknown" : active)"
    }
}
