/// What the ZAP handler tells the broker about an authenticated connection, through the `User-Id` it returns and
/// libzmq attaches to each message as metadata: the key's fingerprint, the peer's address and the key's name,
/// separated by tabs (a key name never holds one).
public struct PeerIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The key's ``KeyFingerprint``.
    public var fingerprint: String
    /// The peer's IP address, as the ZAP request gave it.
    public var address: String
    /// The key's name (its `.pub` file's name).
    public var name: String

    /// Creates an identity.
    public init(fingerprint: String, address: String, name: String) {
        self.fingerprint = fingerprint
        self.address = address
        self.name = name
    }

    /// Reads a `User-Id` the ZAP handler wrote; `nil` for anything else.
    public init?(userID: String) {
        let parts = userID.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        self.init(fingerprint: String(parts[0]), address: String(parts[1]), name: String(parts[2]))
    }

    /// The `User-Id` text.
    public var userID: String { "\(fingerprint)\t\(address)\t\(name)" }

    public var description: String { "\(name) (\(fingerprint)) at \(address)" }
}
