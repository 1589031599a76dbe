/// Encodes and decodes MDP/0.2, MDP/0.1 and Corsair messages. Frames exclude the ROUTER's routing id.
public enum MDPCodec {
    /// Decodes a message that arrived at the broker.
    ///
    /// Accepts RFC 18 framing (header first) and the Guide's (an empty delimiter first), RFC 18 client numbering
    /// (REQUEST 0x01) and majortomo's (REQUEST 0x02), and MDP/0.1 (RFC 7) clients and workers
    /// (`MDPCodec+MDP01.swift`).
    /// - Throws: ``ProtocolError`` naming the frame and what was wrong.
    public static func decodeAtBroker(_ frames: [[UInt8]]) throws(ProtocolError) -> BrokerInbound {
        let count = frames.count
        guard count > 0 else {
            throw ProtocolError(frame: nil, of: 0, "empty message")
        }
        let framing: Framing = frames[0].isEmpty ? .delimited : .rfc18
        let base = framing == .delimited ? 1 : 0
        guard count >= base + 2 else {
            throw ProtocolError(frame: nil, of: count, "too short for a protocol header and a command")
        }
        let header = frames[base]
        if header == MDP.clientHeader01 {
            return .client(try decodeClient01(frames, base: base, framing: framing))
        }
        let commandFrame = frames[base + 1]
        guard commandFrame.count == 1 else {
            throw ProtocolError(frame: base + 1, of: count, "command must be one byte, got \(commandFrame.count) bytes")
        }
        let command = commandFrame[0]
        switch header {
        case MDP.workerHeader:
            return .worker(try decodeWorker(command: command, frames, base: base), framing)
        case MDP.clientHeader:
            return .client(try decodeClient(command: command, frames, base: base, framing: framing))
        case ClientProtocol.header:
            return .batchClient(try ClientMessage.decode(command: command, frames, base: base + 2), framing)
        case MDP.workerHeader01:
            return .worker(try decodeWorker01(command: command, frames, base: base), framing, version: .v01)
        default:
            throw ProtocolError(
                frame: base, of: count,
                "expected protocol MDPW02, MDPC02, CRSC01, MDPW01 or MDPC01, got \(header.printable)")
        }
    }

    private static func decodeWorker(
        command: UInt8,
        _ frames: [[UInt8]],
        base: Int
    ) throws(ProtocolError) -> WorkerMessage {
        let count = frames.count
        if command == TaskBatch.resultsCommand {
            guard count == base + 3 else {
                throw ProtocolError(frame: nil, of: count, "RESULTS needs exactly one frame after the command")
            }
            return .results(try TaskBatch.decodeResults(frames[base + 2], frame: base + 2, of: count))
        }
        switch MDP.WorkerCommand(rawValue: command) {
        case .ready:
            let category = try text(frames, base + 2, "service name")
            var offer: WorkerOffer?
            if count > base + 3, frames[base + 3] == WorkerExtension.marker {
                guard count > base + 4 else {
                    throw ProtocolError(frame: nil, of: count, "READY offers corsair/1 without the offer frame")
                }
                offer = try WorkerOffer(decoding: frames[base + 4], frame: base + 4, of: count)
            }
            return .ready(category: category, offer: offer)
        case .partial, .final:
            guard count >= base + 4 else {
                throw ProtocolError(frame: nil, of: count, "\(name(command)) needs an envelope and an empty frame")
            }
            guard frames[base + 3].isEmpty else {
                throw ProtocolError(
                    frame: base + 3, of: count,
                    "expected an empty delimiter after the envelope, got \(frames[base + 3].count) bytes")
            }
            let envelope = frames[base + 2]
            let body = Array(frames[(base + 4)...])
            return command == MDP.WorkerCommand.final.rawValue
                ? .final(envelope: envelope, body: body) : .partial(envelope: envelope, body: body)
        case .heartbeat:
            return .heartbeat
        case .disconnect:
            return .disconnect
        case .request:
            throw ProtocolError(frame: base + 1, of: count, "REQUEST 0x02 is sent by brokers, not workers")
        case nil:
            throw ProtocolError(
                frame: base + 1, of: count, "expected MDPW02 command 0x01…0x06 or RESULTS 0x12, got \(hex(command))")
        }
    }

    private static func decodeClient(
        command: UInt8,
        _ frames: [[UInt8]],
        base: Int,
        framing: Framing
    ) throws(ProtocolError) -> ClientRequest {
        let dialect: ClientDialect
        switch command {
        case MDP.ClientCommand.request.rawValue: dialect = .rfc18
        case MDP.WorkerCommand.request.rawValue: dialect = .majortomo
        default:
            throw ProtocolError(
                frame: base + 1, of: frames.count,
                "expected MDPC02 REQUEST (0x01, or majortomo's 0x02), got \(hex(command))")
        }
        let category = try text(frames, base + 2, "service name")
        return ClientRequest(framing: framing, dialect: dialect, category: category, body: Array(frames[(base + 3)...]))
    }

