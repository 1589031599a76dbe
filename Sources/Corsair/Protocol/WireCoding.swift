/// Appends big-endian integers and length-prefixed strings to a frame: the encoding of Corsair's extension frames.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 32) {
        bytes.reserveCapacity(capacity)
    }

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes `text` as UTF-8 after a length of type `Length`, or throws when it has more bytes than that length
    /// carries (or than `limit`, when smaller). `field` names it in the error, e.g. `task 'a' id`.
    mutating func write<Length: FixedWidthInteger & UnsignedInteger>(
        _ text: String,
        lengthAs: Length.Type,
        field: @autoclosure () -> String,
        limit: Int = .max
    ) throws(WireLengthError) {
        let count = text.utf8.count
        try Self.check(count, fits: Length.self, limit: limit, field)
        write(Length(count))
        bytes.append(contentsOf: text.utf8)
    }

    /// Writes `data` after a length of type `Length`, or throws when it has more bytes than that length carries (or
    /// than `limit`, when smaller). `field` names it in the error, e.g. `task 'a' payload`.
    mutating func write<Length: FixedWidthInteger & UnsignedInteger>(
        bytes data: [UInt8],
        lengthAs: Length.Type,
        field: @autoclosure () -> String,
        limit: Int = .max
    ) throws(WireLengthError) {
        try Self.check(data.count, fits: Length.self, limit: limit, field)
        write(Length(data.count))
        bytes.append(contentsOf: data)
    }

    /// Throws unless `count` bytes fit a length of type `Length` and `limit`.
    private static func check<Length: FixedWidthInteger & UnsignedInteger>(
        _ count: Int,
        fits: Length.Type,
        limit: Int,
        _ field: () -> String
    ) throws(WireLengthError) {
        let most = min(limit, Int(clamping: Length.max))
        guard count <= most else {
            throw WireLengthError(field: field(), length: count, limit: most)
        }
    }
}

/// Reads what ``WireWriter`` wrote, failing with the frame and byte offset of anything malformed.
struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0
    private let frame: Int
    private let frameCount: Int

    init(_ bytes: [UInt8], frame: Int, of frameCount: Int) {
        self.bytes = bytes
        self.frame = frame
        self.frameCount = frameCount
    }

    var isAtEnd: Bool { offset == bytes.count }

    /// How many bytes are left to read.
    var remaining: Int { bytes.count - offset }

    func error(_ message: String) -> ProtocolError {
        ProtocolError(frame: frame, of: frameCount, message)
    }

    /// Reads a big-endian integer; `field` names it in the error (built only on failure, so a decoder can say
    /// `"task \(index) priority"` without paying for the string on every read).
    mutating func read<T: FixedWidthInteger>(_: T.Type, _ field: @autoclosure () -> String) throws(ProtocolError) -> T {
        let size = MemoryLayout<T>.size
        guard bytes.count - offset >= size else {
            throw error("truncated at byte \(offset) reading \(field()) (\(size) bytes, \(bytes.count - offset) left)")
        }
        let value = bytes.withUnsafeBytes { T(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        offset += size
        return value
    }

    /// Reads the `u32` entry count of message `what` (`RESULT`), which must be at least `minimum` and small enough
    /// that that many entries of at least `entryBytes` bytes each fit in the rest of the frame: a count the frame
    /// cannot hold is refused before anything is allocated for it.
    mutating func readCount(
        _ what: @autoclosure () -> String,
        entryBytes: Int,
        minimum: Int = 0
    ) throws(ProtocolError) -> Int {
        let count = Int(try read(UInt32.self, "\(what()) count"))
        guard count >= minimum, count <= remaining / entryBytes else {
            throw error("\(what()) count \(count) does not fit its \(remaining) bytes")
        }
        return count
    }

    mutating func readBytes<Length: FixedWidthInteger & UnsignedInteger>(
        lengthAs: Length.Type,
        _ field: @autoclosure () -> String
    ) throws(ProtocolError) -> [UInt8] {
        let length = Int(try read(Length.self, "\(field()) length"))
        guard bytes.count - offset >= length else {
            throw error(
                "truncated at byte \(offset) reading \(field()) (\(length) bytes, \(bytes.count - offset) left)")
        }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    mutating func readString<Length: FixedWidthInteger & UnsignedInteger>(
        lengthAs: Length.Type,
        _ field: @autoclosure () -> String
    ) throws(ProtocolError) -> String {
        let length = Int(try read(Length.self, "\(field()) length"))
        guard bytes.count - offset >= length else {
            throw error(
                "truncated at byte \(offset) reading \(field()) (\(length) bytes, \(bytes.count - offset) left)")
        }
        let slice = bytes[offset..<offset + length]
        // Ids and category names are nearly always ASCII, which is valid UTF-8 as it is: skip the general validation.
        let text: String
        if slice.allSatisfy({ $0 < 0x80 }) {
            text = String(decoding: slice, as: UTF8.self)
        } else if let valid = String(validating: slice, as: UTF8.self) {
            text = valid
        } else {
            throw error("\(field()) at byte \(offset) is not valid UTF-8")
        }
        offset += length
        return text
    }

    /// Fails unless every byte was read; `what` names what was read (built only on failure).
    func expectEnd(_ what: @autoclosure () -> String) throws(ProtocolError) {
        guard isAtEnd else {
            throw error("\(bytes.count - offset) unexpected bytes after \(what())")
        }
    }
}
