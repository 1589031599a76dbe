import Hummingbird

/// Answers what the router refuses on its own (no such route) with the same JSON error body as the gateway's
/// handlers: `{"error": "no route DELETE /v1/tasks"}`.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let message =
                error.status == .notFound
                ? "no route \(request.method) \(request.uri.path)" : error.body ?? error.status.reasonPhrase
            return GatewayError(error.status, message).response
        }
    }
}
