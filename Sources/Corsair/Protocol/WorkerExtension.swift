/// Corsair's extension of MDP/Worker, negotiated per connection so that plain MDP/0.2 peers never see it.
///
/// A Corsair worker adds two frames to READY: ``marker`` and a ``WorkerOffer``. A plain MDP broker ignores frames
/// after the service name. A Corsair broker answers with a HEARTBEAT that carries ``marker`` as frame 2 (the
/// acknowledgement, followed by `heartbeat-ms=N` and, when the worker offered batches, `batch=1`, one per line); from
/// then on its REQUESTs carry a ``TaskHeader`` before the payload, and the worker's FINALs carry a ``TaskOutcome``
/// status frame before the result. With `batch=1` on both sides they may also exchange ``TaskBatch`` messages. Until
/// the acknowledgement arrives the worker speaks plain MDP.
public enum WorkerExtension {
    /// The frame that offers (in READY) and acknowledges (in HEARTBEAT) the extension.
    public static let marker: [UInt8] = Array("corsair/1".utf8)
}

/// What a Corsair worker offers in READY: how many tasks it takes at once, its heartbeat interval, its name, and
/// whether it takes tasks and sends results in batches (``TaskBatch``).
///
/// Encoded as UTF-8 `key=value` lines (`credit=4`, `heartbeat-ms=1000`, `name=host-1234`, `batch=1`, `cancel=1`), so
/// that a new key can be added without breaking older brokers, which skip keys they do not know.
public struct WorkerOffer: Sendable, Hashable {
    /// The most tasks the broker may have in flight on this connection at once (1…10 000).
    public var credit: Int
    /// How often the worker heartbeats; the broker expires it after liveness × the longer of both intervals.
    public var heartbeatInterval: Duration
    /// The worker's name for status and results, for example `host-1234`.
    public var name: String
    /// The host the worker runs on, for status.
    public var host: String?
    /// The worker's process id, for status.
    public var pid: Int?
    /// Whether the worker takes TASKS and sends RESULTS (``TaskBatch``) once the broker agrees.
    public var batching: Bool
    /// Whether the worker understands CANCEL (``AttemptCancel``), `cancel=1`. A broker sends it only then; being a
    /// broker-to-worker message, it needs no acknowledgement.
    public var cancels: Bool
    /// The worker's software version, for its status page (`version=0.9.0`, at most 64 bytes).
    public var version: String?
    /// Whether the worker obeys SHUTDOWN (``WorkerShutdown``): it stops for good when the broker tells it to.
    public var acceptsShutdown = false

    /// Creates an offer.
    public init(
        credit: Int,
        heartbeatInterval: Duration,
        name: String,
        host: String? = nil,
        pid: Int? = nil,
        batching: Bool = false,
        cancels: Bool = false
    ) {
        self.credit = credit
        self.heartbeatInterval = heartbeatInterval
        self.name = name
        self.host = host
        self.pid = pid
        self.batching = batching
        self.cancels = cancels
    }

    /// The largest credit a broker accepts.
    public static let maximumCredit = 10_000

    /// The offer as one frame.
    public var encoded: [UInt8] {
        let milliseconds =
            heartbeatInterval.components.seconds * 1000
            + heartbeatInterval.components.attoseconds / 1_000_000_000_000_000
        var text = "credit=\(credit)\nheartbeat-ms=\(milliseconds)\nname=\(name)"
        if let host { text += "\nhost=\(host)" }
        if let pid { text += "\npid=\(pid)" }
        if batching { text += "\nbatch=1" }
        if cancels { text += "\ncancel=1" }
        if let version { text += "\nversion=\(version)" }
        if acceptsShutdown { text += "\nshutdown=1" }
        return Array(text.utf8)
    }

    /// Decodes an offer from frame `frame` of a `frameCount`-frame READY.
    public init(decoding bytes: [UInt8], frame: Int, of frameCount: Int) throws(ProtocolError) {
        func fail(_ message: String) -> ProtocolError { ProtocolError(frame: frame, of: frameCount, message) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw fail("worker offer is not valid UTF-8")
        }
        var credit: Int?
        var heartbeat: Duration?
        var name: String?
        var optional: [(key: Substring, value: String)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let equals = line.firstIndex(of: "=") else {
                throw fail("worker offer line '\(line.prefix(40))' is not key=value")
            }
            let key = line[..<equals]
            let value = String(line[line.index(after: equals)...])
            switch key {
            case "credit":
                guard let number = Int(value), (1...Self.maximumCredit).contains(number) else {
                    throw fail("worker offer credit '\(value.prefix(20))' is not a number in 1…\(Self.maximumCredit)")
                }
                credit = number
            case "heartbeat-ms":
                guard let number = Int(value), (1...3_600_000).contains(number) else {
                    throw fail("worker offer heartbeat-ms '\(value.prefix(20))' is not a number in 1…3600000")
                }
                heartbeat = .milliseconds(number)
            case "name":
                guard (1...255).contains(value.utf8.count) else {
                    throw fail("worker offer name must be 1…255 bytes")
                }
                name = value
            default:
                optional.append((key, value))
            }
        }
        guard let credit, let heartbeat, let name else {
            throw fail("worker offer lacks one of credit, heartbeat-ms, name")
        }
        self.init(credit: credit, heartbeatInterval: heartbeat, name: name)
        for (key, value) in optional {
            take(key, value)
        }
    }

