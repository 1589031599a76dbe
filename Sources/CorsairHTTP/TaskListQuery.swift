import Corsair
import HTTPTypes

/// Reads the query strings of the task routes, refusing unknown parameters and bad values by name.
enum TaskListQuery {
    /// The most tasks one `GET /v1/tasks` returns.
    static let maximumLimit = 10_000

    /// `GET /v1/tasks?state=…&category=…&batch=…&limit=…`; `limit` defaults to 100.
    static func parse(_ parameters: [String: String]) throws(GatewayError) -> TaskQuery {
        try refuseUnknown(parameters, allowed: ["state", "category", "batch", "limit"])
        var query = TaskQuery()
        if let state = parameters["state"] {
            guard TaskState(rawValue: state) != nil else {
                throw GatewayError(
                    .badRequest, "state must be one of \(TaskState.names.joined(separator: ", ")), got '\(state)'",
                    field: "state")
            }
            query.state = state
        }
        query.category = parameters["category"]
        query.batch = parameters["batch"]
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...maximumLimit).contains(limit) else {
                throw GatewayError(
                    .badRequest, "limit must be a whole number in 1…\(maximumLimit), got '\(text)'", field: "limit")
            }
            query.limit = limit
        }
        return query
    }

    /// The `batch` parameter of routes that take nothing else.
    static func single(_ parameters: [String: String]) throws(GatewayError) -> String? {
        try refuseUnknown(parameters, allowed: ["batch"])
        guard let batch = parameters["batch"] else { return nil }
        if let reason = BatchName.validate(batch) {
            throw GatewayError(.badRequest, "batch '\(batch)' \(reason)", field: "batch")
        }
        return batch
    }

    /// Refuses the first parameter not in `allowed`, by name.
    static func refuseUnknown(
        _ parameters: [String: String],
        allowed: [String]
    ) throws(GatewayError) {
        if let unknown = parameters.first(where: { !allowed.contains($0.key) }) {
            throw GatewayError(
                .badRequest,
                "unknown query parameter '\(unknown.key)' (expected \(allowed.joined(separator: ", ")))",
                field: unknown.key)
        }
    }
}
