import Foundation

/// A message from a Corsair client to the broker.
public enum ClientMessage: Sendable, Hashable {
    /// Queue these tasks for this session.
    case submit(session: [UInt8], tasks: [TaskSpec])
    /// Is the broker alive, and does it know this session? With `wantsFlags` the PONG also carries the broker's
    /// ``BrokerFlags`` (PING frame 3, one byte `0x01`; a broker before this field answers ERROR).
    case ping(session: [UInt8], wantsFlags: Bool = false)
    /// Send me this session's results with keys above `after` (0: all), those already finished first, then the rest
    /// as they finish; with ``AttachOptions/create`` the session is created when the broker does not know it.
    case attach(session: [UInt8], after: UInt64, options: AttachOptions)
    /// Send me the next page of the replay this peer's attachment to the session is in.
    case more(session: [UInt8])
    /// What is the broker's state?
    case query(BrokerQuery)
    /// Cancel these tasks; the broker answers REPORT with a ``CancelReport``.
    case cancel(CancelRequest)
    /// Stop workers, and maybe the broker (`corsair shutdown`).
    case shutdown(ShutdownRequest)
}

extension ClientMessage {
    /// The message's frames, delimiter first.
    ///
    /// - Throws: ``WireLengthError`` naming the task of a SUBMIT whose category, id or payload is longer than its
    ///   length field carries.
    public var encoded: [[UInt8]] {
        get throws(WireLengthError) {
            try frames()
        }
    }

    private func frames() throws(WireLengthError) -> [[UInt8]] {
        switch self {
        case .submit(let session, let tasks):
            let capacity = tasks.reduce(4) { $0 + 17 + $1.id.utf8.count + $1.category.utf8.count + $1.payload.count }
            var writer = WireWriter(capacity: capacity)
            writer.write(UInt32(clamping: tasks.count))
            for task in tasks {
                writer.write(task.priority)
                writer.write(UInt32(clamping: task.timeout.map(\.wholeMilliseconds) ?? 0))
                writer.write(UInt16(clamping: task.maxAttempts ?? 0))
                let name = WireLengthError.task(task.id)
                try writer.write(task.category, lengthAs: UInt8.self, field: "\(name) category")
                try writer.write(task.id, lengthAs: UInt16.self, field: "\(name) id")
                try writer.write(bytes: task.payload, lengthAs: UInt32.self, field: "\(name) payload")
            }
            Self.writeSchedules(of: tasks, into: &writer)
            return [[], ClientProtocol.header, [ClientProtocol.Command.submit.rawValue], session, writer.bytes]
        case .ping(let session, let wantsFlags):
            let frames = [[], ClientProtocol.header, [ClientProtocol.Command.ping.rawValue], session]
            return wantsFlags ? frames + [[Self.flagsRequest]] : frames
        case .attach(let session, let after, let options):
            var writer = WireWriter(capacity: 9)
            writer.write(after)
            writer.write(options.rawValue)
            return [[], ClientProtocol.header, [ClientProtocol.Command.attach.rawValue], session, writer.bytes]
        case .more(let session):
            return [[], ClientProtocol.header, [ClientProtocol.Command.more.rawValue], session]
        case .query(let query):
            let json = (try? JSONEncoder().encode(query)).map(Array.init) ?? []
            return [[], ClientProtocol.header, [ClientProtocol.Command.query.rawValue], json]
        case .cancel(let request):
            let json = (try? JSONEncoder().encode(request)).map(Array.init) ?? []
            return [[], ClientProtocol.header, [ClientProtocol.Command.cancel.rawValue], json]
        case .shutdown(let request):
            let json = (try? JSONEncoder().encode(request)).map(Array.init) ?? []
            return [[], ClientProtocol.header, [ClientProtocol.Command.shutdown.rawValue], json]
        }
    }