    /// Frame `index` as a non-empty UTF-8 name of at most 255 bytes.
    static func text(_ frames: [[UInt8]], _ index: Int, _ what: String) throws(ProtocolError) -> String {
        guard index < frames.count else {
            throw ProtocolError(frame: nil, of: frames.count, "missing \(what) (frame \(index))")
        }
        let bytes = frames[index]
        guard (1...255).contains(bytes.count), let value = String(validating: bytes, as: UTF8.self) else {
            throw ProtocolError(
                frame: index, of: frames.count, "\(what) must be 1…255 bytes of UTF-8, got \(bytes.printable)")
        }
        return value
    }

    private static func name(_ command: UInt8) -> String {
        MDP.WorkerCommand(rawValue: command).map { "\($0)".uppercased() } ?? hex(command)
    }

    /// Encodes a message from the broker, without the routing id.
    ///
    /// - Throws: ``WireLengthError`` when a length-prefixed field (a task id, a payload, a result) is longer than its
    ///   length carries; the message is not sent.
    public static func encode(_ message: BrokerOutbound) throws(WireLengthError) -> [[UInt8]] {
        switch message {
        case .request(let framing, let envelope, let header, let body, let version):
            var frames = framing.prefix
            frames.reserveCapacity(6 + body.count)
            frames.append(version.workerHeader)
            frames.append([MDP.WorkerCommand.request.rawValue])
            frames.append(envelope)
            frames.append([])
            if let header { frames.append(try header.encoded) }
            frames.append(contentsOf: body)
            return frames
        case .tasks(let framing, let tasks):
            return framing.prefix + [MDP.workerHeader, [TaskBatch.tasksCommand], try TaskBatch.encode(tasks)]
        case .heartbeat(let framing, _, _, _, .v01):
            return framing.prefix + [MDP.workerHeader01, [MDP.WorkerCommand01.heartbeat.rawValue]]
        case .heartbeat(let framing, let acknowledgement, let batchBytes, let maxMessageBytes, .v02):
            var frames = framing.prefix + [MDP.workerHeader, [MDP.WorkerCommand.heartbeat.rawValue]]
            if let interval = acknowledgement {
                frames.append(WorkerExtension.marker)
                var lines = "heartbeat-ms=\(interval.wholeMilliseconds)"
                if let batchBytes {
                    lines += "\nbatch=1\nbatch-bytes=\(batchBytes)"
                }
                if let maxMessageBytes {
                    lines += "\nmax-message-bytes=\(maxMessageBytes)"
                }
                frames.append(Array(lines.utf8))
            }
            return frames
        case .disconnect(let framing, .v01):
            return framing.prefix + [MDP.workerHeader01, [MDP.WorkerCommand01.disconnect.rawValue]]
        case .disconnect(let framing, .v02):
            return framing.prefix + [MDP.workerHeader, [MDP.WorkerCommand.disconnect.rawValue]]
        case .cancel(let framing, let envelope):
            return framing.prefix + [MDP.workerHeader, [AttemptCancel.command], envelope]
        case .shutdown(let framing, let handBack):
            let mode = handBack ? WorkerShutdown.handBack : WorkerShutdown.finishTasks
            return framing.prefix + [MDP.workerHeader, [WorkerShutdown.command], [mode]]
        case .reply(let framing, .mdp01, _, let category, let body):
            return framing.prefix + [MDP.clientHeader01, Array(category.utf8)] + body
        case .reply(let framing, let dialect, let final, let category, let body):
            var frames = framing.prefix
            frames.append(MDP.clientHeader)
            switch dialect {
            case .rfc18:
                frames.append([final ? MDP.ClientCommand.final.rawValue : MDP.ClientCommand.partial.rawValue])
                frames.append(Array(category.utf8))
            case .majortomo, .mdp01:
                frames.append([final ? MDP.WorkerCommand.final.rawValue : MDP.WorkerCommand.partial.rawValue])
            }
            frames.append(contentsOf: body)
            return frames
        case .batch(let framing, let reply):
            return try reply.encoded(framing: framing)
        }
    }

