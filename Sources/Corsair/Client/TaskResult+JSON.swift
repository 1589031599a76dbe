import Foundation

extension TaskResult {
    /// The result as one line of JSON for `corsair submit --json`: `id`, `category`, `status`, `attempts`, `worker`,
    /// `started` and `finished` (Unix milliseconds), and `result` or `error` (UTF-8 text), keys sorted.
    public var jsonLine: String {
        let line = JSONLine(
            id: id, category: category, status: TaskState(finishedWith: outcome).rawValue, attempts: attempts,
            worker: worker, started: started, finished: finished,
            text: String(decoding: output, as: UTF8.self), isError: outcome != .succeeded)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(line)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// The fields of ``TaskResult/jsonLine``. Encoded with `JSONEncoder` rather than `JSONSerialization`, whose sorted
/// keys go through locale-aware string comparison and made JSON output the client's largest cost.
private struct JSONLine: Encodable {
    let id: String
    let category: String
    let status: String
    let attempts: Int
    let worker: String?
    let started: UInt64?
    let finished: UInt64
    let text: String
    let isError: Bool

    enum CodingKeys: String, CodingKey {
        case id, category, status, attempts, worker, started, finished, result, error
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(category, forKey: .category)
        try container.encode(status, forKey: .status)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(worker, forKey: .worker)
        try container.encode(started, forKey: .started)
        try container.encode(finished, forKey: .finished)
        try container.encode(text, forKey: isError ? .error : .result)
    }
}
