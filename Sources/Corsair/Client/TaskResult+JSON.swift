import Foundation

extension TaskResult {
    /// The result as one line of JSON for `corsair submit --json`: `id`, `category`, `status`, `attempts`, `worker`,
    /// `started` and `finished` (Unix milliseconds), and `result` or `error` (UTF-8 text).
    public var jsonLine: String {
        var object: [String: Any] = [
            "id": id,
            "category": category,
            "status": outcome == .succeeded ? "succeeded" : "failed",
            "attempts": attempts,
            "finished": finished,
            "worker": worker.map { $0 as Any } ?? NSNull(),
            "started": started.map { $0 as Any } ?? NSNull(),
        ]
        object[outcome == .succeeded ? "result" : "error"] = String(decoding: output, as: UTF8.self)
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
