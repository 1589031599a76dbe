public import ZeroMQ

/// A connection to the broker failed its security handshake: the broker and this peer disagree about CURVE, or the
/// broker refused the key. Clients exit 69 (EX_UNAVAILABLE) with ``description``, or 77 (EX_NOPERM) when the broker
/// refused the key (``keyRefused``); workers log it and keep retrying.
public struct HandshakeFailure: UnavailableError, Sendable, Hashable, CustomStringConvertible {
    /// The broker's endpoint.
    public var broker: String
    /// The likely cause, in words a user can act on.
    public var cause: String
    /// Whether the broker's ZAP handler refused this peer's key: the handshake itself worked, the key is not allowed.
    public var keyRefused = false

    /// The failure that `event` (a failed handshake seen by a peer's monitor) means; `usingCurve` says whether this
    /// peer spoke CURVE, and `fingerprint` names its key when it did.
    public init(broker: String, event: MonitorEvent, usingCurve: Bool, fingerprint: String?) {
        self.broker = broker
        switch event.kind {
        case .handshakeFailedProtocol where event.value == MonitorEvent.mechanismMismatch:
            cause =
                usingCurve
                ? "the broker does not use CURVE (it runs without --curve-secret-key), but this peer does"
                : "the broker requires CURVE: pass --curve-server-key (the broker's .pub) and --curve-key (your .key)"
        case .handshakeFailedAuth:
            keyRefused = true
            cause =
                "the broker refused this key (\(fingerprint ?? "none"), ZAP status \(event.value)): its .pub file is "
                + "not in the broker's --allow-workers or --allow-clients directory"
        case .handshakeFailedProtocol where event.value == MonitorEvent.cryptographic, .handshakeFailedNoDetail:
            cause =
                usingCurve
                ? "the broker dropped the CURVE handshake: --curve-server-key is most likely not the broker's public key"
                : "the broker dropped the handshake: it most likely requires CURVE (--curve-server-key, --curve-key)"
        default:
            cause =
                "the security handshake failed (libzmq event 0x\(String(event.kind.rawValue, radix: 16)), "
                + "value 0x\(String(event.value, radix: 16)))"
        }
    }

    public var description: String { "cannot talk to broker \(broker): \(cause)" }
}
