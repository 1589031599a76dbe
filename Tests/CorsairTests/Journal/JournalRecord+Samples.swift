@testable import Corsair

extension JournalRecord {
    /// Task `key` accepted into `batch` (`b` by default): id `tKEY`, its payload the key as one byte.
    static func sample(
        _ key: UInt64, batch: [UInt8] = Array("b".utf8), category: String = "a"
    ) -> JournalRecord {
        .accepted(
            AcceptedTask(
                key: key, batch: batch, id: "t\(key)", category: category, payload: [UInt8(key)], priority: 0,
                timeoutMilliseconds: nil, maxAttempts: nil, submitted: 1000 + key))
    }

    /// Task `key` succeeded at `time` with output `rKEY`.
    static func sampleFinished(_ key: UInt64, at time: UInt64 = 5000) -> JournalRecord {
        .finished(
            FinishedTask(
                key: key, outcome: .succeeded, output: Array("r\(key)".utf8), attempts: 1, finished: time,
                lastError: nil))
    }
}
