@testable import Corsair

/// Commits for the log's tests, and the keys their frames hold.
enum CommitLogFixtures {
    /// A commit of `count` accepted tasks from key `first`, each with a payload of `bytes` bytes.
    static func records(_ count: Int, from first: UInt64 = 1, bytes: Int = 8) -> EncodedRecords {
        EncodedRecords(
            (0..<UInt64(count)).map {
                .accepted(
                    AcceptedTask(
                        key: first + $0, batch: [1], id: "t\(first + $0)", category: "a",
                        payload: [UInt8](repeating: 7, count: bytes), priority: 0, timeoutMilliseconds: nil,
                        maxAttempts: nil, submitted: 0))
            })
    }

    /// The keys of the records `frames` hold, in order.
    static func keys(_ frames: [CommitLog.Frame]) throws -> [UInt64] {
        try frames.flatMap { frame in
            try frame.payload.withUnsafeBytes { bytes in
                var decoded: [JournalRecord] = []
                try JournalRecordCodec.decode(bytes, into: &decoded)
                return decoded.map(\.key)
            }
        }
    }
}
