/// What a broker says about itself and a session in PONG (when the PING asks) and ATTACHED: one byte.
public struct BrokerFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    /// Creates flags from their byte.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Bit 0: the broker knows the session.
    public static let sessionKnown = BrokerFlags(rawValue: 1 << 0)
    /// Bit 1: the broker journals what it accepts, so accepted tasks and their results survive its restart.
    public static let durable = BrokerFlags(rawValue: 1 << 1)
}

/// How a client attaches to a batch (ATTACH): one byte.
public struct AttachOptions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    /// Creates options from their byte.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Bit 0: create the session when the broker does not know it (a client about to submit to it); without it an
    /// unknown session is answered ATTACHED without ``BrokerFlags/sessionKnown`` and nothing is created.
    public static let create = AttachOptions(rawValue: 1 << 0)

    /// Every option this protocol version defines; other bits make an ATTACH malformed.
    public static let all: AttachOptions = [.create]
}
