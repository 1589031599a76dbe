internal import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A CURVE key pair (Curve25519, as CurveZMQ uses it): 32 bytes of public key and 32 of secret key.
///
/// The secret key never appears in ``description``, so a key pair can be logged or printed by mistake without
/// leaking it.
public struct CurveKeyPair: Sendable, Hashable, CustomStringConvertible {
    /// The length of either key in bytes.
    public static let keyLength = 32

    /// The public key: shareable.
    public let publicKey: [UInt8]
    /// The secret key: keep it to the process that owns it.
    public let secretKey: [UInt8]

    /// A new random key pair from libzmq's `zmq_curve_keypair`.
    ///
    /// - Throws: ``ZeroMQError`` when libzmq was built without CURVE (`ENOTSUP`).
    public static func generate() throws(ZeroMQError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        try zeroMQCall("zmq_curve_keypair") { zmq_curve_keypair(&publicText, &secretText) }
        defer { secretText.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        guard let publicKey = Z85.decode(Self.string(publicText)), let secretKey = Z85.decode(Self.string(secretText))
        else {
            throw ZeroMQError(errno: EINVAL, operation: "zmq_curve_keypair")
        }
        return CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The key pair of `secretKey`, its public half derived with libzmq's `zmq_curve_public`.
    ///
    /// - Throws: ``ZeroMQError`` with ``ZeroMQError/Code/invalidArgument`` when `secretKey` is not 32 bytes, or when
    ///   libzmq was built without CURVE.
    public init(secretKey: [UInt8]) throws(ZeroMQError) {
        guard secretKey.count == Self.keyLength, let secretText = Z85.encode(secretKey) else {
            throw ZeroMQError(errno: EINVAL, operation: "zmq_curve_public")
        }
        var publicText = [CChar](repeating: 0, count: 41)
        try zeroMQCall("zmq_curve_public") { zmq_curve_public(&publicText, secretText) }
        guard let publicKey = Z85.decode(Self.string(publicText)) else {
            throw ZeroMQError(errno: EINVAL, operation: "zmq_curve_public")
        }
        self.init(publicKey: publicKey, secretKey: secretKey)
    }

    private init(publicKey: [UInt8], secretKey: [UInt8]) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The public key in Z85; the secret key is left out.
    public var description: String { "CurveKeyPair(public: \(Z85.encode(publicKey) ?? "?"))" }

    private static func string(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
