import Glibc

/// A frame of the ``CommitLog``: one commit's records behind a 28-byte header, little-endian:
///
/// | Bytes | Field |
/// | --- | --- |
/// | 0–3 | `CRLG` |
/// | 4–7 | the payload's length |
/// | 8–11 | its record count |
/// | 12–19 | the newest key handed out |
/// | 20–23 | the CRC-32C of the payload |
/// | 24–27 | the CRC-32C of bytes 0–23 |
///
/// then the payload, the records as ``JournalRecordCodec`` encodes them. The header's own checksum tells a length
/// that was damaged from one that runs past the end of the file because the write was cut short.
extension CommitLog {
    /// One commit's records as the log holds them.
    struct Frame {
        var count: Int
        var lastKey: UInt64
        var payload: [UInt8]
    }

    /// `CRLG`, the first bytes of every frame.
    static let magic: UInt32 = 0x474C_5243
    static let headerBytes = 28

    /// The header of a frame of `payload`.
    static func header(_ payload: [UInt8], count: Int, lastKey: UInt64) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(headerBytes)
        header.appendLittleEndian(magic)
        header.appendLittleEndian(UInt32(payload.count))
        header.appendLittleEndian(UInt32(count))
        header.appendLittleEndian(lastKey)
        header.appendLittleEndian(payload.withUnsafeBytes { CRC32C.checksum($0) })
        header.appendLittleEndian(header.withUnsafeBytes { CRC32C.checksum($0) })
        return header
    }
}

/// One segment open for reading.
struct SegmentReader {
    enum Outcome {
        case frame(CommitLog.Frame, length: Int)
        /// Zeros to the end of the file: the log's end, with room written ahead (``CommitLog/prefill(_:through:)``).
        case end
        /// The last frame of the log, cut short or never written.
        case torn
        case damaged
    }

    let number: UInt64
    let descriptor: Int32
    let size: Int

    init(path: String, number: UInt64, writable: Bool = false) throws(JournalError) {
        self.number = number
        descriptor = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else { throw CommitLog.writeError(errno, path: path, doing: "open") }
        size = max(0, Int(lseek(descriptor, 0, SEEK_END)))
    }

    func close() {
        Glibc.close(descriptor)
    }

    /// The frame at `offset`. When `last` (the log's last segment), zeros from `offset` to the end of the file are its
    /// end, and the last frame is torn (a write that was cut short or never reached the disk, for which no reply had
    /// left) when the end of the file or zeros cut it short, or follow a whole frame whose payload fails its checksum.
    /// Anything else that is not a frame is damage.
    func frame(at offset: Int, last: Bool) -> Outcome {
        if last, zerosFollow(offset) { return .end }
        let header = bytes(at: offset, count: CommitLog.headerBytes)
        guard header.count == CommitLog.headerBytes else { return last ? .torn : .damaged }
        let headerSum = header.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<24])) }
        guard header.littleEndian(UInt32.self, at: 0) == CommitLog.magic,
            headerSum == header.littleEndian(UInt32.self, at: 24)
        else { return last && zerosFollow(offset + CommitLog.headerBytes) ? .torn : .damaged }
        let length = Int(header.littleEndian(UInt32.self, at: 4))
        let end = offset + CommitLog.headerBytes + length
        guard end <= size else { return last ? .torn : .damaged }
        let payload = bytes(at: offset + CommitLog.headerBytes, count: length)
        guard payload.count == length,
            payload.withUnsafeBytes({ CRC32C.checksum($0) }) == header.littleEndian(UInt32.self, at: 20)
        else { return last && zerosFollow(end) ? .torn : .damaged }
        let frame = CommitLog.Frame(
            count: Int(header.littleEndian(UInt32.self, at: 8)), lastKey: header.littleEndian(UInt64.self, at: 12),
            payload: payload)
        return .frame(frame, length: end - offset)
    }

    private func bytes(at offset: Int, count: Int) -> [UInt8] {
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

    fileprivate func littleEndian<Value: FixedWidthInteger>(_: Value.Type, at offset: Int) -> Value {
        var value = Value.zero
        Swift.withUnsafeMutableBytes(of: &value) { target in
            for index in 0..<MemoryLayout<Value>.size {
                target[index] = self[offset + index]
            }
        }
        return Value(littleEndian: value)
    }
}
