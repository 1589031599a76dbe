import Foundation

/// Corsair's batch client protocol, `CRSC01`: what `corsair submit` speaks to the broker.
///
/// A plain MDP client never sees it: a client chooses it by sending `CRSC01` as the protocol header. The client names
/// a session (any 1…64 bytes, stable across reconnects) and its own task ids; the broker acknowledges each SUBMIT with
/// ACCEPTED (and REJECTED for tasks it refuses) and streams one RESULT per task as it finishes. A task id resubmitted
/// in the same session is acknowledged again but not queued again. While it waits, the client sends PING and the
/// broker answers PONG, saying whether it knows the session; a broker that does not (it restarted) gets the unfinished
/// tasks again (Lazy Pirate). Frame layouts are in docs/PROTOCOL.md.
public enum ClientProtocol {
    /// Frame 0 (after an optional empty delimiter) of every message: `CRSC01`.
    public static let header: [UInt8] = Array("CRSC01".utf8)
    /// The most tasks one SUBMIT may carry; the client splits larger batches.
    public static let maximumTasksPerSubmit = 10_000

    /// Command bytes, frame 1.
    public enum Command: UInt8, Sendable, Hashable {
        /// Client to broker: session, then one frame holding every task.
        case submit = 0x01
        /// Client to broker: session. The client is waiting and wants to know the broker is alive.
        case ping = 0x02
        /// Client to broker: a JSON ``BrokerQuery``; the broker answers REPORT.
        case query = 0x03
        /// Broker to client: one frame of the ids it accepted (or already had).
        case accepted = 0x11
        /// Broker to client: id and reason frame pairs for tasks it refused.
        case rejected = 0x12
        /// Broker to client: one frame holding one or more finished tasks.
        case result = 0x13
        /// Broker to client: answer to PING; frame 2 is one byte, 1 when the broker knows the session, else 0.
        case pong = 0x14
        /// Broker to client: answer to QUERY; frame 2 is JSON (a ``BrokerStatus`` or an array of ``TaskStatus``).
        case report = 0x15
        /// Broker to client: the message could not be understood; frame 2 says why.
        case error = 0x1f
    }
}

/// A task the broker refused, and why.
public struct TaskRejection: Sendable, Hashable {
    /// The client's id of the task.
    public var id: String
    /// Why it was refused, for example `category 'mmi.x' is reserved for the broker's MMI services`.
    public var reason: String

    /// Creates a rejection.
    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }
}

/// One finished task, as the broker reports it to the client that submitted it.
public struct TaskResult: Sendable, Hashable {
    /// The client's id of the task.
    public var id: String
    /// The task's category.
    public var category: String
    /// Whether it succeeded or failed for good.
    public var outcome: TaskOutcome
    /// How many attempts it took.
    public var attempts: Int
    /// The name of the worker that ran the last attempt, if any ran.
    public var worker: String?
    /// When the last attempt started, in Unix milliseconds, if any started.
    public var started: UInt64?
    /// When the task finished, in Unix milliseconds.
    public var finished: UInt64
    /// The result on success, the error message on failure.
    public var output: [UInt8]

    /// Creates a result.
    public init(
        id: String, category: String, outcome: TaskOutcome, attempts: Int, worker: String?, started: UInt64?,
        finished: UInt64, output: [UInt8]
    ) {
        self.id = id
        self.category = category
        self.outcome = outcome
        self.attempts = attempts
        self.worker = worker
        self.started = started
        self.finished = finished
        self.output = output
    }
}

/// A message from a Corsair client to the broker.
public enum ClientMessage: Sendable, Hashable {
    /// Queue these tasks for this session.
    case submit(session: [UInt8], tasks: [TaskSpec])
    /// Is the broker alive, and does it know this session?
    case ping(session: [UInt8])
    /// What is the broker's state?
    case query(BrokerQuery)
}

/// What `corsair status`, `corsair workers` and `corsair tasks` ask the broker.
public enum BrokerQuery: Codable, Sendable, Hashable {
    /// The whole ``BrokerStatus``.
    case status
    /// The tasks that match, as ``TaskStatus`` values.
    case tasks(TaskQuery)
}

/// A message from the broker to a Corsair client.
public enum BrokerReply: Sendable, Hashable {
    /// ACCEPTED: the broker has these task ids (new or already known) and will report each.
    case accepted([String])
    /// REJECTED: the broker refused these tasks and will not run them.
    case rejected([TaskRejection])
    /// RESULT: one or more tasks finished for good (the broker sends the results it has for a client together).
    case results([TaskResult])
    /// PONG: the broker is alive; `sessionKnown` is false after a broker restart lost the session.
    case pong(sessionKnown: Bool)
    /// REPORT: the JSON answer to a QUERY.
    case report([UInt8])
    /// ERROR: the submission could not be decoded; the text says what and where.
    case error(String)
}

