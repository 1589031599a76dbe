/// Journal records as compact bytes: how ``SQLiteJournal`` stores a commit's records as one frame of its log.
///
/// Each record is a tag byte followed by its fields: integers as LEB128 varints (an optional one as 0 for `nil`,
/// else its value plus one), byte strings and text as a varint length and the bytes. A commit then costs one
/// write, whatever it holds, instead of a row write per record with its indexes.
public enum JournalRecordCodec {
    private enum Tag: UInt8 {
        case accepted = 1
        case attemptStarted = 2
        case attemptEnded = 3
        case finished = 4
    }

    /// The records `bytes` holds, appended to `records`, in order.
    ///
    /// - Throws: ``DecodingFailure`` when the bytes are not records this codec wrote.
    static func decode(_ bytes: UnsafeRawBufferPointer, into records: inout [JournalRecord]) throws(DecodingFailure) {
        var reader = ByteReader(bytes: bytes)
        while !reader.atEnd {
            records.append(try reader.record())
        }
    }

    /// ``decode(_:into:)``, returning its failure instead of throwing it, for use inside `withUnsafeBytes`, whose
    /// closure cannot throw a typed error; `nil` when every record decoded.
    static func failure(decoding bytes: UnsafeRawBufferPointer, into records: inout [JournalRecord]) -> DecodingFailure?
    {
        do throws(DecodingFailure) {
            try decode(bytes, into: &records)
            return nil
        } catch {
            return error
        }
    }

    /// The bytes end early or hold an unknown tag: the records are damaged.
    public struct DecodingFailure: Error {
        /// Where in the records' bytes the damage was found.
        public var offset: Int
    }

    struct ByteWriter {
        var bytes: [UInt8] = []

        mutating func write(_ record: JournalRecord) {
            switch record {
            case .accepted(let task):
                bytes.append(Tag.accepted.rawValue)
                varint(task.key)
                blob(task.batch)
                text(task.id)
                text(task.category)
                blob(task.payload)
                varint(UInt64(UInt32(bitPattern: task.priority)))
                optional(task.timeoutMilliseconds.map(UInt64.init))
                optional(task.maxAttempts.map { UInt64(clamping: $0) })
                varint(task.submitted)
                optional(task.notBefore)
            case .attemptStarted(let key, let attempt, let worker, let started):
                bytes.append(Tag.attemptStarted.rawValue)
                varint(key)
                varint(UInt64(clamping: attempt))
                text(worker)
                varint(started)
            case .attemptEnded(let key, let attempts, let reason, let historyLine):
                bytes.append(Tag.attemptEnded.rawValue)
                varint(key)
                varint(UInt64(clamping: attempts))
                text(reason)
                optionalText(historyLine)
            case .finished(let task):
                bytes.append(Tag.finished.rawValue)
                varint(task.key)
                bytes.append(task.outcome.rawValue)
                blob(task.output)
                varint(UInt64(clamping: task.attempts))
                varint(task.finished)
                optionalText(task.lastError)
            }
        }

        private mutating func varint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }

        private mutating func optional(_ value: UInt64?) {
            guard let value else { return varint(0) }
            varint(value &+ 1)
        }

        private mutating func blob(_ value: [UInt8]) {
            varint(UInt64(value.count))
            bytes.append(contentsOf: value)
        }

        private mutating func text(_ value: String) {
            var value = value
            value.withUTF8 { utf8 in
                varint(UInt64(utf8.count))
                bytes.append(contentsOf: utf8)
            }
        }

