/// A message from the broker to a Corsair client.
public enum BrokerReply: Sendable, Hashable {
    /// ACCEPTED: the broker has these task ids (new or already known) and will report each.
    case accepted([String])
    /// REJECTED: the broker refused these tasks and will not run them.
    case rejected([TaskRejection])
    /// RESULT: one or more tasks finished for good (the broker sends the results it has for a client together).
    case results([TaskResult])
    /// PONG: the broker is alive; `sessionKnown` is false after a broker restart lost the session. `flags` is sent
    /// only to a PING that asked for it (an older client reads a one-byte PONG only).
    case pong(sessionKnown: Bool, flags: BrokerFlags? = nil)
    /// ATTACHED: the answer to ATTACH.
    case attached(AttachStatus)
    /// STREAM: results of the attached session (possibly none) and where the client stands.
    case stream(StreamProgress, [KeyedResult])
    /// REPORT: the JSON answer to a QUERY.
    case report([UInt8])
    /// ERROR: the submission could not be decoded; the text says what and where.
    case error(String)
}

extension BrokerReply {
    /// The message's frames in `framing`.
    ///
    /// - Throws: ``WireLengthError`` naming the task whose id, category, worker name or output is longer than its
    ///   length field carries.
    public func encoded(framing: Framing) throws(WireLengthError) -> [[UInt8]] {
        var frames = framing.prefix
        frames.append(ClientProtocol.header)
        switch self {
        case .accepted(let ids):
            frames.append([ClientProtocol.Command.accepted.rawValue])
            var writer = WireWriter(capacity: 4 + ids.reduce(0) { $0 + 2 + $1.utf8.count })
            writer.write(UInt32(clamping: ids.count))
            for id in ids {
                try writer.write(id, lengthAs: UInt16.self, field: "\(WireLengthError.task(id)) id")
            }
            frames.append(writer.bytes)
        case .rejected(let rejections):
            frames.append([ClientProtocol.Command.rejected.rawValue])
            for rejection in rejections {
                frames.append(Array(rejection.id.utf8))
                frames.append(Array(rejection.reason.utf8))
            }
        case .results(let results):
            frames.append([ClientProtocol.Command.result.rawValue])
            var writer = WireWriter(
                capacity: 4 + results.reduce(0) { $0 + $1.entrySize })
            writer.write(UInt32(clamping: results.count))
            for result in results {
                try writer.write(result: result)
            }
            frames.append(writer.bytes)
        case .pong(let known, let flags):
            frames.append([ClientProtocol.Command.pong.rawValue])
            frames.append(flags.map { [known ? 1 : 0, $0.rawValue] } ?? [known ? 1 : 0])
        case .attached(let status):
            frames.append([ClientProtocol.Command.attached.rawValue])
            frames.append(status.encoded)
        case .stream(let progress, let results):
            frames.append([ClientProtocol.Command.stream.rawValue])
            frames.append(try Self.encodeStream(progress, results))
        case .report(let json):
            frames.append([ClientProtocol.Command.report.rawValue])
            frames.append(json)
        case .error(let message):
            frames.append([ClientProtocol.Command.error.rawValue])
            frames.append(Array(message.utf8))
        }
        return frames
    }
}

extension WireWriter {
    /// Writes one RESULT entry (docs/PROTOCOL.md §6); `limit` lowers the most bytes of its output below what its
    /// `u32` length carries (for tests).
    mutating func write(
        result: TaskResult,
        limit: Int = WireLengthError.maximumU32Length
    ) throws(WireLengthError) {
        let task = WireLengthError.task(result.id)
        write(result.outcome.rawValue)
        write(UInt16(clamping: result.attempts))
        write(result.started ?? 0)
        write(result.finished)
        try write(result.id, lengthAs: UInt16.self, field: "\(task) id")
        try write(result.category, lengthAs: UInt8.self, field: "\(task) category")
        try write(result.worker ?? "", lengthAs: UInt16.self, field: "\(task) worker name")
        try write(bytes: result.output, lengthAs: UInt32.self, field: "\(task) result", limit: limit)
    }
}

extension TaskResult {
    /// The bytes of this result's RESULT entry.
    var entrySize: Int {
        28 + id.utf8.count + category.utf8.count + (worker?.utf8.count ?? 0) + output.count
    }
}
