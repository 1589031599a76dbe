/// The broker turned this client's key away: the key is not in its `--allow-clients` directory (a worker's key, or
/// one removed there and reloaded with SIGHUP). The commands exit 77 (EX_NOPERM) for it, since the broker was reached
/// and the handshake worked: only the permission is missing.
public struct AccessRefused: Error, Sendable, Hashable, CustomStringConvertible {
    /// How the broker's ERROR reply to a client message from a key not allowed as a client begins.
    static let prefix = "refused: "

    /// The broker's endpoint.
    public var broker: String
    /// The broker's words, for example `key 'ops' (SHA256:…) is not allowed as a client (--allow-clients)`.
    public var reason: String

    /// The refusal an ERROR reply's `message` means, or `nil` when the broker refused something else.
    public init?(brokerError message: String, broker: String) {
        guard message.hasPrefix(Self.prefix) else { return nil }
        self.broker = broker
        self.reason = String(message.dropFirst(Self.prefix.count))
    }

    /// The ERROR reply's text for a key the broker does not allow as a client.
    static func message(keyName: String) -> String {
        "\(prefix)key \(keyName) is not allowed as a client (--allow-clients)"
    }

    public var description: String {
        "broker \(broker) refused this client: \(reason); add its .pub to the broker's --allow-clients directory"
    }
}