        private mutating func optionalText(_ value: String?) {
            guard let value else { return bytes.append(0) }
            bytes.append(1)
            text(value)
        }
    }

    private struct ByteReader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }

        mutating func record() throws(DecodingFailure) -> JournalRecord {
            switch Tag(rawValue: try byte()) {
            case .accepted:
                let task = AcceptedTask(
                    key: try varint(), batch: try blob(), id: try text(), category: try text(), payload: try blob(),
                    priority: Int32(bitPattern: UInt32(truncatingIfNeeded: try varint())),
                    timeoutMilliseconds: try optional().map { UInt32(truncatingIfNeeded: $0) },
                    maxAttempts: try optional().map { Int(truncatingIfNeeded: $0) }, submitted: try varint(),
                    notBefore: try optional())
                return .accepted(task)
            case .attemptStarted:
                return .attemptStarted(
                    key: try varint(), attempt: Int(truncatingIfNeeded: try varint()), worker: try text(),
                    started: try varint())
            case .attemptEnded:
                return .attemptEnded(
                    key: try varint(), attempts: Int(truncatingIfNeeded: try varint()), reason: try text(),
                    historyLine: try optionalText())
            case .finished:
                let key = try varint()
                guard let outcome = TaskOutcome(rawValue: try byte()) else { throw DecodingFailure(offset: offset) }
                return .finished(
                    FinishedTask(
                        key: key, outcome: outcome, output: try blob(),
                        attempts: Int(truncatingIfNeeded: try varint()), finished: try varint(),
                        lastError: try optionalText()))
            case nil:
                throw DecodingFailure(offset: offset - 1)
            }
        }

        mutating func byte() throws(DecodingFailure) -> UInt8 {
            guard offset < bytes.count else { throw DecodingFailure(offset: offset) }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws(DecodingFailure) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let next = try byte()
                guard shift < 64 else { throw DecodingFailure(offset: offset) }
                value |= UInt64(next & 0x7f) << shift
                if next < 0x80 { return value }
                shift += 7
            }
        }

        mutating func optional() throws(DecodingFailure) -> UInt64? {
            let value = try varint()
            return value == 0 ? nil : value - 1
        }

        mutating func slice() throws(DecodingFailure) -> UnsafeRawBufferPointer {
            let count = try varint()
            guard count <= UInt64(bytes.count - offset) else { throw DecodingFailure(offset: offset) }
            defer { offset += Int(count) }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(count)])
        }

        mutating func blob() throws(DecodingFailure) -> [UInt8] {
            Array(try slice())
        }

        mutating func text() throws(DecodingFailure) -> String {
            String(decoding: try slice(), as: UTF8.self)
        }

        mutating func optionalText() throws(DecodingFailure) -> String? {
            try byte() == 0 ? nil : try text()
        }
    }
}

/// Journal records encoded as they are made (``JournalRecordCodec``), ready to be stored as one frame of the log.
///
/// The broker loop encodes each record its state machine emits and hands the writer bytes: no record's strings and
/// buffers, shared with the tasks the loop still holds, cross to the writer's thread to be released there.
public struct EncodedRecords: Sendable {
    private var writer = JournalRecordCodec.ByteWriter()
    /// How many records ``bytes`` holds.
    public private(set) var count = 0

    /// The records, one after the other.
    public var bytes: [UInt8] { writer.bytes }

    /// No records.
    public init() {}

    /// `records`, encoded.
    public init(_ records: [JournalRecord]) {
        writer.bytes.reserveCapacity(records.count * 64)
        for record in records {
            append(record)
        }
    }

    /// No records, with room for `bytes` of them.
    public init(reservingCapacity bytes: Int) {
        writer.bytes.reserveCapacity(bytes)
    }

    /// Whether it holds no record.
    public var isEmpty: Bool { count == 0 }

    /// Encodes `record` after those held.
    public mutating func append(_ record: JournalRecord) {
        writer.write(record)
        count += 1
    }

    /// Appends the records `other` holds after these.
    public mutating func append(contentsOf other: EncodedRecords) {
        writer.bytes.append(contentsOf: other.bytes)
        count += other.count
    }

    /// The records, decoded.
    ///
    /// - Throws: ``JournalRecordCodec/DecodingFailure`` when the bytes are not records the codec wrote.
    public func decoded() throws(JournalRecordCodec.DecodingFailure) -> [JournalRecord] {
        var records: [JournalRecord] = []
        records.reserveCapacity(count)
        if let failure = bytes.withUnsafeBytes({ JournalRecordCodec.failure(decoding: $0, into: &records) }) {
            throw failure
        }
        return records
    }
}