extension ClientMessage {
    /// The message's frames, delimiter first.
    public var encoded: [[UInt8]] {
        switch self {
        case .submit(let session, let tasks):
            var writer = WireWriter(
                capacity: 4 + tasks.reduce(0) { $0 + 17 + $1.id.utf8.count + $1.category.utf8.count + $1.payload.count })
            writer.write(UInt32(clamping: tasks.count))
            for task in tasks {
                writer.write(task.priority)
                writer.write(UInt32(clamping: task.timeout.map(\.wholeMilliseconds) ?? 0))
                writer.write(UInt16(clamping: task.maxAttempts ?? 0))
                writer.write(task.category, lengthAs: UInt8.self)
                writer.write(task.id, lengthAs: UInt16.self)
                writer.write(bytes: task.payload, lengthAs: UInt32.self)
            }
            return [[], ClientProtocol.header, [ClientProtocol.Command.submit.rawValue], session, writer.bytes]
        case .ping(let session):
            return [[], ClientProtocol.header, [ClientProtocol.Command.ping.rawValue], session]
        case .query(let query):
            let json = (try? JSONEncoder().encode(query)).map(Array.init) ?? []
            return [[], ClientProtocol.header, [ClientProtocol.Command.query.rawValue], json]
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
        case .ping: name = "PING"
        case .query:
            guard count == base + 1 else {
                throw ProtocolError(frame: nil, of: count, "QUERY needs exactly one JSON frame")
            }
            do {
                return .query(try JSONDecoder().decode(BrokerQuery.self, from: Data(frames[base])))
            } catch {
                throw ProtocolError(frame: base, of: count, "QUERY is not a valid query: \(error)")
            }
        default:
            throw ProtocolError(
                frame: base - 1, of: count,
                "expected CRSC01 command SUBMIT 0x01, PING 0x02 or QUERY 0x03, got \(hex(command))")
        }
        guard count > base else {
            throw ProtocolError(frame: nil, of: count, "\(name) lacks the session frame")
        }
        let session = frames[base]
        guard (1...64).contains(session.count) else {
            throw ProtocolError(frame: base, of: count, "session must be 1…64 bytes, got \(session.count)")
        }
        if command == ClientProtocol.Command.ping.rawValue {
            guard count == base + 1 else {
                throw ProtocolError(frame: base + 1, of: count, "PING carries only the session")
            }
            return .ping(session: session)
        }
        guard count == base + 2 else {
            throw ProtocolError(
                frame: nil, of: count, "SUBMIT needs the session and one frame of tasks, got \(count - base) frames")
        }
        var reader = WireReader(frames[base + 1], frame: base + 1, of: count)
        let taskCount = Int(try reader.read(UInt32.self, "task count"))
        guard (1...ClientProtocol.maximumTasksPerSubmit).contains(taskCount) else {
            throw ProtocolError(
                frame: base + 1, of: count,
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
                throw ProtocolError(frame: base + 1, of: count, "task \(index) id is empty")
            }
            let payload = try reader.readBytes(lengthAs: UInt32.self, "task \(index) payload")
            tasks.append(
                TaskSpec(
                    id: id, category: category, payload: payload, priority: priority,
                    timeout: timeout == 0 ? nil : .milliseconds(Int(timeout)),
                    maxAttempts: maxAttempts == 0 ? nil : Int(maxAttempts)))
        }
        try reader.expectEnd("\(taskCount) tasks")
        return .submit(session: session, tasks: tasks)
    }
}

extension BrokerReply {
    /// The message's frames in `framing`.
    public func encoded(framing: Framing) -> [[UInt8]] {
        var frames = framing.prefix
        frames.append(ClientProtocol.header)
        switch self {
        case .accepted(let ids):
            frames.append([ClientProtocol.Command.accepted.rawValue])
            var writer = WireWriter(capacity: 4 + ids.reduce(0) { $0 + 2 + $1.utf8.count })
            writer.write(UInt32(clamping: ids.count))
            for id in ids {
                writer.write(id, lengthAs: UInt16.self)
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
                capacity: 4 + results.reduce(0) {
                    $0 + 28 + $1.id.utf8.count + $1.category.utf8.count + ($1.worker?.utf8.count ?? 0) + $1.output.count
                })
            writer.write(UInt32(clamping: results.count))
            for result in results {
                writer.write(result.outcome.rawValue)
                writer.write(UInt16(clamping: result.attempts))
                writer.write(result.started ?? 0)
                writer.write(result.finished)
                writer.write(result.id, lengthAs: UInt16.self)
                writer.write(result.category, lengthAs: UInt8.self)
                writer.write(result.worker ?? "", lengthAs: UInt16.self)
                writer.write(bytes: result.output, lengthAs: UInt32.self)
            }
            frames.append(writer.bytes)
        case .pong(let known):
            frames.append([ClientProtocol.Command.pong.rawValue])
            frames.append([known ? 1 : 0])
        case .report(let json):
            frames.append([ClientProtocol.Command.report.rawValue])
            frames.append(json)
        case .error(let message):
            frames.append([ClientProtocol.Command.error.rawValue])
            frames.append(Array(message.utf8))
        }
        return frames
    }

