/// Encoding and decoding of what an attached client is sent: ATTACHED and STREAM (docs/PROTOCOL.md §6).
extension BrokerReply {
    /// The STREAM frame: flags `u8` (bit 0 complete, bit 1 more), cursor `u64`, unfinished `u64`, count `u32`, then
    /// each result as its key `u64` and a RESULT entry.
    static func encodeStream(
        _ progress: StreamProgress,
        _ results: [KeyedResult]
    ) throws(WireLengthError) -> [UInt8] {
        var writer = WireWriter(capacity: 21 + results.reduce(0) { $0 + 8 + $1.result.entrySize })
        writer.write(UInt8((progress.complete ? 1 : 0) | (progress.more ? 2 : 0)))
        writer.write(progress.cursor)
        writer.write(progress.unfinished)
        writer.write(UInt32(clamping: results.count))
        for keyed in results {
            writer.write(keyed.key)
            try writer.write(result: keyed.result)
        }
        return writer.bytes
    }

    /// Decodes an ATTACHED's frames after the command, `body`, of a message of `count` frames.
    static func decodeAttached(_ body: ArraySlice<[UInt8]>, of count: Int) throws(ProtocolError) -> AttachStatus {
        guard body.count == 1 else {
            throw ProtocolError(frame: nil, of: count, "ATTACHED needs one frame, got \(body.count) frames")
        }
        var reader = WireReader(body[body.startIndex], frame: body.startIndex, of: count)
        let flags = BrokerFlags(rawValue: try reader.read(UInt8.self, "flags"))
        let tasks = try reader.read(UInt64.self, "task count")
        let unfinished = try reader.read(UInt64.self, "unfinished count")
        try reader.expectEnd("ATTACHED's flags and counts")
        return AttachStatus(flags: flags, tasks: tasks, unfinished: unfinished)
    }

    /// Decodes a STREAM's frames after the command, `body`, of a message of `count` frames.
    static func decodeStream(
        _ body: ArraySlice<[UInt8]>,
        of count: Int
    ) throws(ProtocolError) -> (StreamProgress, [KeyedResult]) {
        guard body.count == 1 else {
            throw ProtocolError(frame: nil, of: count, "STREAM needs one frame, got \(body.count) frames")
        }
        let frame = body.startIndex
        var reader = WireReader(body[frame], frame: frame, of: count)
        let flags = try reader.read(UInt8.self, "flags")
        guard flags & ~3 == 0 else {
            throw reader.error("unknown STREAM flags \(hex(flags))")
        }
        let cursor = try reader.read(UInt64.self, "cursor")
        let unfinished = try reader.read(UInt64.self, "unfinished count")
        let resultCount = try reader.readCount("STREAM", entryBytes: 36)
        var results: [KeyedResult] = []
        results.reserveCapacity(resultCount)
        for index in 0..<resultCount {
            let key = try reader.read(UInt64.self, "result \(index) key")
            results.append(
                KeyedResult(key: key, result: try decodeResult(index, from: &reader, frame: frame, of: count)))
        }
        try reader.expectEnd("\(resultCount) results")
        let progress = StreamProgress(
            cursor: cursor, unfinished: unfinished, complete: flags & 1 != 0, more: flags & 2 != 0)
        return (progress, results)
    }

    /// Decodes a PONG's frames after the command: one frame of one byte (known), or two when the PING asked for
    /// the broker's flags.
    static func decodePong(_ body: ArraySlice<[UInt8]>, of count: Int) throws(ProtocolError) -> BrokerReply {
        guard body.count == 1, let frame = body.first, (1...2).contains(frame.count) else {
            throw ProtocolError(frame: nil, of: count, "PONG needs one frame of one or two bytes")
        }
        return .pong(sessionKnown: frame[0] == 1, flags: frame.count == 2 ? BrokerFlags(rawValue: frame[1]) : nil)
    }
}

extension AttachStatus {
    /// The ATTACHED frame: flags `u8`, tasks `u64`, unfinished `u64`.
    var encoded: [UInt8] {
        var writer = WireWriter(capacity: 17)
        writer.write(flags.rawValue)
        writer.write(tasks)
        writer.write(unfinished)
        return writer.bytes
    }
}
