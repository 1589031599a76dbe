import HTTPTypes

extension TaskListQuery {
    /// The most batches one `GET /v1/batches` returns.
    static let maximumBatches = 1_000

    /// `GET /v1/batches?limit=…`: how many batches, 20 by default.
    static func batchLimit(_ parameters: [String: String]) throws(GatewayError) -> Int {
        if let unknown = parameters.keys.first(where: { $0 != "limit" }) {
            throw GatewayError(.badRequest, "unknown query parameter '\(unknown)' (expected limit)", field: unknown)
        }
        guard let text = parameters["limit"] else { return 20 }
        guard let limit = Int(text), (1...maximumBatches).contains(limit) else {
            throw GatewayError(
                .badRequest, "limit must be a whole number in 1…\(maximumBatches), got '\(text)'", field: "limit")
        }
        return limit
    }
}
