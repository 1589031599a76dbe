import HTTPTypes
import Hummingbird

/// A request the gateway refuses, answered with a 4xx status and a JSON body naming what was wrong:
/// `{"error": "tasks[2]: missing required field 'payload'", "field": "payload", "index": 2}`.
struct GatewayError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var message: String
    /// The request field, query parameter or path component at fault, when one is.
    var field: String?
    /// The task's position in a submitted array, when one task is at fault.
    var index: Int?

    init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil, index: Int? = nil) {
        self.status = status
        self.message = message
        self.field = field
        self.index = index
    }

    var response: Response {
        struct Body: Encodable {
            var error: String
            var field: String?
            var index: Int?
        }
        return JSONBody.response(Body(error: message, field: field, index: index), status: status)
    }
}
