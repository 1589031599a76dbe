internal import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Socket {
    /// Sets `ZMQ_CURVE_SERVER`: the socket takes the server role of CurveZMQ, with ``setCurveSecretKey(_:)`` as its
    /// long-term key. Every peer must then speak CURVE; a ZAP handler, when one is bound, decides which keys may.
    public func setCurveServer(_ on: Bool) throws(ZeroMQError) {
        var value: Int32 = on ? 1 : 0
        try zeroMQCall("zmq_setsockopt(ZMQ_CURVE_SERVER)") {
            zmq_setsockopt(handle, ZMQ_CURVE_SERVER, &value, MemoryLayout<Int32>.size)
        }
    }

    /// Sets `ZMQ_CURVE_SECRETKEY`, this socket's long-term secret key (32 bytes).
    public func setCurveSecretKey(_ key: [UInt8]) throws(ZeroMQError) {
        try setKey(ZMQ_CURVE_SECRETKEY, key, name: "ZMQ_CURVE_SECRETKEY")
    }

    /// Sets `ZMQ_CURVE_PUBLICKEY`, this socket's long-term public key (32 bytes); a client needs it with its secret key.
    public func setCurvePublicKey(_ key: [UInt8]) throws(ZeroMQError) {
        try setKey(ZMQ_CURVE_PUBLICKEY, key, name: "ZMQ_CURVE_PUBLICKEY")
    }

    /// Sets `ZMQ_CURVE_SERVERKEY`, the public key of the server a client connects to (32 bytes). Setting it makes
    /// the socket a CURVE client.
    public func setCurveServerKey(_ key: [UInt8]) throws(ZeroMQError) {
        try setKey(ZMQ_CURVE_SERVERKEY, key, name: "ZMQ_CURVE_SERVERKEY")
    }

    /// Sets `ZMQ_ZAP_DOMAIN`, the domain the socket's ZAP requests carry (RFC 27).
    public func setZAPDomain(_ domain: String) throws(ZeroMQError) {
        try zeroMQCall("zmq_setsockopt(ZMQ_ZAP_DOMAIN)") {
            zmq_setsockopt(handle, ZMQ_ZAP_DOMAIN, domain, domain.utf8.count)
        }
    }

    private func setKey(_ option: Int32, _ key: [UInt8], name: String) throws(ZeroMQError) {
        guard key.count == CurveKeyPair.keyLength else {
            throw ZeroMQError(errno: EINVAL, operation: "zmq_setsockopt(\(name))")
        }
        try zeroMQCall("zmq_setsockopt(\(name))") {
            key.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        }
    }
}
