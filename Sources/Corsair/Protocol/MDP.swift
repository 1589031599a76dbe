/// Constants of the Majordomo Protocol, version 0.2 (ZeroMQ RFC 18/MDP) and version 0.1 (RFC 7/MDP), and of MMI
/// (RFC 8).
///
/// Corsair's *category* is what MDP calls a *service*: the name a worker announces in READY and a client names in
/// REQUEST. Code above the wire layer says category; the codec says service where it mirrors the RFC.
public enum MDP {
    /// Frame 0 of every MDP/Worker command: `MDPW02`.
    public static let workerHeader: [UInt8] = Array("MDPW02".utf8)
    /// Frame 0 of every MDP/Client command: `MDPC02`.
    public static let clientHeader: [UInt8] = Array("MDPC02".utf8)
    /// Frame 0 of every MDP/0.1 (ZeroMQ RFC 7) worker command: `MDPW01`.
    public static let workerHeader01: [UInt8] = Array("MDPW01".utf8)
    /// Frame 0 of every MDP/0.1 (ZeroMQ RFC 7) client command: `MDPC01`. An MDP/0.1 client command has no command
    /// frame: the service name follows the header.
    public static let clientHeader01: [UInt8] = Array("MDPC01".utf8)
    /// The prefix of the broker's own MMI services (RFC 8).
    public static let mmiPrefix = "mmi."
    /// The MMI service that answers whether a category has workers: `200` yes, `404` no.
    public static let mmiService = "mmi.service"

    /// MDP/Worker commands (RFC 18), frame 1 of a worker message.
    public enum WorkerCommand: UInt8, Sendable, Hashable, CaseIterable {
        case ready = 0x01
        case request = 0x02
        case partial = 0x03
        case final = 0x04
        case heartbeat = 0x05
        case disconnect = 0x06
    }

    /// MDP/Client commands as RFC 18 numbers them, frame 1 of a client message.
    public enum ClientCommand: UInt8, Sendable, Hashable, CaseIterable {
        case request = 0x01
        case partial = 0x02
        case final = 0x03
    }

    /// MDP/0.1 worker commands (RFC 7), frame 1 of a worker message. There is no PARTIAL: REPLY is the one and final
    /// answer, and the commands after it are numbered one lower than RFC 18's.
    public enum WorkerCommand01: UInt8, Sendable, Hashable, CaseIterable {
        case ready = 0x01
        case request = 0x02
        case reply = 0x03
        case heartbeat = 0x04
        case disconnect = 0x05
    }
}