    /// Encodes a worker's command, with the empty delimiter first (every MDP/0.2 broker we know accepts it).
    ///
    /// - Throws: ``WireLengthError`` when a result of a RESULTS message is longer than its `u32` length carries.
    public static func encodeFromWorker(_ message: WorkerMessage) throws(WireLengthError) -> [[UInt8]] {
        var frames: [[UInt8]] = [[], MDP.workerHeader]
        switch message {
        case .ready(let category, let offer):
            frames.append([MDP.WorkerCommand.ready.rawValue])
            frames.append(Array(category.utf8))
            if let offer {
                frames.append(WorkerExtension.marker)
                frames.append(offer.encoded)
            }
        case .partial(let envelope, let body), .final(let envelope, let body):
            let isFinal = if case .final = message { true } else { false }
            frames.append([isFinal ? MDP.WorkerCommand.final.rawValue : MDP.WorkerCommand.partial.rawValue])
            frames.append(envelope)
            frames.append([])
            frames.append(contentsOf: body)
        case .results(let results):
            frames.append([TaskBatch.resultsCommand])
            frames.append(try TaskBatch.encode(results))
        case .heartbeat:
            frames.append([MDP.WorkerCommand.heartbeat.rawValue])
        case .disconnect:
            frames.append([MDP.WorkerCommand.disconnect.rawValue])
        }
        return frames
    }

    /// Decodes a message a worker received from its broker, in either framing.
    public static func decodeAtWorker(_ frames: [[UInt8]]) throws(ProtocolError) -> BrokerToWorker {
        let count = frames.count
        let base = frames.first?.isEmpty == true ? 1 : 0
        guard count >= base + 2, frames[base] == MDP.workerHeader, frames[base + 1].count == 1 else {
            throw ProtocolError(frame: base, of: count, "expected an MDPW02 header and a one-byte command")
        }
        let command = frames[base + 1][0]
        if let message = try decodeExtension(command, frames, base: base) {
            return message
        }
        switch MDP.WorkerCommand(rawValue: command) {
        case .request:
            guard count >= base + 4, frames[base + 3].isEmpty else {
                throw ProtocolError(frame: nil, of: count, "REQUEST needs an envelope and an empty frame")
            }
            return .request(envelope: frames[base + 2], body: Array(frames[(base + 4)...]))
        case .heartbeat:
            guard count > base + 2, frames[base + 2] == WorkerExtension.marker else {
                return .heartbeat(extensionAccepted: false, brokerInterval: nil)
            }
            var interval: Duration?
            var batching = false
            var batchBytes = TaskBatch.limit.bytes
            var maxMessageBytes: Int?
            if count > base + 3, let text = String(validating: frames[base + 3], as: UTF8.self) {
                for line in text.split(separator: "\n") {
                    if line.hasPrefix("heartbeat-ms="), let milliseconds = Int(line.dropFirst("heartbeat-ms=".count)),
                        (1...3_600_000).contains(milliseconds)
                    {
                        interval = .milliseconds(milliseconds)
                    } else if line == "batch=1" {
                        batching = true
                    } else if line.hasPrefix("batch-bytes="), let bytes = Int(line.dropFirst("batch-bytes=".count)),
                        bytes >= 1
                    {
                        batchBytes = min(bytes, TaskBatch.limit.bytes)
                    } else if line.hasPrefix("max-message-bytes="),
                        let bytes = Int(line.dropFirst("max-message-bytes=".count)), bytes >= 1
                    {
                        maxMessageBytes = bytes
                    }
                }
            }
            return .heartbeat(
                extensionAccepted: true, brokerInterval: interval, batchBytes: batching ? batchBytes : nil,
                maxMessageBytes: maxMessageBytes)
        case .disconnect:
            return .disconnect
        default:
            throw ProtocolError(
                frame: base + 1, of: count,
                "expected REQUEST, HEARTBEAT, DISCONNECT, TASKS, CANCEL or SHUTDOWN from the broker, got "
                    + hex(command))
        }
    }

    /// Decodes Corsair's own broker-to-worker commands (TASKS, CANCEL, SHUTDOWN), or returns `nil` for any other
    /// `command`.
    private static func decodeExtension(
        _ command: UInt8,
        _ frames: [[UInt8]],
        base: Int
    ) throws(ProtocolError) -> BrokerToWorker? {
        let count = frames.count
        switch command {
        case TaskBatch.tasksCommand:
            guard count == base + 3 else {
                throw ProtocolError(frame: nil, of: count, "TASKS needs exactly one frame after the command")
            }
            return .tasks(try TaskBatch.decodeTasks(frames[base + 2], frame: base + 2, of: count))
        case AttemptCancel.command:
            guard count == base + 3 else {
                throw ProtocolError(frame: nil, of: count, "CANCEL needs exactly one envelope frame after the command")
            }
            return .cancel(envelope: frames[base + 2])
        case WorkerShutdown.command:
            guard count == base + 3, frames[base + 2].count == 1, frames[base + 2][0] <= WorkerShutdown.handBack else {
                throw ProtocolError(frame: nil, of: count, "SHUTDOWN needs one mode frame, 0 or 1")
            }
            return .shutdown(handBack: frames[base + 2][0] == WorkerShutdown.handBack)
        default:
            return nil
        }
    }
}
