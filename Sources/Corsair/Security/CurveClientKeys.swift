public import ZeroMQ

/// What a worker or client needs to talk CURVE to a broker: the broker's public key and its own key pair
/// (`--curve-server-key FILE --curve-key FILE`).
public struct CurveClientKeys: Sendable, Hashable {
    /// The broker's public key.
    public var serverKey: [UInt8]
    /// This peer's own key pair.
    public var keyPair: CurveKeyPair

    /// Creates keys from values already read.
    public init(serverKey: [UInt8], keyPair: CurveKeyPair) {
        self.serverKey = serverKey
        self.keyPair = keyPair
    }

    /// Reads the broker's public key file and this peer's secret key file.
    ///
    /// - Throws: ``KeyFileError`` naming the file that is unreadable, malformed or open to others.
    public static func load(serverKeyFile: String, keyFile: String) throws(KeyFileError) -> CurveClientKeys {
        CurveClientKeys(
            serverKey: try CurveKeyFile.readPublicKey(at: serverKeyFile),
            keyPair: try CurveKeyFile.readKeyPair(at: keyFile))
    }

    /// This peer's key fingerprint, for messages about it.
    public var fingerprint: String { KeyFingerprint.of(keyPair.publicKey) }
}
