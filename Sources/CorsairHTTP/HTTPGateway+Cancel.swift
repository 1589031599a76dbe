import Corsair
import Hummingbird

/// The cancel routes:
/// - `DELETE /v1/tasks/{id}` (`?batch=` names the batch; without it, an id two batches hold is ambiguous): 200 with
///   the ``CancelAnswer`` when the task was cancelled, 404 when no such task is tracked, 409 when it had already
///   finished or the id is ambiguous.
/// - `DELETE /v1/batches/{name}`: cancels every unfinished task of the batch; 200 with how many and each answer.
extension HTTPGateway {
    func addCancelRoutes(to router: Router<BasicRequestContext>) {
        router.delete("/v1/tasks/{id}") { request, context in
            await answer {
                let id = try context.parameters.require("id")
                let batch = try TaskListQuery.single(request.queryDictionary)
                let answers = try await loop.cancel(CancelRequest(batch: batch, ids: [id]))
                return try Self.checked(answers.first ?? CancelAnswer(id: id, outcome: .notFound), batch: batch)
            }
        }
        router.delete("/v1/batches/{name}") { request, context in
            await answer {
                let name = try context.parameters.require("name")
                try TaskListQuery.refuseUnknown(request.queryDictionary, allowed: [])
                if let reason = BatchName.validate(name) {
                    throw GatewayError(.badRequest, "batch '\(name)' \(reason)", field: "name")
                }
                let answers = try await loop.cancel(CancelRequest(batch: name, all: true))
                return BatchCancelAnswer(batch: name, cancelled: answers.count, tasks: answers)
            }
        }
    }

    /// `answer` when the task was cancelled; the refusal that says why not otherwise.
    private static func checked(_ answer: CancelAnswer, batch: String?) throws(GatewayError) -> CancelAnswer {
        let inBatch = batch.map { " in batch '\($0)'" } ?? ""
        switch answer.outcome {
        case .cancelled:
            return answer
        case .finished:
            throw GatewayError(
                .conflict, "task '\(answer.id)'\(inBatch) has already finished: \(answer.state ?? "?")", field: "id")
        case .notFound:
            throw GatewayError(.notFound, "no task '\(answer.id)'\(inBatch)", field: "id")
        case .ambiguous:
            let batches = (answer.batches ?? []).joined(separator: ", ")
            throw GatewayError(
                .conflict, "task id '\(answer.id)' is in batches \(batches); name one with ?batch=", field: "batch")
        }
    }
}

/// The answer to `DELETE /v1/batches/{name}`.
struct BatchCancelAnswer: Encodable {
    var batch: String
    /// How many tasks were cancelled now.
    var cancelled: Int
    var tasks: [CancelAnswer]
}
