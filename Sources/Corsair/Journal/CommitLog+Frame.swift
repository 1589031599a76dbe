import Glibc

/// A frame of the ``CommitLog``: one commit's records behind a 44-byte header, little-endian:
///
/// | Bytes | Field |
/// | --- | --- |
/// | 0–3 | `CRL2` |
/// | 4–7 | the payload's length |
/// | 8–11 | its record count |
/// | 12–19 | the newest key handed out |
/// | 20–27 | the number of the segment the frame was written to |
/// | 28–35 | the segment's salt: random, drawn when the segment was started, the same in each of its frames |
/// | 36–39 | the CRC-32C of the payload |
/// | 40–43 | the CRC-32C of bytes 0–39 |
///
/// then the payload, the records as ``JournalRecordCodec`` encodes them. The header's own checksum tells a length
/// that was damaged from one that runs past the end of the file because the write was cut short. The segment's number
/// tells a frame of this segment from one that an earlier segment left in the file before it was reused
/// (``CommitLog/folded(through:records:)``); the salt, which the segment's first frame gives, tells its frames from
/// any that a task's payload could carry, so that no payload, however made, reads as a commit once its file is
/// reused. Logs written before segments were reused have 28-byte headers (`CRLG`, neither field); they are still
/// read, and their files never reused.
extension CommitLog {
    /// One commit's records as the log holds them.
    struct Frame {
        var count: Int
        var lastKey: UInt64
        var payload: [UInt8]
    }

    /// What a frame's header says, once its checksum has passed.
    struct Header {
        var bytes: Int
        var length: Int
        var count: Int
        var lastKey: UInt64
        /// The segment it was written to and that segment's salt; `nil` in a log written before segments were
        /// reused.
        var segment: (number: UInt64, salt: UInt64)?
        var payloadSum: UInt32
    }

    /// `CRL2`, the first bytes of every frame.
    static let magic: UInt32 = 0x324C_5243
    static let headerBytes = 44
    /// `CRLG` and the header's size in logs written before segments were reused.
    static let unnumberedMagic: UInt32 = 0x474C_5243
    static let unnumberedHeaderBytes = 28

    /// The header of a frame of `payload` in segment `segment` whose salt is `salt`.
    static func header(_ payload: [UInt8], count: Int, lastKey: UInt64, segment: UInt64, salt: UInt64) -> [UInt8] {
        header(
            length: payload.count, count: count, lastKey: lastKey, segment: (segment, salt),
            payloadSum: payload.withUnsafeBytes { CRC32C.checksum($0) })
    }

    /// The header of a frame whose payload is `length` bytes with checksum `payloadSum`.
    static func header(
        length: Int, count: Int, lastKey: UInt64, segment: (number: UInt64, salt: UInt64), payloadSum: UInt32
    ) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(headerBytes)
        header.appendLittleEndian(magic)
        header.appendLittleEndian(UInt32(length))
        header.appendLittleEndian(UInt32(count))
        header.appendLittleEndian(lastKey)
        header.appendLittleEndian(segment.number)
        header.appendLittleEndian(segment.salt)
        header.appendLittleEndian(payloadSum)
        header.appendLittleEndian(header.withUnsafeBytes { CRC32C.checksum($0) })
        return header
    }

    /// The header at the start of `bytes`, or `nil` when they do not start with one whose checksum passes.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= unnumberedHeaderBytes else { return nil }
        let magic = bytes.littleEndian(UInt32.self, at: 0)
        let size = magic == Self.magic ? headerBytes : magic == unnumberedMagic ? unnumberedHeaderBytes : 0
        guard size > 0, bytes.count >= size,
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<size - 4]))
                == bytes.littleEndian(UInt32.self, at: size - 4)
        else { return nil }
        return Header(
            bytes: size, length: Int(bytes.littleEndian(UInt32.self, at: 4)),
            count: Int(bytes.littleEndian(UInt32.self, at: 8)), lastKey: bytes.littleEndian(UInt64.self, at: 12),
            segment: size == headerBytes
                ? (bytes.littleEndian(UInt64.self, at: 20), bytes.littleEndian(UInt64.self, at: 28)) : nil,
            payloadSum: bytes.littleEndian(UInt32.self, at: size - 8))
    }
}

/// One segment open for reading.
struct SegmentReader {
    enum Outcome {
        case frame(CommitLog.Frame, length: Int)
        /// The log's end: zeros to the end of the file (room written ahead, ``CommitLog/prefill(_:through:)``), or
        /// bytes that an earlier use of the file left.
        case end
        /// The last frame of the log, cut short or never written.
        case torn
        case damaged
    }

    /// What the segment's frames are known by.
    enum Kind: Equatable {
        /// Its first frame has this salt, as all its frames must.
        case salted(UInt64)
        /// Written before segments were reused: frames without number or salt (or with them, appended since).
        case unnumbered
        /// Its first frame's header is cut short or damaged: any frame numbered as this segment's may be one.
        case unknown
        /// Zeros at its start, or another segment's frame: nothing in it is a commit.
        case empty
    }

    let number: UInt64
    let descriptor: Int32
    let size: Int
    let kind: Kind

