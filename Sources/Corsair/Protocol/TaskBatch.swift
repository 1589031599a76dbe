/// Many tasks, or many results, in one frame: what a broker and a worker that both offered `batch=1` exchange instead
/// of one REQUEST or FINAL per task.
///
/// A busy broker sends a worker every task it assigns it in one pass as a single TASKS message, and the worker answers
/// everything it finished in one pass as a single RESULTS message. Each message is one frame after the command, so
/// the cost of a ZeroMQ message (a syscall, an allocation per frame) is paid once per batch rather than once per task.
///
/// TASKS, broker to worker: `MDPW02`, `0x11`, frame. RESULTS, worker to broker: `MDPW02`, `0x12`, frame. The frame is
/// version `u8` (1) and count `u32`, then per entry, big-endian:
/// - task: task key `u64`, attempt `u32`, timeout in milliseconds `u32`, id as `u16` length + UTF-8, payload as
///   `u32` length + bytes;
/// - result: task key `u64`, attempt `u32`, ``TaskOutcome`` `u8`, output as `u32` length + bytes.
public enum TaskBatch {
    /// The TASKS command byte, after MDP/Worker's 0x01…0x06.
    public static let tasksCommand: UInt8 = 0x11
    /// The RESULTS command byte.
    public static let resultsCommand: UInt8 = 0x12
    static let version: UInt8 = 1
    /// The most entries, and payload bytes, a sender puts in one message; more go in another.
    public static let limit = (count: 1000, bytes: 1 << 20)

    /// Encodes tasks as the one frame of a TASKS message.
    ///
    /// - Throws: ``WireLengthError`` naming the task whose id or payload is longer than its length field carries.
    public static func encode(_ tasks: [AssignedTask]) throws(WireLengthError) -> [UInt8] {
        var writer = WireWriter(capacity: 5 + tasks.reduce(0) { $0 + 22 + $1.id.utf8.count + $1.payload.count })
        writer.write(version)
        writer.write(UInt32(tasks.count))
        for task in tasks {
            writer.write(task.token.task.rawValue)
            writer.write(UInt32(clamping: task.token.attempt))
            writer.write(UInt32(clamping: task.timeout.wholeMilliseconds))
            try writer.write(task.id, lengthAs: UInt16.self, field: "\(WireLengthError.task(task.id)) id")
            try writer.write(
                bytes: task.payload, lengthAs: UInt32.self, field: "\(WireLengthError.task(task.id)) payload")
        }
        return writer.bytes
    }

    /// Decodes the frame of a TASKS message, frame `frame` of `frameCount`.
    public static func decodeTasks(
        _ bytes: [UInt8], frame: Int, of frameCount: Int
    ) throws(ProtocolError) -> [AssignedTask] {
        var reader = WireReader(bytes, frame: frame, of: frameCount)
        let count = try header(&reader, "TASKS")
        var tasks: [AssignedTask] = []
        tasks.reserveCapacity(count)
        for _ in 0..<count {
            let key = try reader.read(UInt64.self, "task key")
            let attempt = try reader.read(UInt32.self, "attempt")
            let timeout = try reader.read(UInt32.self, "timeout")
            let id = try reader.readString(lengthAs: UInt16.self, "task id")
            let payload = try reader.readBytes(lengthAs: UInt32.self, "payload")
            tasks.append(
                AssignedTask(
                    token: AssignmentToken(task: TaskKey(rawValue: key), attempt: Int(attempt)), id: id,
                    timeout: .milliseconds(Int(timeout)), payload: payload))
        }
        try reader.expectEnd("\(count) tasks")
        return tasks
    }

    /// Encodes results as the one frame of a RESULTS message; `limit` lowers the most bytes of an output below what
    /// its `u32` length carries (for tests).
    ///
    /// - Throws: ``WireLengthError`` naming the task whose output is longer than that.
    public static func encode(
        _ results: [WorkerResult],
        limit: Int = WireLengthError.maximumU32Length
    ) throws(WireLengthError) -> [UInt8] {
        var writer = WireWriter(capacity: 5 + results.reduce(0) { $0 + 17 + $1.output.count })
        writer.write(version)
        writer.write(UInt32(results.count))
        for result in results {
            writer.write(result.token.task.rawValue)
            writer.write(UInt32(clamping: result.token.attempt))
            writer.write(result.outcome.rawValue)
            try writer.write(
                bytes: result.output, lengthAs: UInt32.self, field: "result of task \(result.token.task) output",
                limit: limit)
        }
        return writer.bytes
    }

    /// Decodes the frame of a RESULTS message, frame `frame` of `frameCount`.
    public static func decodeResults(
        _ bytes: [UInt8], frame: Int, of frameCount: Int
    ) throws(ProtocolError) -> [WorkerResult] {
        var reader = WireReader(bytes, frame: frame, of: frameCount)
        let count = try header(&reader, "RESULTS")
        var results: [WorkerResult] = []
        results.reserveCapacity(count)
        for index in 0..<count {
            let key = try reader.read(UInt64.self, "task key")
            let attempt = try reader.read(UInt32.self, "attempt")
            let code = try reader.read(UInt8.self, "outcome")
            guard let outcome = TaskOutcome(rawValue: code) else {
                throw ProtocolError(frame: frame, of: frameCount, "result \(index) has outcome \(code), expected 0…3")
            }
            let output = try reader.readBytes(lengthAs: UInt32.self, "output")
            results.append(
                WorkerResult(
                    token: AssignmentToken(task: TaskKey(rawValue: key), attempt: Int(attempt)), outcome: outcome,
                    output: output))
        }
        try reader.expectEnd("\(count) results")
        return results
    }

    /// Reads the version and the entry count, which must fit in what is left of the frame.
    private static func header(_ reader: inout WireReader, _ what: String) throws(ProtocolError) -> Int {
        let version = try reader.read(UInt8.self, "\(what) version")
        guard version == Self.version else {
            throw reader.error("\(what) version \(version), expected 1")
        }
        return try reader.readCount(what, entryBytes: 4)
    }
}

/// One task as a TASKS message carries it.
public struct AssignedTask: Sendable, Hashable {
    /// The task and attempt, as the envelope of a REQUEST would name them.
    public var token: AssignmentToken
    /// The client's id of the task.
    public var id: String
    /// How long the worker has before the broker gives the task to another worker.
    public var timeout: Duration
    /// The task's input.
    public var payload: [UInt8]

    /// Creates an entry.
    public init(token: AssignmentToken, id: String, timeout: Duration, payload: [UInt8]) {
        self.token = token
        self.id = id
        self.timeout = timeout
        self.payload = payload
    }
}

/// One answer as a RESULTS message carries it.
public struct WorkerResult: Sendable, Hashable {
    /// The task and attempt it answers.
    public var token: AssignmentToken
    /// How the attempt ended.
    public var outcome: TaskOutcome
    /// The result, or the error message.
    public var output: [UInt8]

    /// Creates an entry.
    public init(token: AssignmentToken, outcome: TaskOutcome, output: [UInt8]) {
        self.token = token
        self.outcome = outcome
        self.output = output
    }
}
