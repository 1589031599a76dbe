/// MDP/0.1 (ZeroMQ RFC 7) at the broker: `MDPC01` client REQUESTs and `MDPW01` worker commands.
///
/// MDP/0.1 differs from 0.2 in three ways the broker sees: a client REQUEST has no command frame (the service name
/// follows the header), a worker answers with one REPLY (0x03) instead of PARTIALs and a FINAL, and HEARTBEAT and
/// DISCONNECT are 0x04 and 0x05. A REPLY is decoded as a FINAL, so the state machine settles it as it does any plain
/// worker's; the version is kept on the peer to answer it in.
extension MDPCodec {
    /// Decodes an MDP/0.1 client REQUEST: `MDPC01`, the service name, then the body frames.
    static func decodeClient01(
        _ frames: [[UInt8]],
        base: Int,
        framing: Framing
    ) throws(ProtocolError) -> ClientRequest {
        let category = try text(frames, base + 1, "MDPC01 service name")
        return ClientRequest(framing: framing, dialect: .mdp01, category: category, body: Array(frames[(base + 2)...]))
    }

    /// Decodes an MDP/0.1 worker command (READY, REPLY, HEARTBEAT or DISCONNECT) whose command byte is `command`.
    static func decodeWorker01(
        command: UInt8,
        _ frames: [[UInt8]],
        base: Int
    ) throws(ProtocolError) -> WorkerMessage {
        let count = frames.count
        switch MDP.WorkerCommand01(rawValue: command) {
        case .ready:
            return .ready(category: try text(frames, base + 2, "service name"), offer: nil)
        case .reply:
            guard count >= base + 4 else {
                throw ProtocolError(frame: nil, of: count, "MDPW01 REPLY needs a client address and an empty frame")
            }
            guard frames[base + 3].isEmpty else {
                throw ProtocolError(
                    frame: base + 3, of: count,
                    "expected an empty delimiter after the client address, got \(frames[base + 3].count) bytes")
            }
            return .final(envelope: frames[base + 2], body: Array(frames[(base + 4)...]))
        case .heartbeat:
            return .heartbeat
        case .disconnect:
            return .disconnect
        case .request:
            throw ProtocolError(frame: base + 1, of: count, "MDPW01 REQUEST 0x02 is sent by brokers, not workers")
        case nil:
            throw ProtocolError(frame: base + 1, of: count, "expected MDPW01 command 0x01…0x05, got \(hex(command))")
        }
    }
}
