import Crypto

/// A short, stable name for a CURVE public key in logs: the first 8 bytes of its SHA-256, in hex
/// (`SHA256:1f0c9a…`). The key itself is public, but 40 Z85 characters make poor log lines and poor grep targets.
public enum KeyFingerprint {
    /// The fingerprint of `publicKey`.
    public static func of(_ publicKey: [UInt8]) -> String {
        "SHA256:" + Array(SHA256.hash(data: publicKey).prefix(8)).hexString
    }
}
