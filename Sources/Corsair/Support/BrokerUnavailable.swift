/// An error meaning a peer or an endpoint is out of reach: Corsair's commands exit 69 (EX_UNAVAILABLE) for it.
public protocol UnavailableError: Error {}

/// The broker did not answer in time: a client's submission or query went unacknowledged, or a worker's broker stayed
/// away past `--give-up-after`.
public struct BrokerUnavailable: UnavailableError, Sendable, Hashable, CustomStringConvertible {
    /// The broker's endpoint.
    public var broker: String
    /// How long the broker was waited for.
    public var waited: Duration

    /// Creates the error for `broker`, silent for `waited`.
    public init(broker: String, waited: Duration) {
        self.broker = broker
        self.waited = waited
    }

    public var description: String {
        "broker \(broker) did not answer within \(DurationParser.format(waited))"
    }
}
