/// How a batch client reaches its broker: what ``BatchClient`` and ``SessionClient`` share.
public struct BrokerLinkOptions: Sendable {
    /// The broker endpoint, for example `tcp://localhost:5555`.
    public var broker: String
    /// The session (batch name, or random bytes) the broker files the tasks under.
    public var session: [UInt8]
    /// Most tasks per SUBMIT message.
    public var chunkSize = SubmitChunker.standardCount
    /// Most payload bytes per SUBMIT message, so a batch of large tasks stays far below the broker's
    /// `--max-message-size`; a task larger than this goes alone.
    public var chunkBytes = SubmitChunker.standardBytes
    /// How long the broker may leave a submission (or an ATTACH) unanswered before the client gives up.
    public var acknowledgementTimeout: Duration = .seconds(5)
    /// How long the whole run may take; `nil` waits as long as the broker answers.
    public var timeout: Duration?
    /// How often the client pings a broker it is waiting on.
    public var heartbeatInterval: Duration = .seconds(1)
    /// Ping intervals of broker silence after which the client reconnects.
    public var liveness = 3
    /// The broker's public key and this client's key pair, when the broker speaks CURVE.
    public var curve: CurveClientKeys?

    /// Creates options for `session`, random unless given.
    public init(broker: String, session: [UInt8] = ClientProtocol.randomSession()) {
        self.broker = broker
        self.session = session
    }
}