    /// Takes the optional key `key` of an offer; a value out of range is dropped, and an unknown key skipped, so that
    /// a newer worker can add keys.
    private mutating func take(_ key: Substring, _ value: String) {
        switch key {
        case "host": host = value.isEmpty || value.utf8.count > 255 ? nil : value
        case "pid": pid = Int(value).flatMap { $0 > 0 ? $0 : nil }
        case "batch": batching = value == "1"
        case "cancel": cancels = value == "1"
        case "version": version = value.isEmpty || value.utf8.count > 64 ? nil : value
        case "shutdown": acceptsShutdown = value == "1"
        default: break
        }
    }
}

/// The frame a Corsair broker puts before the payload of an extended REQUEST.
///
/// Layout: version `u8` (1), attempt `u16`, timeout in milliseconds `u32`, task id as `u16` length + UTF-8.
public struct TaskHeader: Sendable, Hashable {
    /// The client's id of the task.
    public var id: String
    /// Which attempt this is, from 1.
    public var attempt: Int
    /// How long the worker has before the broker gives the task to another worker.
    public var timeout: Duration

    /// Creates a header.
    public init(id: String, attempt: Int, timeout: Duration) {
        self.id = id
        self.attempt = attempt
        self.timeout = timeout
    }

    static let version: UInt8 = 1

    /// The header as one frame.
    ///
    /// - Throws: ``WireLengthError`` when the task id is longer than its `u16` length carries.
    public var encoded: [UInt8] {
        get throws(WireLengthError) { try frame() }
    }

    private func frame() throws(WireLengthError) -> [UInt8] {
        var writer = WireWriter(capacity: 9 + id.utf8.count)
        writer.write(Self.version)
        writer.write(UInt16(clamping: attempt))
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        writer.write(UInt32(clamping: milliseconds))
        try writer.write(id, lengthAs: UInt16.self, field: "\(WireLengthError.task(id)) id")
        return writer.bytes
    }

    /// Decodes a header from frame `frame` of a `frameCount`-frame REQUEST.
    public init(decoding bytes: [UInt8], frame: Int, of frameCount: Int) throws(ProtocolError) {
        var reader = WireReader(bytes, frame: frame, of: frameCount)
        let version = try reader.read(UInt8.self, "task header version")
        guard version == Self.version else {
            throw ProtocolError(frame: frame, of: frameCount, "task header version \(version), expected 1")
        }
        attempt = Int(try reader.read(UInt16.self, "attempt"))
        timeout = .milliseconds(Int(try reader.read(UInt32.self, "timeout")))
        id = try reader.readString(lengthAs: UInt16.self, "task id")
        try reader.expectEnd("task header")
    }
}

/// The status frame a Corsair worker puts before the body of an extended FINAL.
public enum TaskOutcome: UInt8, Sendable, Hashable {
    /// The body is the result.
    case succeeded = 0
    /// The body is the error message; the broker may retry the task elsewhere.
    case failed = 1
    /// The body is the error message; retrying cannot help (a malformed expression), so the task fails at once.
    case rejected = 2
    /// The worker is shutting down and gives the task back unfinished: requeue it without counting the attempt, and
    /// send this worker nothing more.
    case handedBack = 3
    /// Broker to client only, in RESULT: the task was cancelled (`corsair cancel`) before it finished; the body says
    /// so. A broker treats one from a worker as ``failed``.
    case cancelled = 4
}

/// The envelope the broker puts in REQUEST frame 2, which every MDP worker echoes in its FINAL.
///
/// It names the task and the attempt (12 bytes: task key `u64`, attempt `u32`), so a reply maps back to its task and a
/// late reply to an earlier attempt is recognised and ignored.
public struct AssignmentToken: Sendable, Hashable {
    /// The broker's key of the task.
    public var task: TaskKey
    /// The attempt the REQUEST started.
    public var attempt: Int

    /// Creates a token.
    public init(task: TaskKey, attempt: Int) {
        self.task = task
        self.attempt = attempt
    }

    /// The token as an envelope frame.
    public var encoded: [UInt8] {
        var writer = WireWriter(capacity: 12)
        writer.write(task.rawValue)
        writer.write(UInt32(clamping: attempt))
        return writer.bytes
    }

    /// Decodes an echoed envelope; `nil` when it is not one of ours.
    public init?(decoding bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        var reader = WireReader(bytes, frame: 2, of: 0)
        guard let task = try? reader.read(UInt64.self, "task"), let attempt = try? reader.read(UInt32.self, "attempt")
        else { return nil }
        self.task = TaskKey(rawValue: task)
        self.attempt = Int(attempt)
    }
}

/// The broker's own key for a task: its submission sequence number, unique for the life of the broker.
public struct TaskKey: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The sequence number.
    public var rawValue: UInt64
    /// Wraps a sequence number.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: TaskKey, rhs: TaskKey) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "#\(rawValue)" }
}
