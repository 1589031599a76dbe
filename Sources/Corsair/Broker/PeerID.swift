/// The routing id the broker's ROUTER socket gives a connected peer: how the broker addresses it.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// The routing id's bytes, frame 0 of everything the ROUTER receives from the peer.
    public var bytes: [UInt8]

    /// Wraps a routing id.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The routing id in hex, for logs.
    public var description: String { bytes.hexString }

    /// Hashes the bytes in one call; the synthesized hash feeds them to the hasher one at a time, which showed up in
    /// the broker's profile since every message looks its sender up.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
