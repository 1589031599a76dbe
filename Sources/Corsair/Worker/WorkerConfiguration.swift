/// How a worker connection behaves. Every field has a flag on `corsair-worker`.
public struct WorkerConfiguration: Sendable, Hashable {
    /// The broker endpoint, for example `tcp://broker.example:5555`.
    public var broker: String
    /// The category this connection serves (MDP's service name).
    public var category: String
    /// The worker's name, shown by the broker in status and results.
    public var name: String
    /// The host and process id the broker shows in status, when known.
    public var host: String?
    public var pid: Int?
    /// How many tasks this connection runs at once (its credit; a plain MDP broker sends one at a time anyway).
    public var concurrency: Int = 1
    /// How often the worker heartbeats the broker when it has nothing else to send.
    public var heartbeatInterval: Duration = .seconds(1)
    /// Heartbeat intervals of broker silence after which the worker reconnects.
    public var liveness: Int = 3
    /// The first reconnect delay; it doubles on each failed attempt.
    public var reconnectInitial: Duration = .seconds(1)
    /// The longest reconnect delay.
    public var reconnectMaximum: Duration = .seconds(32)
    /// Exit when the broker has been away this long; `nil` retries forever.
    public var giveUpAfter: Duration?
    /// Lowers the result limit below what the broker's message limit allows (``ResultLimit``); `nil` keeps it.
    public var maxResultBytes: Int?
    /// The broker's public key and this worker's key pair, when the broker speaks CURVE.
    public var curve: CurveClientKeys?

    /// Creates a configuration with the defaults above.
    public init(broker: String, category: String, name: String) {
        self.broker = broker
        self.category = category
        self.name = name
    }
}