    /// Decodes the frames after the command of a `CRSC01` message; `base` is the index of the first of them.
    static func decode(
        command: UInt8,
        _ frames: [[UInt8]],
        base: Int
    ) throws(ProtocolError) -> ClientMessage {
        let count = frames.count
        let name: String
        switch ClientProtocol.Command(rawValue: command) {
        case .submit: name = "SUBMIT"
        case .ping: return try decodePing(frames, base: base)
        case .query: return .query(try decodeJSON(BrokerQuery.self, "QUERY", as: "query", frames, base: base))
        case .attach: return try decodeAttach(frames, base: base)
        case .more: return try decodeMore(frames, base: base)
        case .cancel:
            return .cancel(try decodeJSON(CancelRequest.self, "CANCEL", as: "cancel request", frames, base: base))
        case .shutdown:
            return .shutdown(
                try decodeJSON(ShutdownRequest.self, "SHUTDOWN", as: "shutdown request", frames, base: base))
        default:
            throw ProtocolError(
                frame: base - 1, of: count,
                "expected CRSC01 command SUBMIT 0x01, PING 0x02, QUERY 0x03, ATTACH 0x04, MORE 0x05, CANCEL 0x08 "
                    + "or SHUTDOWN 0x09, got \(hex(command))")
        }
        let session = try decodeSession(of: name, frames, base: base)
        guard count == base + 2 else {
            throw ProtocolError(
                frame: nil, of: count, "SUBMIT needs the session and one frame of tasks, got \(count - base) frames")
        }
        return .submit(session: session, tasks: try decodeTasks(frames[base + 1], frame: base + 1, of: count))
    }

    /// Decodes the JSON frame, frame `base`, of the message `name` (QUERY, CANCEL, SHUTDOWN), which holds a `what`.
    private static func decodeJSON<Value: Decodable>(
        _ type: Value.Type,
        _ name: String,
        as what: String,
        _ frames: [[UInt8]],
        base: Int
    ) throws(ProtocolError) -> Value {
        let count = frames.count
        guard count == base + 1 else {
            throw ProtocolError(frame: nil, of: count, "\(name) needs exactly one JSON frame")
        }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(frames[base]))
        } catch {
            throw ProtocolError(frame: base, of: count, "\(name) is not a valid \(what): \(error)")
        }
    }

    /// Decodes the session frame, frame `base`, of the message `name` (`SUBMIT`).
    static func decodeSession(
        of name: String,
        _ frames: [[UInt8]],
        base: Int
    ) throws(ProtocolError) -> [UInt8] {
        let count = frames.count
        guard count > base else {
            throw ProtocolError(frame: nil, of: count, "\(name) lacks the session frame")
        }
        let session = frames[base]
        guard (1...64).contains(session.count) else {
            throw ProtocolError(frame: base, of: count, "session must be 1…64 bytes, got \(session.count)")
        }
        return session
    }

    /// Decodes a SUBMIT's frame of tasks, frame `frame` of `count`.
    private static func decodeTasks(_ bytes: [UInt8], frame: Int, of count: Int) throws(ProtocolError) -> [TaskSpec] {
        var reader = WireReader(bytes, frame: frame, of: count)
        let taskCount = Int(try reader.read(UInt32.self, "task count"))
        guard (1...ClientProtocol.maximumTasksPerSubmit).contains(taskCount) else {
            throw ProtocolError(
                frame: frame, of: count,
                "SUBMIT carries \(taskCount) tasks, 1…\(ClientProtocol.maximumTasksPerSubmit) allowed")
        }
        var tasks: [TaskSpec] = []
        tasks.reserveCapacity(taskCount)
        for index in 0..<taskCount {
            let priority = try reader.read(Int32.self, "task \(index) priority")
            let timeout = try reader.read(UInt32.self, "task \(index) timeout")
            let maxAttempts = try reader.read(UInt16.self, "task \(index) max attempts")
            let category = try reader.readString(lengthAs: UInt8.self, "task \(index) category")
            let id = try reader.readString(lengthAs: UInt16.self, "task \(index) id")
            guard !id.isEmpty else {
                throw ProtocolError(frame: frame, of: count, "task \(index) id is empty")
            }
            let payload = try reader.readBytes(lengthAs: UInt32.self, "task \(index) payload")
            tasks.append(
                TaskSpec(
                    id: id, category: category, payload: payload, priority: priority,
                    timeout: timeout == 0 ? nil : .milliseconds(Int(timeout)),
                    maxAttempts: maxAttempts == 0 ? nil : Int(maxAttempts)))
        }
        try readSections(into: &tasks, from: &reader)
        return tasks
    }
}