    init(path: String, number: UInt64, writable: Bool = false) throws(JournalError) {
        self.number = number
        descriptor = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else { throw CommitLog.writeError(errno, path: path, doing: "open") }
        size = max(0, Int(lseek(descriptor, 0, SEEK_END)))
        let first = Self.read(descriptor, at: 0, count: CommitLog.headerBytes)
        if let header = first.withUnsafeBytes(CommitLog.parseHeader) {
            if let segment = header.segment {
                kind = segment.number == number ? .salted(segment.salt) : .empty
            } else {
                kind = .unnumbered
            }
        } else {
            kind = first.allSatisfy { $0 == 0 } ? .empty : .unknown
        }
    }

    func close() {
        Glibc.close(descriptor)
    }

    /// The frame at `offset`. When `last` (the log's last segment), what is not a frame of this segment there ends
    /// the log unless a frame of this segment follows it: zeros or an earlier use's bytes are its end, and a last
    /// frame that was cut short or never reached the disk (a header that fails its checksum, or a payload that is
    /// short or fails its own) is torn: it was being written when the broker stopped, and no reply had left for it.
    /// Anything else that is not a frame is damage.
    func frame(at offset: Int, last: Bool) -> Outcome {
        if last, zerosFollow(offset) { return .end }
        let head = bytes(at: offset, count: CommitLog.headerBytes)
        let parsed = head.withUnsafeBytes(CommitLog.parseHeader)
        guard let header = parsed, belongs(header) else {
            guard last, !frameFollows(offset + 1) else { return .damaged }
            // A header whose checksum passes, of another segment or salt, is an earlier use's: the end.
            let cut = parsed == nil && (Self.startsLikeHeader(head) || zerosFollow(offset + CommitLog.headerBytes))
            return cut ? .torn : .end
        }
        let end = offset + header.bytes + header.length
        let payload = end <= size ? bytes(at: offset + header.bytes, count: header.length) : []
        guard payload.count == header.length, payload.withUnsafeBytes({ CRC32C.checksum($0) }) == header.payloadSum
        else { return last && !frameFollows(offset + 1) ? .torn : .damaged }
        return .frame(
            CommitLog.Frame(count: header.count, lastKey: header.lastKey, payload: payload), length: end - offset)
    }

    /// Whether a frame with `header` was written to this segment, not left by an earlier use of its file.
    private func belongs(_ header: CommitLog.Header) -> Bool {
        switch (kind, header.segment) {
        case (.salted(let salt), .some(let segment)): segment.number == number && segment.salt == salt
        case (.unnumbered, .none), (.unknown, .none): true
        case (.unnumbered, .some(let segment)), (.unknown, .some(let segment)): segment.number == number
        default: false
        }
    }

    /// Whether `bytes`, which are not a header whose checksum passes, start as a frame does: a header cut short or
    /// damaged, rather than the middle of an earlier use's frame.
    private static func startsLikeHeader(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return !bytes.isEmpty }
        let magic = bytes.withUnsafeBytes { $0.littleEndian(UInt32.self, at: 0) }
        return magic == CommitLog.magic || magic == CommitLog.unnumberedMagic
    }

    /// Whether a frame of this segment starts anywhere from `offset` on: a bad frame with one after it is damage,
    /// not the end of the log.
    private func frameFollows(_ offset: Int) -> Bool {
        guard kind != .empty else { return false }
        let chunkBytes = 1 << 20
        var position = offset
        while position < size {
            let chunk = bytes(at: position, count: min(chunkBytes + CommitLog.headerBytes, size - position))
            let found = chunk.withUnsafeBytes { buffer in
                (0..<min(chunkBytes, buffer.count)).contains { start in
                    guard buffer[start] == 0x43, buffer.count - start >= CommitLog.unnumberedHeaderBytes,
                        let header = CommitLog.parseHeader(UnsafeRawBufferPointer(rebasing: buffer[start...]))
                    else { return false }
                    return belongs(header)
                }
            }
            guard !found else { return true }
            position += chunkBytes
        }
        return false
    }

    private func bytes(at offset: Int, count: Int) -> [UInt8] {
        Self.read(descriptor, at: offset, count: count)
    }

    /// Up to `count` bytes from `offset`: fewer where the file ends.
    private static func read(_ descriptor: Int32, at offset: Int, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        bytes.withUnsafeMutableBytes { buffer in
            while filled < count {
                let read = pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                guard read > 0 else { return }
                filled += read
            }
        }
        return Array(bytes.prefix(filled))
    }

    /// Whether nothing but zeros follows `offset` (room written ahead, or a file system that extended the file before
    /// a crash); true at or past the end of the file.
    private func zerosFollow(_ offset: Int) -> Bool {
        var position = offset
        while position < size {
            let chunk = bytes(at: position, count: min(1 << 20, size - position))
            guard !chunk.isEmpty, chunk.allSatisfy({ $0 == 0 }) else { return false }
            position += chunk.count
        }
        return true
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    fileprivate func littleEndian<Value: FixedWidthInteger>(_: Value.Type, at offset: Int) -> Value {
        Value(littleEndian: loadUnaligned(fromByteOffset: offset, as: Value.self))
    }
}