    /// Decodes a message the broker sent to a Corsair client.
    public init(decoding frames: [[UInt8]]) throws(ProtocolError) {
        let count = frames.count
        let base = frames.first?.isEmpty == true ? 1 : 0
        guard count >= base + 2, frames[base] == ClientProtocol.header, frames[base + 1].count == 1 else {
            throw ProtocolError(frame: base, of: count, "expected a CRSC01 header and a one-byte command")
        }
        let body = frames[(base + 2)...]
        switch ClientProtocol.Command(rawValue: frames[base + 1][0]) {
        case .accepted:
            guard body.count == 1 else {
                throw ProtocolError(frame: nil, of: count, "ACCEPTED needs one frame of ids, got \(body.count) frames")
            }
            var reader = WireReader(body[body.startIndex], frame: base + 2, of: count)
            let idCount = try reader.readCount("ACCEPTED", entryBytes: 2)
            var ids: [String] = []
            ids.reserveCapacity(idCount)
            for index in 0..<idCount {
                ids.append(try reader.readString(lengthAs: UInt16.self, "accepted id \(index)"))
            }
            try reader.expectEnd("\(idCount) ids")
            self = .accepted(ids)
        case .rejected:
            guard body.count % 2 == 0 else {
                throw ProtocolError(frame: nil, of: count, "REJECTED needs id and reason frame pairs")
            }
            var rejections: [TaskRejection] = []
            var index = body.startIndex
            while index < body.endIndex {
                rejections.append(
                    TaskRejection(
                        id: String(decoding: body[index], as: UTF8.self),
                        reason: String(decoding: body[index + 1], as: UTF8.self)))
                index += 2
            }
            self = .rejected(rejections)
        case .result:
            guard body.count == 1 else {
                throw ProtocolError(frame: nil, of: count, "RESULT needs one frame of results, got \(body.count) frames")
            }
            let frame = base + 2
            var reader = WireReader(body[body.startIndex], frame: frame, of: count)
            let resultCount = try reader.readCount("RESULT", entryBytes: 28, minimum: 1)
            var results: [TaskResult] = []
            results.reserveCapacity(resultCount)
            for index in 0..<resultCount {
                let outcomeByte = try reader.read(UInt8.self, "result \(index) outcome")
                guard let outcome = TaskOutcome(rawValue: outcomeByte) else {
                    throw ProtocolError(frame: frame, of: count, "result \(index) has unknown outcome \(hex(outcomeByte))")
                }
                let attempts = Int(try reader.read(UInt16.self, "result \(index) attempts"))
                let started = try reader.read(UInt64.self, "result \(index) started")
                let finished = try reader.read(UInt64.self, "result \(index) finished")
                let id = try reader.readString(lengthAs: UInt16.self, "result \(index) task id")
                let category = try reader.readString(lengthAs: UInt8.self, "result \(index) category")
                let worker = try reader.readString(lengthAs: UInt16.self, "result \(index) worker")
                let output = try reader.readBytes(lengthAs: UInt32.self, "result \(index) output")
                results.append(
                    TaskResult(
                        id: id, category: category, outcome: outcome, attempts: attempts,
                        worker: worker.isEmpty ? nil : worker, started: started == 0 ? nil : started,
                        finished: finished, output: output))
            }
            try reader.expectEnd("\(resultCount) results")
            self = .results(results)
        case .pong:
            guard body.count == 1, body[body.startIndex].count == 1 else {
                throw ProtocolError(frame: nil, of: count, "PONG needs one one-byte frame")
            }
            self = .pong(sessionKnown: body[body.startIndex][0] == 1)
        case .report:
            guard body.count == 1 else {
                throw ProtocolError(frame: nil, of: count, "REPORT needs one JSON frame")
            }
            self = .report(body[body.startIndex])
        case .error:
            self = .error(body.first.map { String(decoding: $0, as: UTF8.self) } ?? "")
        case .submit, .ping, .query, nil:
            throw ProtocolError(
                frame: base + 1, of: count, "unexpected CRSC01 command \(hex(frames[base + 1][0])) from the broker")
        }
    }
}

/// `0x09`-style rendering of a command byte.
func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0f)])
}

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        Int64(truncatingIfNeeded: attoseconds / 1_000_000_000_000_000)
    }
}
