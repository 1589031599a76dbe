import Foundation

/// Standard output of an `--exec` command, kept up to a limit: the task's result.
struct BoundedOutput {
    /// The most bytes kept.
    let limit: Int
    /// What was read, at most ``limit`` bytes.
    private(set) var bytes: [UInt8] = []
    /// Whether the command wrote more than ``limit`` bytes; nothing past the limit is kept.
    private(set) var overflowed = false

    /// Creates an empty buffer for up to `limit` bytes.
    init(limit: Int) {
        self.limit = limit
    }

    /// How many bytes the next read should ask for: what still fits, plus one to notice an overflow, at most `chunk`.
    func readSize(chunk: Int) -> Int {
        min(chunk, limit - bytes.count + 1)
    }

    /// Keeps `chunk`; past ``limit`` keeps what fits and records the overflow.
    ///
    /// - Returns: `false` once the output overflowed.
    mutating func append(_ chunk: some Collection<UInt8>) -> Bool {
        let room = limit - bytes.count
        if chunk.count > room {
            bytes.append(contentsOf: chunk.prefix(room))
            overflowed = true
            return false
        }
        bytes.append(contentsOf: chunk)
        return true
    }
}

/// The end of standard error of an `--exec` command, for the failure message: at most `capacity` bytes are kept
/// however much the command writes.
struct OutputTail {
    /// How many of the last bytes are kept.
    let capacity: Int
    private var buffer: [UInt8] = []

    /// Creates an empty tail of `capacity` bytes.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds `chunk`, forgetting what falls out of the last ``capacity`` bytes. The buffer is trimmed once it holds
    /// twice the capacity, so each byte is moved at most once.
    mutating func append(_ chunk: some Collection<UInt8>) {
        buffer.append(contentsOf: chunk.suffix(capacity))
        if buffer.count > 2 * capacity {
            buffer.removeFirst(buffer.count - capacity)
        }
    }

    /// The last ``capacity`` bytes.
    var bytes: ArraySlice<UInt8> { buffer.suffix(capacity) }

    /// The last bytes as text, without surrounding white space.
    var text: String {
        String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
