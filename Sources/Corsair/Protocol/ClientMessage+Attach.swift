/// Decoding of the batch client's session commands: PING (with its optional flags request), ATTACH and MORE.
extension ClientMessage {
    /// The one byte of PING frame 3 that asks the broker for its ``BrokerFlags``.
    static let flagsRequest: UInt8 = 0x01

    /// Decodes a PING's frames after the command, frame `base` on.
    static func decodePing(_ frames: [[UInt8]], base: Int) throws(ProtocolError) -> ClientMessage {
        let count = frames.count
        let session = try decodeSession(of: "PING", frames, base: base)
        switch count - base {
        case 1:
            return .ping(session: session)
        case 2:
            let request = frames[base + 1]
            guard request == [flagsRequest] else {
                throw ProtocolError(
                    frame: base + 1, of: count,
                    "PING's flags request must be the one byte 0x01, got \(request.printable)")
            }
            return .ping(session: session, wantsFlags: true)
        default:
            throw ProtocolError(frame: base + 2, of: count, "PING carries the session and at most a flags request")
        }
    }

    /// Decodes an ATTACH's frames after the command, frame `base` on: the session, then the cursor and options.
    static func decodeAttach(_ frames: [[UInt8]], base: Int) throws(ProtocolError) -> ClientMessage {
        let count = frames.count
        let session = try decodeSession(of: "ATTACH", frames, base: base)
        guard count == base + 2 else {
            throw ProtocolError(
                frame: nil, of: count,
                "ATTACH needs the session and one frame of cursor and options, got "
                    + "\(count - base) frames")
        }
        var reader = WireReader(frames[base + 1], frame: base + 1, of: count)
        let after = try reader.read(UInt64.self, "cursor")
        let byte = try reader.read(UInt8.self, "options")
        let options = AttachOptions(rawValue: byte)
        guard AttachOptions.all.isSuperset(of: options) else {
            throw reader.error("unknown ATTACH options \(hex(byte))")
        }
        try reader.expectEnd("cursor and options")
        return .attach(session: session, after: after, options: options)
    }

    /// Decodes a MORE's frames after the command, frame `base` on: the session alone.
    static func decodeMore(_ frames: [[UInt8]], base: Int) throws(ProtocolError) -> ClientMessage {
        let count = frames.count
        let session = try decodeSession(of: "MORE", frames, base: base)
        guard count == base + 1 else {
            throw ProtocolError(frame: base + 1, of: count, "MORE carries only the session")
        }
        return .more(session: session)
    }
}
